#!/usr/bin/env bash
# SCALE-Sim v2's memory model and sparq-sim's side by side on real InceptionV3
# layers (traces/inceptionv3-dog), int8 (one byte per operand, like SCALE-Sim):
# the parity cases (scratchpads that hold the layer, ample bandwidth: the cycles
# must agree) and the cases where they differ, with SCALE-Sim's artefacts
# counted. The reasons: bench/scalesim/memory_comparison.md.
#
#   SCALESIM_DIR=/path/to/scale-sim-v2 bench/scalesim_memory.sh [CASE ...]
#
# CASE (default: parity compare):
#   parity   conv2d_11 and dense_1, ws and os, R x R for R in PARITY_SIZES; SCALE-Sim
#            with 8192 KB scratchpads and Bandwidth 100000 (InterfaceBandwidth: USER),
#            sparq-sim with memory.enabled and every other memory key at its default
#            (unlimited: configs/memory/ideal.yaml); checks SCALE-Sim's stall = 0,
#            its total = sparq-sim's scalesim_compute, sparq-sim's stall = 0
#   compare  conv2d_11 ws 32x32 with SCALE-Sim's default scratchpads (configs/scale.cfg:
#            64 KB each, Bandwidth 10) against sparq-sim at 10 and 30 bytes/cycle
#   whole    conv2d_11 ws 32x32, 4096 KB scratchpads (the layer fits), Bandwidth 16:
#            the im2col and padding fetch, the uncounted fill and drain
#   dense    dense_1 ws 16x16, 16 KB scratchpads, Bandwidth 10: the refetch of
#            whole half-buffers (SCALE-Sim with memory_probe.py --no-dram-trace: its
#            DRAM trace grows quadratically here; no count or cycle changes)
#   conv1x1  conv2d_6 (1x1, 35x35x192 -> 64) ws 32x32, 64 KB scratchpads, Bandwidth 10
#   all      every case above
#
# Environment:
#   SCALESIM_DIR   a SCALE-Sim v2 source tree (the directory holding scalesim/scale.py),
#                  default ${XDG_CACHE_HOME:-$HOME/.cache}/sparq-bench/scale-sim-v2
#                  (a checkout of scalesim-project/scale-sim-v2; measured at commit 22f88b1;
#                  runs with Debian's python3-numpy python3-pandas python3-absl python3-tqdm)
#   PYTHON         interpreter (default /usr/bin/python3)
#   SPARQ_SIM      the simulator (default build/release/sim/sparq-sim; built if missing;
#                  it must know the `memory:` section)
#   BUNDLE         trace bundle (default traces/inceptionv3-dog)
#   PARITY_SIZES   array sizes of the parity case (default "32")
#   KEEP_TMP=1     keep the temp directory (configs, topologies, JSON, logs)
#
# SCALE-Sim runs through bench/scalesim/memory_probe.py (its Python API, no trace
# CSVs, as its command line does; it also counts, without changing them, the
# prefetches of its read buffers and the padding in its ifmap prefetch matrix).
# SCALE-Sim has no padding: its IFMAP is the padded input. Its word is one byte
# (single_layer_sim.py: word_size = 1) and Bandwidth is words per cycle per
# interface (ifmap, filter and ofmap each get it), so sparq-sim's
# memory.dram_bandwidth (one shared interface) is run at Bandwidth and 3x Bandwidth.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
here=$root/bench/scalesim
bundle=${BUNDLE:-$root/traces/inceptionv3-dog}
ssdir=${SCALESIM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sparq-bench/scale-sim-v2}
py=${PYTHON:-/usr/bin/python3}
exe=${SPARQ_SIM:-$root/build/release/sim/sparq-sim}
parity_sizes=${PARITY_SIZES:-32}

die() { echo "scalesim_memory.sh: $*" >&2; exit 1; }
[[ -x $py ]] || py=$(command -v python3) || die "python3 is required"
[[ -f $bundle/manifest.yaml ]] || die "no bundle at $bundle"
for r in $parity_sizes; do [[ $r =~ ^[1-9][0-9]*$ ]] || die "bad array size '$r'"; done
cases=("$@")
((${#cases[@]})) || cases=(parity compare)
for c in "${cases[@]}"; do
  [[ $c =~ ^(parity|compare|whole|dense|conv1x1|all)$ ]] || die "unknown case '$c' (parity compare whole dense conv1x1 all)"
done
[[ " ${cases[*]} " == *" all "* ]] && cases=(parity compare whole dense conv1x1)

# shellcheck source=bench/common.sh
source "$root/bench/common.sh"
ensure_sparq_sim "$root" "$exe" || exit 1
help=$("$exe" run --help 2>&1) || true
[[ $help == *$'\n  memory:'* ]] || die "$exe has no memory section (sparq-sim run --help); rebuild it"

if ! [[ -f $ssdir/scalesim/scale.py ]] || ! PYTHONPATH=$ssdir "$py" -c 'import scalesim.scale_sim' 2> /dev/null; then
  die "SCALE-Sim v2 not importable at SCALESIM_DIR=$ssdir with $py (a checkout of scalesim-project/scale-sim-v2;
  apt-get install python3-numpy python3-pandas python3-absl python3-tqdm)"
fi
ssver=$(git -C "$ssdir" log -1 --format='commit %h (%cs)' 2> /dev/null ||
        sed -n "s/.*version='\([^']*\)'.*/version \1/p" "$ssdir/setup.py" 2> /dev/null || echo "version unknown")
echo "SCALE-Sim v2: $ssdir, $ssver, $("$py" --version 2>&1)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sparq-ssmem.XXXXXX")
if [[ ${KEEP_TMP:-0} == 1 ]]; then echo "temp dir kept: $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi

# ------------------------------------------------------------------ geometry
geom() {  # layer key -> space-separated values (one "key: [a, b, ...]" line of the manifest)
  awk -v L="$1" -v k="$2" '
    /^  - name: / {in_l = ($3 == L)}
    in_l && $1 == k":" {sub(/^[^:]*: *\[/, ""); sub(/\].*/, ""); gsub(/,/, " "); print; exit}' "$bundle/manifest.yaml"
}
scalar() {  # layer key -> value
  awk -v L="$1" -v k="$2" '/^  - name: /{in_l=($3==L)} in_l && $1==k":"{print $2; exit}' "$bundle/manifest.yaml"
}
topology() {  # layer -> writes $tmp/LAYER.csv, echoes "pt,pb,pl,pr"
  local layer=$1 op groups ih iw ic oh ow oc kh kw sh sw dh dw pt pb pl pr ph pw
  op=$(scalar "$layer" op); groups=$(scalar "$layer" groups)
  [[ -n $op ]] || die "layer $layer not in $bundle/manifest.yaml"
  read -r ih iw ic <<< "$(geom "$layer" input_shape)"
  read -r oh ow oc <<< "$(geom "$layer" output_shape)"
  read -r kh kw <<< "$(geom "$layer" kernel)"
  read -r sh sw <<< "$(geom "$layer" stride)"
  read -r dh dw <<< "$(geom "$layer" dilation)"
  read -r pt pb pl pr <<< "$(geom "$layer" padding)"
  [[ $op =~ ^(conv2d|dense)$ && $groups == 1 && $dh == 1 && $dw == 1 && $sh == "$sw" ]] ||
    die "$layer: only plain conv2d / dense layers (groups 1, dilation 1, equal strides) map onto a SCALE-Sim topology"
  ph=$((ih + pt + pb)); pw=$((iw + pl + pr))
  (( (ph - kh + sh + sh - 1) / sh == oh && (pw - kw + sw + sw - 1) / sw == ow )) ||
    die "$layer: SCALE-Sim would compute another output size than ${oh}x${ow}"
  printf 'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n%s, %d, %d, %d, %d, %d, %d, %d,\n' \
    "$layer" "$ph" "$pw" "$kh" "$kw" "$ic" "$oc" "$sh" > "$tmp/$layer.csv"
  echo "$pt,$pb,$pl,$pr"
}

# ---------------------------------------------------------------------- runs
run_ss() {  # name layer df R ifmap_kb filter_kb ofmap_kb bandwidth [probe option] -> $tmp/NAME.ss.json
  local name=$1 layer=$2 df=$3 R=$4 pad
  pad=$(topology "$layer")
  cat > "$tmp/$name.cfg" << EOF
[general]
run_name = $name

[architecture_presets]
ArrayHeight:    $R
ArrayWidth:     $R
IfmapSramSzkB:   $5
FilterSramSzkB:  $6
OfmapSramSzkB:   $7
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : $8
Dataflow : $df
MemoryBanks:   1

[run_presets]
InterfaceBandwidth: USER
EOF
  local t0=$SECONDS
  (cd "$tmp" && "$py" "$here/memory_probe.py" "$ssdir" "$tmp/$name.cfg" "$tmp/$layer.csv" "$tmp/$name.ssout" \
     --pad "$pad" ${9:+"$9"} > "$tmp/$name.ss.json" 2> "$tmp/$name.ss.log") ||
    { tail -20 "$tmp/$name.ss.log" >&2; die "SCALE-Sim failed ($name)"; }
  echo "  SCALE-Sim $name: $((SECONDS - t0)) s" >&2
  rm -rf "$tmp/$name.ssout"
}

run_sq() {  # name layer df R [--set ...] -> $tmp/NAME/results.json
  local name=$1 layer=$2 df=$3 R=$4
  shift 4
  (cd "$root" && "$exe" run configs/base.yaml --set "trace.bundle=$bundle" --set "trace.layers=[$layer]" \
     --set pe.design=int8 --set "array.rows=$R" --set "array.cols=$R" --set "array.dataflow=$df" \
     --set simulation.scalesim_compatible=true --set memory.enabled=true "$@" -q --out "$tmp/$name") \
     > "$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log" >&2; die "sparq-sim failed ($name)"; }
}

sq_mem() {  # ifmap_kb filter_kb ofmap_kb bandwidth -> --set arguments
  echo "--set memory.ifmap_kib=$1 --set memory.filter_kib=$2 --set memory.ofmap_kib=$3 --set memory.dram_bandwidth=$4"
}

compare_case() {  # name layer df R kb bw description [probe option]
  local name=$1 layer=$2 df=$3 R=$4 kb=$5 bw=$6 desc=$7
  run_ss "$name" "$layer" "$df" "$R" "$kb" "$kb" "$kb" "$bw" "${8:-}"
  # shellcheck disable=SC2046
  run_sq "$name.sq1" "$layer" "$df" "$R" $(sq_mem "$kb" "$kb" "$kb" "$bw")
  # shellcheck disable=SC2046
  run_sq "$name.sq3" "$layer" "$df" "$R" $(sq_mem "$kb" "$kb" "$kb" $((3 * bw)))
  echo "compare|$name|$layer|$desc|$tmp/$name.ss.json|$bw B/cyc=$tmp/$name.sq1/results.json,$((3 * bw)) B/cyc=$tmp/$name.sq3/results.json" \
    >> "$tmp/cases"
}

echo "load before: $(uptime)"
: > "$tmp/cases"
for c in "${cases[@]}"; do
  case $c in
    parity)
      for R in $parity_sizes; do
        for layer in conv2d_11 dense_1; do
          for df in ws os; do
            n=par_${layer}_${df}_$R
            run_ss "$n" "$layer" "$df" "$R" 8192 8192 8192 100000
            run_sq "$n.sq" "$layer" "$df" "$R"  # every memory key at its default: configs/memory/ideal.yaml
            echo "parity|$n|$layer|$layer $df ${R}x$R|$tmp/$n.ss.json|ideal=$tmp/$n.sq/results.json" >> "$tmp/cases"
          done
        done
      done ;;
    compare) compare_case cmp_c11 conv2d_11 ws 32 64 10 \
      "conv2d_11 (3x3, 35x35x96 -> 96) ws 32x32, scratchpads 64 KB each, Bandwidth 10 (SCALE-Sim's configs/scale.cfg)" ;;
    whole) compare_case whole_c11 conv2d_11 ws 32 4096 16 \
      "conv2d_11 ws 32x32, scratchpads 4096 KB each (the layer fits), Bandwidth 16" ;;
    dense) compare_case dense_d1 dense_1 ws 16 16 10 \
      "dense_1 (2048 -> 256) ws 16x16, scratchpads 16 KB each, Bandwidth 10" --no-dram-trace ;;
    conv1x1) compare_case c1x1_c6 conv2d_6 ws 32 64 10 \
      "conv2d_6 (1x1, 35x35x192 -> 64) ws 32x32, scratchpads 64 KB each, Bandwidth 10" ;;
  esac
done
echo "load after: $(uptime)"
echo
"$py" "$here/memory_table.py" "$tmp/cases"
