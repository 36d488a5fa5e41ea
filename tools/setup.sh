#!/usr/bin/env bash
# Installs the Debian packages the project needs (only those missing) and
# builds one CMake preset (default: release). Safe to run repeatedly: a
# configured, up-to-date tree costs a second.
#   tools/setup.sh [dev|asan-ubsan|release]
#   tools/setup.sh python   # the release build, then the Python package `sparq`
#                           # installed into Debian python3's user site (docs/python.md)
set -euo pipefail
preset=${1:-release}
install_python=0
if [ "$preset" = python ]; then
  preset=release
  install_python=1
fi
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(g++ cmake ninja-build pkg-config ccache parallel clang-format python3 libsystemc-dev libyaml-cpp-dev libboost-program-options-dev
          libgtest-dev libgmock-dev
          python3-dev python3-numpy python3-pybind11 python3-pytest  # the Python module (python/) and its tests
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
if [ "$install_python" = 1 ]; then
  site=$(/usr/bin/python3 -m site --user-site)
  cmake --install "build/$preset" --component python --prefix "$site" >&2
  echo "setup: installed the Python package sparq into $site/sparq (/usr/bin/python3 -c 'import sparq')" >&2
fi
