#!/usr/bin/env bash
# End-to-end speed and memory of the simulator as users run it: the paper's
# design comparison (configs/sweeps/paper.yaml: 10 PE designs x all 13
# InceptionV3 layers, 16x16 ws array, fast fidelity) as a sweep with --jobs 2,
# plus the README's default run. Prints wall time, simulated MACs, MACs per
# second and the peak resident memory of the largest point.
#   bench/sweep_bench.sh [jobs]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${1:-2}
cd "$root"
tools/setup.sh release
exe=build/release/sim/sparq-sim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

start=$(date +%s.%N)
"$exe" run configs/default.yaml --quiet --out "$tmp/default"
end=$(date +%s.%N)
echo "default run (10 designs x conv2d_11, 101.6 M MACs each): $(echo "$end - $start" | bc) s wall"

start=$(date +%s.%N)
"$exe" sweep configs/sweeps/paper.yaml --jobs "$jobs" --no-progress --out "$tmp/paper" > "$tmp/sweep.log"
end=$(date +%s.%N)
wall=$(echo "$end - $start" | bc)
# Sum of useful MACs over all points (column throughput.macs of sweep_summary.csv).
macs=$(awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i=="throughput.macs [MAC]") c=i; next} {s+=$c} END{printf "%.0f", s}' \
  "$tmp/paper/sweep_summary.csv")
rss=$(grep -h -A0 '"peak_rss"' "$tmp"/paper/points/*/results.json | sed 's/.*"value": \([0-9.]*\).*/\1/' | sort -g | tail -1)
points=$(($(wc -l < "$tmp/paper/sweep_summary.csv") - 1))
echo "paper sweep: $points points, $macs simulated MACs in $wall s wall with --jobs $jobs"
echo "  = $(echo "$macs / $wall / 1000000" | bc) M MAC/s over the sweep; peak RSS of one point: $rss MiB"
