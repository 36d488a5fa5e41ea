#!/usr/bin/env bash
# SCALE-Sim v2 and sparq-sim side by side on one real layer (default: InceptionV3
# conv2d_11 of traces/inceptionv3-dog, 3x3 conv 35x35x96 -> 35x35x96, stride 1,
# same padding) on square weight-stationary arrays: the cycles each reports and
# the CPU time (user+sys) each process takes, median of alternating repetitions.
#
#   SCALESIM_DIR=/path/to/scale-sim-v2 bench/scalesim_compare.sh [REPS]    (default REPS=3)
#
# Per size it prints SCALE-Sim's compute cycles, sparq-sim's int8 cycles and
# their difference (documented offset, hw_models/systemc/README.md "SCALE-Sim v2":
# ws +2 per GEMM), the CPU seconds of SCALE-Sim, of sparq-sim int8 and of
# sparq-sim vsparq (SCALE-Sim has no SPARQ PE; vsparq runs half the reduction
# steps), and SCALE-Sim's CPU time over sparq-sim's.
#
# Environment:
#   SCALESIM_DIR   a SCALE-Sim v2 source tree (the directory holding scalesim/scale.py),
#                  default ${XDG_CACHE_HOME:-$HOME/.cache}/sparq-bench/scale-sim-v2; if it
#                  is not there or cannot be imported, the SCALE-Sim half is skipped.
#                  Getting it: a checkout of the SCALE-Sim v2 repository (scalesim-project/scale-sim-v2; its scalesim/, configs/ and topologies/ suffice)
#                  (runs with Debian's python3-numpy python3-pandas python3-absl python3-tqdm)
#   PYTHON         interpreter for SCALE-Sim and the timer (default /usr/bin/python3)
#   SIZES          array sizes R (R x R), default "8 16 32 64 128 256 512"
#   SPARQ_INNER    sparq-sim runs per design per repetition (default 3: each
#                  repetition = 1 SCALE-Sim run, then int8 and vsparq alternating)
#   CPU_LIMIT      CPU seconds after which a SCALE-Sim run is stopped (default 600);
#                  that size is then reported as stopped and not repeated
#   LAYER, BUNDLE  the layer (default conv2d_11) and bundle (default traces/inceptionv3-dog)
#   TRACE_SIZES    sizes at which SCALE-Sim is also run once with its trace CSVs on
#                  (the API default, save_disk_space=False) to report their size and
#                  cost (default "32"; "" skips)
#   SPARQ_SIM      the simulator (default build/release/sim/sparq-sim; built with
#                  `cmake --build --preset release --target sparq-sim` if missing)
#   KEEP_TMP=1     keep the temp directory (configs, topology, logs, outputs)
#
# SCALE-Sim is run as its users run it, `python3 -m scalesim.scale -c CFG -t TOPO -p DIR`
# (console output to a log). That command line already passes save_disk_space=True,
# so it writes only its three report CSVs (COMPUTE, BANDWIDTH, DETAILED_ACCESS), no
# traces; none of its options turns the reports off. Its CALC bandwidth mode (no
# stalls) makes its total cycles the stall-free compute cycles. SCALE-Sim has no
# padding: the topology's IFMAP is the padded input (H + pad_top + pad_bottom).
# sparq-sim runs configs/base.yaml with --set trace.layers=[LAYER] --set pe.design=D
# --set array.rows=R --set array.cols=R -q --out TMP (fast fidelity): it simulates
# every MAC's operands and values, checks them against the exact int8 reference
# and the float model, and computes area and energy; SCALE-Sim computes addresses only.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
here=$root/bench/scalesim
reps=${1:-${REPS:-3}}
sizes=${SIZES:-"8 16 32 64 128 256 512"}
inner=${SPARQ_INNER:-3}
cpu_limit=${CPU_LIMIT:-600}
layer=${LAYER:-conv2d_11}
bundle=${BUNDLE:-$root/traces/inceptionv3-dog}
trace_sizes=${TRACE_SIZES-32}
ssdir=${SCALESIM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sparq-bench/scale-sim-v2}
py=${PYTHON:-/usr/bin/python3}
exe=${SPARQ_SIM:-$root/build/release/sim/sparq-sim}

die() { echo "scalesim_compare.sh: $*" >&2; exit 1; }
for v in "$reps" "$inner" "$cpu_limit"; do [[ $v =~ ^[1-9][0-9]*$ ]] || die "REPS, SPARQ_INNER, CPU_LIMIT must be positive integers"; done
for r in $sizes $trace_sizes; do [[ $r =~ ^[1-9][0-9]*$ ]] || die "bad array size '$r'"; done
[[ -x $py ]] || py=$(command -v python3) || die "python3 is required (timer; SCALE-Sim)"
[[ -f $bundle/manifest.yaml ]] || die "no bundle at $bundle"

# ---------------------------------------------------------------- simulator
# shellcheck source=bench/common.sh
source "$root/bench/common.sh"
ensure_sparq_sim "$root" "$exe" || exit 1

# ---------------------------------------------------------------- SCALE-Sim
have_ss=0
if [[ -f $ssdir/scalesim/scale.py ]] &&
   PYTHONPATH=$ssdir "$py" -c 'import scalesim.scale_sim' 2> /dev/null; then
  have_ss=1
  ssver=$(git -C "$ssdir" log -1 --format='commit %h (%cs)' 2> /dev/null ||
          sed -n "s/.*version='\([^']*\)'.*/version \1/p" "$ssdir/setup.py" 2> /dev/null || echo "version unknown")
  echo "SCALE-Sim v2: $ssdir, $ssver, $("$py" --version 2>&1)"
else
  echo "SCALE-Sim v2 not available at SCALESIM_DIR=$ssdir (or not importable with $py):"
  echo "  skipping its half. To enable: a checkout of the SCALE-Sim v2 repository (scalesim-project/scale-sim-v2; its scalesim/, configs/ and topologies/ suffice) DIR;"
  echo "  apt-get install python3-numpy python3-pandas python3-absl python3-tqdm; SCALESIM_DIR=DIR $0"
fi

# ------------------------------------------------------------------ geometry
# The layer's entry in the manifest: one "key: [a, b, ...]" per line.
geom() {  # key -> space-separated values
  awk -v L="$layer" -v k="$2" '
    /^  - name: / {in_l = ($3 == L)}
    in_l && $1 == k":" {sub(/^[^:]*: *\[/, ""); sub(/\].*/, ""); gsub(/,/, " "); print; exit}' "$1/manifest.yaml"
}
op=$(awk -v L="$layer" '/^  - name: /{in_l=($3==L)} in_l && $1=="op:"{print $2; exit}' "$bundle/manifest.yaml")
[[ -n $op ]] || die "layer $layer not in $bundle/manifest.yaml"
read -r ih iw ic <<< "$(geom "$bundle" input_shape)"
read -r oh ow oc <<< "$(geom "$bundle" output_shape)"
read -r kh kw <<< "$(geom "$bundle" kernel)"
read -r sh sw <<< "$(geom "$bundle" stride)"
read -r dh dw <<< "$(geom "$bundle" dilation)"
read -r pt pb pl pr <<< "$(geom "$bundle" padding)"
groups=$(awk -v L="$layer" '/^  - name: /{in_l=($3==L)} in_l && $1=="groups:"{print $2; exit}' "$bundle/manifest.yaml")
[[ $op == conv2d && $groups == 1 && $dh == 1 && $dw == 1 && $sh == "$sw" ]] ||
  die "$layer: only plain conv2d (groups 1, dilation 1, equal strides) maps onto a SCALE-Sim conv topology"
ph=$((ih + pt + pb)); pw=$((iw + pl + pr))
# SCALE-Sim's output size: ceil((H - kh + s) / s); must be the layer's.
ss_oh=$(( (ph - kh + sh + sh - 1) / sh )); ss_ow=$(( (pw - kw + sw + sw - 1) / sw ))
[[ $ss_oh == "$oh" && $ss_ow == "$ow" ]] || die "$layer: SCALE-Sim would compute a ${ss_oh}x${ss_ow} output, the layer is ${oh}x${ow}"
M=$((oh * ow)); N=$oc; K=$((kh * kw * ic))
echo "layer $layer: $op ${kh}x${kw}/$sh ${ih}x${iw}x${ic} -> ${oh}x${ow}x${oc}, padding [$pt $pb $pl $pr]" \
     "(SCALE-Sim IFMAP ${ph}x${pw}); GEMM M=$M N=$N K=$K, $((M * N * K)) MACs"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sparq-scalesim.XXXXXX")
if [[ ${KEEP_TMP:-0} == 1 ]]; then echo "temp dir kept: $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi

printf 'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n%s, %d, %d, %d, %d, %d, %d, %d,\n' \
  "$layer" "$ph" "$pw" "$kh" "$kw" "$ic" "$oc" "$sh" > "$tmp/topology.csv"
write_cfg() {  # R -> config path
  cat > "$tmp/ws_$1.cfg" << EOF
[general]
run_name = ${layer}_${1}x${1}_ws

[architecture_presets]
ArrayHeight:    $1
ArrayWidth:     $1
IfmapSramSzkB:   64
FilterSramSzkB:  64
OfmapSramSzkB:   64
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : ws
MemoryBanks:   1

[run_presets]
InterfaceBandwidth: CALC
EOF
  echo "$tmp/ws_$1.cfg"
}

# ------------------------------------------------------------------- helpers
median() { sort -g | awk '{a[NR]=$1} END{if(!NR) print "nan"; else if(NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
cpu_of() { awk '{printf "%.6f\n", $2 + $3}' "$1"; }  # cputime.py result -> user+sys
json_value() {  # results.json key-within-totals -> first "value"
  sed -n "s/.*\"$2\": {\"value\": \([0-9.e+-]*\).*/\1/p" "$1" | head -1
}
ss_cycles_of() {  # COMPUTE_REPORT.csv -> total (= compute, no stalls) cycles
  awk -F, 'NR==2{gsub(/ /,"",$2); gsub(/ /,"",$3); print $2, $3}' "$1"
}

run_ss() {  # R rep: one SCALE-Sim CLI run; appends CPU seconds to $tmp/ss_R.cpu
  local R=$1 i=$2 cfg d=$tmp/ss_$1_$2
  cfg=$(write_cfg "$R")
  (cd "$tmp" && PYTHONPATH=$ssdir "$py" "$here/cputime.py" --cpu-limit "$cpu_limit" "$d.time" \
     "$py" -m scalesim.scale -c "$cfg" -t "$tmp/topology.csv" -p "$d") > "$d.log" 2>&1
  read -r _ _ _ rss status < "$d.time"
  if ((status == 152 || status == 137)); then
    echo stopped > "$tmp/ss_$R.stopped"; return 0
  fi
  ((status == 0)) || { tail -20 "$d.log" >&2; die "SCALE-Sim failed at ${R}x${R} (status $status, log above)"; }
  local rep=$d/${layer}_${R}x${R}_ws/COMPUTE_REPORT.csv
  [[ -f $rep ]] || die "SCALE-Sim wrote no $rep"
  read -r cyc stall < <(ss_cycles_of "$rep")
  [[ $stall == 0 ]] || echo "WARNING: SCALE-Sim reports $stall stall cycles at ${R}x${R}" >&2
  echo "$cyc" > "$tmp/ss_$R.cycles"
  cpu_of "$d.time" >> "$tmp/ss_$R.cpu"
  echo "$rss" >> "$tmp/ss_$R.rss"
  du -sb "$d" | cut -f1 > "$tmp/ss_$R.bytes"
  rm -rf "$d"
}

run_sq() {  # design R idx: one sparq-sim run; appends CPU seconds to $tmp/sq_design_R.cpu
  local D=$1 R=$2 i=$3 o=$tmp/sq_$1_$2_$3
  (cd "$root" && "$py" "$here/cputime.py" "$o.time" "$exe" run configs/base.yaml \
     --set "trace.bundle=$bundle" --set "trace.layers=[$layer]" --set "pe.design=$D" \
     --set "array.rows=$R" --set "array.cols=$R" -q --out "$o") > "$o.log" 2>&1
  read -r _ _ _ _ status < "$o.time"
  ((status == 0)) || { cat "$o.log" >&2; die "sparq-sim failed ($D, ${R}x${R})"; }
  json_value "$o/results.json" total > "$tmp/sq_${D}_$R.cycles"
  cpu_of "$o.time" >> "$tmp/sq_${D}_$R.cpu"
  rm -rf "$o"
}

# ---------------------------------------------------------------------- runs
echo "load before: $(uptime)"
echo "repetitions per size: $reps x (1 SCALE-Sim run, then $inner x {sparq-sim int8, sparq-sim vsparq}); CPU limit per SCALE-Sim run ${cpu_limit} s"
for R in $sizes; do
  # Cross-check (untimed): sparq-sim's own SCALE-Sim-compatible count and the offset.
  (cd "$root" && "$exe" run configs/base.yaml --set "trace.bundle=$bundle" --set "trace.layers=[$layer]" \
     --set pe.design=int8 --set "array.rows=$R" --set "array.cols=$R" \
     --set simulation.scalesim_compatible=true -q --out "$tmp/check_$R") > "$tmp/check_$R.log" 2>&1 ||
    { cat "$tmp/check_$R.log" >&2; die "sparq-sim failed (check run, ${R}x${R})"; }
  json_value "$tmp/check_$R/results.json" scalesim_compute > "$tmp/sq_check_$R.ss"
  rm -rf "$tmp/check_$R"
  for ((i = 1; i <= reps; i++)); do
    if ((have_ss)) && [[ ! -f $tmp/ss_$R.stopped ]]; then run_ss "$R" "$i"; fi
    for ((j = 1; j <= inner; j++)); do
      run_sq int8 "$R" "$i.$j"
      run_sq vsparq "$R" "$i.$j"
    done
  done
  if [[ -f $tmp/ss_$R.stopped ]]; then s="SCALE-Sim stopped at the ${cpu_limit} s CPU limit"
  elif ((have_ss)); then s="SCALE-Sim $(median < "$tmp/ss_$R.cpu") s"; else s="SCALE-Sim skipped"; fi
  echo "  ${R}x${R} done: $s, int8 $(median < "$tmp/sq_int8_$R.cpu") s, vsparq $(median < "$tmp/sq_vsparq_$R.cpu") s CPU; $(uptime | sed 's/.*\(load average\)/\1/')"
done
echo "load after: $(uptime)"

# --------------------------------------------------------------------- table
echo
echo "$layer, ws, CPU seconds = user+sys of the process, median of $reps (SCALE-Sim) / $((reps * inner)) (sparq-sim) runs"
printf '%8s | %10s %10s %5s %s | %9s %7s | %9s %8s | %9s %8s | %10s\n' \
  array "SS cycles" "int8 cyc" diff chk "SS cpu" "SS MiB" "int8 cpu" "SS/int8" "vsq cpu" "SS/vsq" "vsq cyc"
fails=0
for R in $sizes; do
  ic8=$(cat "$tmp/sq_int8_$R.cycles"); vc=$(cat "$tmp/sq_vsparq_$R.cycles")
  own=$(cat "$tmp/sq_check_$R.ss")
  c8=$(median < "$tmp/sq_int8_$R.cpu"); cv=$(median < "$tmp/sq_vsparq_$R.cpu")
  # SCALE-Sim's formula (hw_models/systemc/README.md): ceil(K/R)*ceil(N/R)*(2R+R+M-2)-1
  formula=$(( ((K + R - 1) / R) * ((N + R - 1) / R) * (3 * R + M - 2) - 1 ))
  if [[ -f $tmp/ss_$R.cycles ]]; then
    sc=$(cat "$tmp/ss_$R.cycles"); scpu=$(median < "$tmp/ss_$R.cpu")
    srss=$(awk '{print $1 / 1024}' < "$tmp/ss_$R.rss" | median)
    diff=$((ic8 - sc))
    chk=ok; [[ $sc == "$own" && $diff == 2 && $sc == "$formula" ]] || { chk=MISMATCH; fails=1; }
    printf '%8s | %10d %10d %+5d %s | %9.3f %7.0f | %9.4f %7.1fx | %9.4f %7.1fx | %10d\n' "${R}x${R}" "$sc" "$ic8" "$diff" "$chk " \
      "$scpu" "$srss" "$c8" "$(awk -v a="$scpu" -v b="$c8" 'BEGIN{print a / b}')" \
      "$cv" "$(awk -v a="$scpu" -v b="$cv" 'BEGIN{print a / b}')" "$vc"
  else
    why=skipped; [[ -f $tmp/ss_$R.stopped ]] && why=">${cpu_limit}s"
    chk=ok; [[ $own == "$formula" && $((ic8 - own)) == 2 ]] || { chk=MISMATCH; fails=1; }
    printf '%8s | %10s %10d %5s %s | %9s %7s | %9.4f %8s | %9.4f %8s | %10d\n' "${R}x${R}" "($own)" "$ic8" "" "$chk " \
      "$why" "" "$c8" "" "$cv" "" "$vc"
  fi
done
cat << EOF

SS cycles: SCALE-Sim's COMPUTE_REPORT "Total Cycles" (stall-free; in parentheses when SCALE-Sim did
  not run: sparq-sim's simulation.scalesim_compatible count). int8 cyc: sparq-sim cycles.total.
  diff = int8 - SS (documented ws offset: +2 per GEMM). chk: SS cycles = sparq-sim's
  scalesim_compute = ceil(K/R)*ceil(N/R)*(3R+M-2)-1 and diff = +2.
SS MiB: SCALE-Sim's peak RSS. vsq: sparq-sim vsparq (pair steps: ceil(K/2) per column).
EOF

# -------------------------------------------------- SCALE-Sim with its traces
if ((have_ss)) && [[ -n $trace_sizes ]]; then
  echo
  echo "SCALE-Sim with its trace CSVs (Python API default save_disk_space=False; one run each):"
  for R in $trace_sizes; do
    cfg=$(write_cfg "$R"); d=$tmp/sstrace_$R
    (cd "$tmp" && "$py" "$here/cputime.py" --cpu-limit "$cpu_limit" "$d.time" \
       "$py" "$here/run_api.py" "$ssdir" "$cfg" "$tmp/topology.csv" "$d" --traces) > "$d.log" 2>&1
    read -r _ _ _ rss status < "$d.time"
    if ((status != 0)); then echo "  ${R}x${R}: stopped or failed (status $status)"; continue; fi
    bytes=$(du -sb "$d" | cut -f1); files=$(find "$d" -type f | wc -l)
    notrace=""; [[ -f $tmp/ss_$R.cpu ]] && notrace=" (without traces: $(median < "$tmp/ss_$R.cpu") s CPU, $(cat "$tmp/ss_$R.bytes") bytes)"
    printf '  %sx%s: %.3f s CPU, peak RSS %.0f MiB, wrote %d files, %.1f MB%s\n' "$R" "$R" "$(cpu_of "$d.time")" \
      "$(awk -v k="$rss" 'BEGIN{print k / 1024}')" "$files" "$(awk -v b="$bytes" 'BEGIN{print b / 1e6}')" "$notrace"
    find "$d" -name '*.csv' -size +1k -printf '    %f %s bytes\n' | sort
    rm -rf "$d"
  done
fi
((fails == 0)) || die "cycle cross-check failed (MISMATCH above)"
