#!/bin/bash
# Installs what the PyTorch exporter's tests need (Debian packages, as root;
# 'apt-get update' only when an install finds no candidate) and runs them
# with Debian's python3. Usage: bash tools/torch_export/ci_test.sh
set -euo pipefail
cd "$(dirname "$0")"

PKGS=(python3-torch python3-torchvision python3-numpy python3-yaml python3-pil darknet python3-pytest)
missing=()
for p in "${PKGS[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "torch_export: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "torch_export: need root to apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  start=$(date +%s)
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  echo "torch_export: install took $(( $(date +%s) - start )) s"
fi

# Debian's interpreter: the packages above live in its dist-packages, not in
# any other python3 on PATH.
/usr/bin/python3 test_torch_export.py
# Whole networks through torch.fx, executed by sparq-sim (build/dev if built).
/usr/bin/python3 test_torch_network.py
# sparq.torch (tests/python/test_torch.py, the README's example among them)
# against the dev build's sparq module, torch required. Without that build it
# is skipped, unless SPARQ_REQUIRE_TORCH is set (CI sets it).
root=$(cd ../.. && pwd)
if [ -f "$root/build/dev/python/sparq/__init__.py" ]; then
  SPARQ_REQUIRE_TORCH=1 PYTHONPATH="$root/build/dev/python" SPARQ_SOURCE_DIR="$root" PYTHONDONTWRITEBYTECODE=1 \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider "$root/tests/python/test_torch.py"
elif [ -n "${SPARQ_REQUIRE_TORCH:-}" ]; then
  echo "torch_export: no sparq module in $root/build/dev/python (build the dev preset first)" >&2
  exit 1
else
  echo "torch_export: sparq.torch test skipped: no sparq module in $root/build/dev/python"
fi
