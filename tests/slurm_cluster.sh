#!/usr/bin/env bash
# Starts a throw-away one-node Slurm cluster on localhost (munged, slurmctld,
# slurmd; Debian packages `slurm-wlm` and `munge`), everything (key, sockets,
# state, spool, logs) in one temporary directory, no systemd. Source it, then
# call slurm_cluster_start DIR; slurm_cluster_stop tears it down (callers trap
# it). Needs root (SlurmUser=root); exports SLURM_CONF for the client commands.
# Each daemon runs under `timeout` (SLURM_TEST_LIFETIME seconds, default 1000,
# above CTest's 900 s limit for the test): one left behind by a caller that
# was killed outright (SIGKILL skips traps) still ends.
slurm_fail() { echo "slurm cluster: $*" >&2; return 1; }

slurm_cluster_start() {
  local dir=$1 tool
  for tool in munged mungekey slurmctld slurmd sbatch squeue scontrol sinfo; do
    command -v "$tool" >/dev/null ||
      { slurm_fail "$tool not found (Debian packages 'slurm-wlm' and 'munge')"; return 1; }
  done
  [ "$(id -u)" -eq 0 ] || { slurm_fail "must run as root (the test cluster uses SlurmUser=root)"; return 1; }
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
  chmod 700 "$dir" "$dir/munge"
  SLURM_TEST_DIR=$dir
  # munge: a fresh key, its socket, pid and seed in the temporary directory.
  mungekey --create --keyfile="$dir/munge/munge.key" >/dev/null 2>&1 ||
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge/munge.key"
  local life=${SLURM_TEST_LIFETIME:-1000}
  timeout "$life" munged --foreground --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.sock" \
    --pid-file="$dir/munge/munged.pid" --seed-file="$dir/munge/munged.seed" --log-file="$dir/log/munged.log" \
    >"$dir/log/munged.out" 2>&1 &
  MUNGED_PID=$!
  local i
  for i in $(seq 1 50); do
    [ -S "$dir/munge/munge.sock" ] && break
    kill -0 "$MUNGED_PID" 2>/dev/null || break
    sleep 0.2
  done
  [ -S "$dir/munge/munge.sock" ] || { slurm_cluster_logs; slurm_fail "munged did not start; logs above"; return 1; }
  # Ports that are free now (another cluster on this machine keeps its own).
  local ports
  ports=$(python3 -c 'import socket
ss=[socket.socket() for _ in range(2)]
[s.bind(("127.0.0.1",0)) for s in ss]
print(*[s.getsockname()[1] for s in ss])')
  read -r ctld_port d_port <<<"$ports"
  local cpus
  cpus=$(nproc)
  cat > "$dir/slurm.conf" <<CONF
ClusterName=sparqtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.sock
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$dir/slurm.conf
  timeout "$life" slurmctld -D -f "$SLURM_CONF" >"$dir/log/slurmctld.out" 2>&1 &
  SLURMCTLD_PID=$!
  timeout "$life" slurmd -D -N localhost -f "$SLURM_CONF" >"$dir/log/slurmd.out" 2>&1 &
  SLURMD_PID=$!
  # Up when the node is idle (at most 30 s).
  local state=""
  for i in $(seq 1 60); do
    state=$(sinfo -h -N -n localhost -o '%T' 2>/dev/null || true)
    [ "$state" = idle ] && return 0
    if ! kill -0 "$SLURMCTLD_PID" 2>/dev/null || ! kill -0 "$SLURMD_PID" 2>/dev/null; then break; fi
    sleep 0.5
  done
  slurm_cluster_logs
  slurm_fail "the node did not become idle (state: '${state:-none}'); logs above"
}

slurm_cluster_logs() {
  local f
  for f in "$SLURM_TEST_DIR"/log/*.log "$SLURM_TEST_DIR"/log/munged.out; do
    [ -s "$f" ] || continue
    echo "--- $f (last 25 lines)" >&2
    tail -n 25 "$f" >&2
  done
}

slurm_cluster_stop() {
  [ -n "${SLURM_TEST_DIR:-}" ] || return 0
  local pid
  # Only the daemons this shell started, by their ids; munged last (slurmd
  # and slurmctld authenticate through it while they shut down).
  for pid in ${SLURMD_PID:-} ${SLURMCTLD_PID:-}; do kill "$pid" 2>/dev/null || true; done
  for pid in ${SLURMD_PID:-} ${SLURMCTLD_PID:-}; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${MUNGED_PID:-}" ]; then
    kill "$MUNGED_PID" 2>/dev/null || true
    wait "$MUNGED_PID" 2>/dev/null || true
  fi
  SLURMD_PID="" SLURMCTLD_PID="" MUNGED_PID="" SLURM_TEST_DIR=""
}
