#!/usr/bin/env bash
# Builds a preset (default: dev, warnings as errors) and runs the whole test
# suite through CTest: tools/test.sh [dev|asan-ubsan]
set -euo pipefail
preset=${1:-dev}
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/setup.sh" "$preset"
cd "$root"
ctest --preset "$preset"
