#!/usr/bin/env bash
# Regenerates the network bundles (traces/README.md, "Network bundles") that
# are too large to commit (MobileNetV2 22 MB, InceptionV3 124 MB), into a
# cache outside the source tree, and links them as traces/net/<model>:
#   tools/export/network_bundles.sh [mobilenetv2] [inceptionv3]    (default: both)
# The cache is $SPARQ_NET_CACHE (default ~/.cache/sparq-sim/net). A bundle
# whose network.yaml already has the sha256 pinned in traces/net/SHA256SUMS is
# kept; otherwise it is exported again (tfjs on WASM from the lockfile, the
# photos from their Debian packages) and must then match the pin byte for
# byte (every array's sha256 is inside network.yaml). MobileNetV2 takes about
# 20 s, InceptionV3 about 3 min on two cores.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${SPARQ_NET_CACHE:-$HOME/.cache/sparq-sim/net}"
export SPARQ_EXPORT_CACHE="${SPARQ_EXPORT_CACHE:-$HOME/.cache/sparq-sim/export}"
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(mobilenetv2 inceptionv3)
pins="$root/traces/net/SHA256SUMS"
need_node() {
  command -v node >/dev/null && command -v npm >/dev/null && return
  echo "network_bundles: installing nodejs and npm (Debian)" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >&2
}
mkdir -p "$cache" "$root/traces/net"
status=0
for m in "${models[@]}"; do
  case "$m" in mobilenetv2|inceptionv3) ;; *) echo "network_bundles: unknown model '$m'" >&2; exit 2 ;; esac
  pin=$(awk -v f="$m/network.yaml" '$2 == f {print $1}' "$pins" 2>/dev/null || true)
  have=""
  [ -f "$cache/$m/network.yaml" ] && have=$(sha256sum "$cache/$m/network.yaml" | cut -d' ' -f1)
  if [ -n "$pin" ] && [ "$have" = "$pin" ]; then
    echo "network_bundles: $m up to date ($cache/$m)"
  else
    need_node
    if [ ! -d "$here/node_modules" ]; then (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error); fi
    start=$(date +%s)
    tmp="$cache/.$m.tmp.$$"
    rm -rf "$tmp"
    node "$here/export_network.js" --model "$m" --out "$tmp" --name "$m"
    rm -rf "$cache/$m"
    mv "$tmp" "$cache/$m"
    have=$(sha256sum "$cache/$m/network.yaml" | cut -d' ' -f1)
    echo "network_bundles: $m exported in $(( $(date +%s) - start )) s ($(du -sh "$cache/$m" | cut -f1))"
    if [ -z "$pin" ]; then
      echo "network_bundles: no pin for $m in $pins (network.yaml sha256 $have)" >&2
    elif [ "$have" != "$pin" ]; then
      echo "network_bundles: $m/network.yaml differs from its pin ($have, pinned $pin): not byte-identical" >&2
      status=1
    fi
  fi
  ln -sfn "$cache/$m" "$root/traces/net/$m"
done
exit $status
