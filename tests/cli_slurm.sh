#!/usr/bin/env bash
# The paper sweep on a real Slurm scheduler: starts a one-node cluster on
# localhost (tests/slurm_cluster.sh: munged, slurmctld, slurmd from Debian's
# `slurm-wlm` and `munge`, all state in a temporary directory), submits the
# sweep with tools/slurm/sweep.sbatch as a 3-task job array plus a dependent
# merge job, waits, and requires the merged result to equal the unsharded run;
# before that, a submission whose shard 1 fails must fail and merge nothing
# (the resubmission then resumes it).
# Reduced with `sweep --set` to two layers at 16 output pixels (10 points).
# Fails loudly (with the daemons' logs) if the cluster cannot start.
set -euo pipefail
exe=$1
src=$2
here=$(cd "$(dirname "$0")" && pwd)
# The test cluster runs its daemons as root (SlurmUser=root). A developer's
# non-root run skips it (CTest reports it as skipped, exit 77); CI, which is
# root, sets SPARQ_REQUIRE_SLURM=1 so that a skip there is a failure.
if [ "$(id -u)" -ne 0 ]; then
  echo "slurm: skipped: the one-node test cluster needs root (SlurmUser=root)"
  [ -n "${SPARQ_REQUIRE_SLURM:-}" ] && exit 1
  exit 77
fi
# shellcheck source=tests/slurm_cluster.sh
source "$here/slurm_cluster.sh"
tmp=$(mktemp -d)
trap 'slurm_cluster_stop; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM  # through the EXIT trap
t0=$(date +%s)
slurm_cluster_start "$tmp/cluster"
echo "slurm: one-node cluster up in $(($(date +%s) - t0)) s ($(sinfo -h -o '%P %D node(s) %c CPUs %T'))"
sweep=$src/configs/sweeps/paper.yaml
set=(--set 'trace.layers=[conv2d_79, conv2d_11]' --set trace.max_pixels=16)
"$exe" sweep "$sweep" --no-progress --out "$tmp/whole" "${set[@]}" > "$tmp/whole.log"
t1=$(date +%s)
submit() {  # submit EXE: the sweep as 3 array tasks + merge, waiting for the merge
  timeout 600 "$src/tools/slurm/sweep.sbatch" --shards 3 --exe "$1" --wait "$sweep" "$tmp/slurm" -- "${set[@]}"
}
# First with an executable whose shard 1 fails: the merge job must not run
# and the submission must fail, naming the failed task.
cat > "$tmp/failing-sparq-sim" <<SH
#!/bin/sh
case "\$*" in *"--shard 1/3"*) echo "shard 1 fails on purpose" >&2; exit 1 ;; esac
exec "$exe" "\$@"
SH
chmod +x "$tmp/failing-sparq-sim"
if submit "$tmp/failing-sparq-sim" > "$tmp/jobs0.txt" 2> "$tmp/submit0.log"; then
  echo "slurm: a failed shard went unnoticed:"; cat "$tmp/submit0.log"; exit 1
fi
grep -q "ArrayTaskId=1  JobState=FAILED" "$tmp/submit0.log" ||
  { echo "slurm: the failed submission does not name the failed task:"; cat "$tmp/submit0.log"; exit 1; }
[ ! -e "$tmp/slurm/sweep_summary.csv" ] || { echo "slurm: merged despite a failed shard"; exit 1; }
# Resubmitted with the real executable: shards 0 and 2 resume (nothing to
# run), shard 1 runs its points, the merge runs.
if ! submit "$exe" > "$tmp/jobs.txt" 2> "$tmp/submit.log"; then
  echo "slurm: the array or its merge job failed" >&2
  cat "$tmp/submit.log" >&2
  tail -n 20 "$tmp"/slurm/logs/* >&2 || true
  squeue -a >&2 || true
  slurm_cluster_logs
  exit 1
fi
read -r array_job merge_job < "$tmp/jobs.txt"
cmp "$tmp/whole/sweep_summary.csv" "$tmp/slurm/sweep_summary.csv"
cmp "$tmp/whole/sweep_layers.csv" "$tmp/slurm/sweep_layers.csv"
rows=$(($(wc -l < "$tmp/slurm/sweep_summary.csv") - 1))
[ "$rows" -eq 10 ] || { echo "expected 10 summary rows, got $rows"; exit 1; }
# Each array task ran its own shard (10 points over 3 shards: 4, 3, 3); on
# the resubmission only shard 1 had points to run.
for i in 0 1 2; do
  n=$(find "$tmp/slurm/shards/$i/points" -name result_manifest.txt | wc -l)
  want=$((i == 0 ? 4 : 3))
  ran=$((i == 1 ? 3 : 0))
  [ "$n" -eq "$want" ] || { echo "shard $i ran $n points, expected $want"; exit 1; }
  grep -q "shard $i/3: $ran run, 0 failed" "$tmp/slurm/logs/shard-${array_job}_$i.out" ||
    { echo "shard $i's log does not show its run:"; cat "$tmp/slurm/logs/shard-${array_job}_$i.out"; exit 1; }
done
grep -q "merged 10 points" "$tmp/slurm/logs/merge-$merge_job.out" ||
  { echo "the merge job's log does not show the merge:"; cat "$tmp/slurm/logs/merge-$merge_job.out"; exit 1; }
echo "slurm: a failed shard stopped the merge; resubmitted, array job $array_job (3 shards) + merge job $merge_job:" \
  "$rows rows, identical to the unsharded sweep ($(($(date +%s) - t1)) s for both submissions," \
  "$(($(date +%s) - t0)) s in all)"
