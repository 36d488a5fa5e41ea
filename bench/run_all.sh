#!/usr/bin/env bash
# Every speed figure of the simulator in one command (numbers recorded in
# bench/README.md):
#   1. the array models on real InceptionV3 layers at 16x16 and 32x32: the
#      fast (fold) model's MAC/s and its CPU time over a plain blocked int32
#      GEMM of the same layer, the stepped model, the structural model's
#      PE-cycles/s (bench/array_bench.cpp);
#   2. sparq-sim against SCALE-Sim v2 on conv2d_11, arrays 8x8 .. 512x512
#      (bench/scalesim_compare.sh; skipped with a message when SCALE-Sim is not
#      available, see that script);
#   3. the whole InceptionV3 network in one run, vsparq and int8, 32x32
#      (bench/whole_network.sh; exports the network once into a cache).
#
#   bench/run_all.sh [--quick]     (--quick: one repetition each, 32x32 only)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
reps=3
sizes=16,32
if [ "${1:-}" = "--quick" ]; then reps=1; sizes=32; fi
cmake --preset release >/dev/null
cmake --build --preset release --target sparq_array_bench sparq-sim >&2
pin=()
if command -v taskset >/dev/null && [ "$(nproc)" -gt 1 ]; then pin=(taskset -c 1); fi
echo "=== 1. array models (release, ${pin[*]:-unpinned}, best of $reps CPU times)"
"${pin[@]}" build/release/bench/sparq_array_bench --sizes "$sizes" --reps "$reps"
echo
echo "=== 2. sparq-sim vs SCALE-Sim v2"
SIZES="${SIZES:-8 16 32 64 128 256 512}" bash bench/scalesim_compare.sh "$reps"
echo
echo "=== 3. whole InceptionV3"
bash bench/whole_network.sh "$reps"
