#!/usr/bin/env bash
# Installs the Debian packages the project needs (only those missing) and
# builds one CMake preset (default: release). Safe to run repeatedly: a
# configured, up-to-date tree costs a second.
#   tools/setup.sh [dev|asan-ubsan|release]
set -euo pipefail
preset=${1:-release}
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(g++ cmake ninja-build pkg-config ccache parallel clang-format python3 libsystemc-dev libyaml-cpp-dev libboost-program-options-dev
          libgtest-dev libgmock-dev
          slurm-wlm munge)  # the last two: the Slurm job-array test (tests/cli_slurm.sh)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >&2
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

cd "$root"
# Paths relative to the checkout in ccache's keys: another clone reuses the cache.
export CCACHE_BASEDIR="$root"
if [ ! -f "build/$preset/build.ninja" ]; then
  cmake --preset "$preset" >&2
fi
cmake --build --preset "$preset" >&2
