#!/usr/bin/env bash
# Regenerates the golden results compared by tests/sim_cli.cpp
# (Cli.DefaultRunMatchesGolden). Run only after a deliberate change of the
# model, and say in the commit why the numbers moved.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tools/setup.sh dev
exe=build/dev/sim/sparq-sim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$exe" run configs/default.yaml --set trace.max_pixels=96 --set 'trace.layers=[conv2d_11, conv2d_37]' --quiet --out "$tmp"
mkdir -p tests/golden/default
cp "$tmp/summary.csv" "$tmp/layers.csv" tests/golden/default/
echo "golden results updated in tests/golden/default"
