#!/usr/bin/env bash
# CI smoke test of the exporter: installs the pinned dependencies from the
# lockfile (npm ci), exports one small layer of each model into a temporary
# directory and checks the bundles (manifest present, arrays consistent).
# Needs the npm registry and Debian's archive (apt-get download darknet).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
start=$(date +%s)
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
DOG=/usr/share/darknet/data/dog.jpg
node export.js --model inceptionv3 --image "$DOG" --layers conv2d_36 --out "$tmp/inceptionv3" --calib /usr/share/darknet/data/eagle.jpg
node export.js --model mobilenetv2 --image "$DOG" --layers block_14_expand --out "$tmp/mobilenetv2" --calib /usr/share/darknet/data/eagle.jpg
status=0
for b in inceptionv3 mobilenetv2; do
  if [ -s "$tmp/$b/manifest.yaml" ] && grep -q '^format: sparq-trace-bundle$' "$tmp/$b/manifest.yaml"; then
    echo "ok: $b manifest written"
  else
    echo "FAIL: $b manifest missing"; status=1
  fi
  node verify.js "$tmp/$b" || status=1
  # The simulator's own reader must accept the bundle (sha256, shapes, ranges).
  if [ -n "${SPARQ_SIM:-}" ]; then
    "$SPARQ_SIM" stats "$tmp/$b" || status=1
  fi
done
echo "ci_smoke: $(( $(date +%s) - start )) s, node_modules $(du -sh node_modules | cut -f1)"
exit $status
