#!/usr/bin/env bash
# Runs a small real-trace sweep once in one piece and once as 3 shards under
# GNU parallel, merges the shards, and requires identical results.
set -euo pipefail
exe=$1
src=$2
command -v parallel >/dev/null || { echo "GNU parallel is not installed (Debian package 'parallel')"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/sweep.yaml" <<YAML
base: $src/configs/base.yaml
set: {trace.layers: [conv2d_79], trace.max_pixels: 16}
points:
  - {name: int8, set: {pe.design: int8}}
  - {name: vsparq-3opt, set: {pe.design: vsparq, pe.shift_set: 3opt}}
axes:
  array.rows: [8, 16]
YAML
"$exe" sweep "$tmp/sweep.yaml" --no-progress --out "$tmp/whole" > "$tmp/whole.log"
parallel --will-cite --halt now,fail=1 -j 2 \
  "$exe" sweep "$tmp/sweep.yaml" --no-progress --shard {}/3 --out "$tmp/shard{}" ::: 0 1 2 > "$tmp/shards.log"
"$exe" merge "$tmp/shard0" "$tmp/shard1" "$tmp/shard2" --out "$tmp/merged"
cmp "$tmp/whole/sweep_summary.csv" "$tmp/merged/sweep_summary.csv"
cmp "$tmp/whole/sweep_layers.csv" "$tmp/merged/sweep_layers.csv"
rows=$(($(wc -l < "$tmp/merged/sweep_summary.csv") - 1))
[ "$rows" -eq 4 ] || { echo "expected 4 summary rows, got $rows"; exit 1; }
echo "GNU parallel: 3 shards merged into $rows rows, identical to the unsharded sweep"
