#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Debian clang, ASan + UBSan, build/fuzz) and
# runs each for a bounded number of executions on its committed seed corpus
# (fuzz/corpus/<target>, valid and invalid files). New coverage goes to
# build/fuzz/corpus/<target>, never into the committed corpus. A finding (a
# crash, a sanitizer report, an exception other than InputError) fails the
# script; the reproducer is in build/fuzz/findings/<target>/.
#   fuzz/run.sh                 # the CI budget (about 290,000 executions)
#   SPARQ_FUZZ_SCALE=10 fuzz/run.sh   # ten times as many
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scale=${SPARQ_FUZZ_SCALE:-1}
if ! command -v clang++ >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >&2
  $sudo apt-get install -y -qq --no-install-recommends clang >&2
fi
export CCACHE_BASEDIR="$root"
if [ ! -f build/fuzz/build.ninja ]; then
  cmake -S . -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-O1 -g" \
    -DSPARQ_FUZZ=ON -DSPARQ_BUILD_TESTS=OFF -DSPARQ_BUILD_BENCH=OFF >&2
fi
cmake --build build/fuzz --target fuzz_npy fuzz_manifest fuzz_config fuzz_sweep >&2

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp
total=0
failed=0
# target:executions:max input length
for spec in npy:120000:4096 manifest:60000:8192 config:60000:4096 sweep:50000:2048; do
  IFS=: read -r t runs maxlen <<<"$spec"
  runs=$((runs * scale))
  mkdir -p "build/fuzz/corpus/$t" "build/fuzz/findings/$t"
  log="build/fuzz/$t.log"
  if build/fuzz/fuzz/fuzz_$t -runs="$runs" -max_len="$maxlen" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="build/fuzz/findings/$t/" "build/fuzz/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed=1
    tail -40 "$log" >&2
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo ?)
  total=$((total + execs))
  echo "fuzz_$t: $status, $execs executions, coverage $cov edges, corpus $(ls "build/fuzz/corpus/$t" | wc -l) new inputs"
done
echo "fuzzing: $total executions in all"
exit $failed
