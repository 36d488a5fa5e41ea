#!/usr/bin/env bash
# Installs the Debian packages the project needs (only those missing) and
# builds one CMake preset (default: release). Safe to run repeatedly: a
# configured, up-to-date tree costs a second.
#   tools/setup.sh [dev|asan-ubsan|release]
#   tools/setup.sh python   # the release build, then the Python package `sparq`
#                           # installed into Debian python3's user site (docs/python.md)
# Quiet: apt, CMake and the compiler write to build/<preset>-setup.log, and
# only a line saying what is happening reaches the terminal (the log's tail
# if a step fails). SPARQ_VERBOSE_BUILD=1 shows everything.
set -euo pipefail
preset=${1:-release}
install_python=0
if [ "$preset" = python ]; then
  preset=release
  install_python=1
fi
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/build"
log="$root/build/$preset-setup.log"
: >"$log"
# Runs a step with its output in the log; on failure prints the log's tail.
quiet() {
  if [ "${SPARQ_VERBOSE_BUILD:-0}" = 1 ]; then
    "$@" >&2
  elif ! "$@" >>"$log" 2>&1; then
    echo "setup: failed: $*" >&2
    echo "setup: last lines of $log:" >&2
    tail -n 60 "$log" >&2
    exit 1
  fi
}

packages=(g++ cmake ninja-build pkg-config ccache parallel clang-format python3 libsystemc-dev libyaml-cpp-dev libboost-program-options-dev
          libgtest-dev libgmock-dev
          python3-dev python3-numpy python3-pybind11 python3-pytest  # the Python module (python/) and its tests
          slurm-wlm munge)  # the last two: the Slurm job-array test (tests/cli_slurm.sh)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  quiet $sudo apt-get update -qq
  quiet $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cd "$root"
# Paths relative to the checkout in ccache's keys: another clone reuses the cache.
export CCACHE_BASEDIR="$root"
if [ ! -f "build/$preset/build.ninja" ]; then
  echo "setup: building the $preset preset (the first build takes a few minutes on 2 cores; log: build/$preset-setup.log)" >&2
  quiet cmake --preset "$preset"
else
  # Sources newer than the last successful build: say so (a rebuild can take minutes).
  stamp="build/$preset/.setup-built"
  if [ ! -f "$stamp" ] || [ -n "$(find CMakeLists.txt CMakePresets.json hw_models sim tests bench fuzz python \
                                      -newer "$stamp" -type f -print -quit 2>/dev/null)" ]; then
    echo "setup: rebuilding the $preset preset (log: build/$preset-setup.log)" >&2
  fi
fi
quiet cmake --build --preset "$preset"
touch "build/$preset/.setup-built"
if [ "$install_python" = 1 ]; then
  site=$(/usr/bin/python3 -m site --user-site)
  quiet cmake --install "build/$preset" --component python --prefix "$site"
  echo "setup: installed the Python package sparq into $site/sparq (/usr/bin/python3 -c 'import sparq')" >&2
fi
