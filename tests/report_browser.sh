#!/usr/bin/env bash
# report.html in a real headless browser (Debian `chromium`): a small run
# (10 designs, 2 layers) and a small sweep (4 points) write their reports;
# each must render with no console message (no script at all is expected),
# its rendered DOM must hold the tables and the inline SVG plots, and its
# screenshot must not be blank. First the checker must catch a deliberately
# broken page (a script that throws). Without chromium the test skips (CTest
# exit 77) unless SPARQ_REQUIRE_CHROMIUM=1 (CI, .ci/run) makes it fail.
#   tests/report_browser.sh SPARQ_SIM SOURCE_DIR
set -euo pipefail
exe=$1
src=$2
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  if [ "${SPARQ_REQUIRE_CHROMIUM:-0}" = 1 ]; then
    echo "FAIL: chromium not found and SPARQ_REQUIRE_CHROMIUM=1 (apt-get install chromium)"
    exit 1
  fi
  echo "SKIP: chromium not installed (Debian package 'chromium'); set SPARQ_REQUIRE_CHROMIUM=1 to fail instead"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs headless chromium on a page: $1 html, $2 mode (dom | shot), $3 output.
# As root (CI) chromium needs --no-sandbox; a fresh profile per call; bounded time.
browse() {
  local page=$1 mode=$2 out=$3 profile
  profile=$(mktemp -d "$tmp/profile.XXXXXX")
  # shellcheck disable=SC2054  # the comma is in --window-size=W,H
  local args=(--headless --disable-gpu --no-sandbox --no-first-run --disable-extensions --hide-scrollbars
              --user-data-dir="$profile" --enable-logging=stderr --v=0 --window-size=1400,2400)
  if [ "$mode" = dom ]; then
    timeout 120 "$chromium" "${args[@]}" --dump-dom "file://$page" > "$out" 2> "$out.log"
  else
    timeout 120 "$chromium" "${args[@]}" --screenshot="$out" "file://$page" > /dev/null 2> "$out.log"
  fi
}

# Checks one report; prints what is wrong and returns 1 if anything is.
# $1 html, $2 minimum number of inline <svg> plots, $3 minimum number of <table>s.
check_page() {
  local page=$1 min_svg=$2 min_tables=$3 bad=0 name
  name=$(basename "$(dirname "$page")")/$(basename "$page")
  [ -s "$page" ] || { echo "$name: missing or empty"; return 1; }
  # Self-contained: nothing loaded from elsewhere (the only URL is the SVG namespace).
  if grep -Eo "(src|href)=['\"]?(https?:|//)" "$page" | head -1 | grep -q .; then
    echo "$name: references an external resource"; bad=1
  fi
  browse "$page" dom "$tmp/dom.html" || { echo "$name: chromium --dump-dom failed:"; cat "$tmp/dom.html.log"; return 1; }
  # Every console message (errors, uncaught exceptions, failed loads) is logged as CONSOLE.
  if grep -h "CONSOLE" "$tmp/dom.html.log"; then echo "$name: console messages (above)"; bad=1; fi
  local svgs tables cells
  svgs=$(grep -o "<svg" "$tmp/dom.html" | wc -l)
  tables=$(grep -o "<table" "$tmp/dom.html" | wc -l)
  cells=$(grep -o "<td" "$tmp/dom.html" | wc -l)
  [ "$svgs" -ge "$min_svg" ] || { echo "$name: $svgs inline <svg> in the rendered DOM, expected >= $min_svg"; bad=1; }
  [ "$tables" -ge "$min_tables" ] || { echo "$name: $tables <table> in the rendered DOM, expected >= $min_tables"; bad=1; }
  [ "$cells" -ge 10 ] || { echo "$name: only $cells table cells"; bad=1; }
  grep -q "Provenance" "$tmp/dom.html" || { echo "$name: no provenance section"; bad=1; }
  # Nothing here has invalid text: a U+FFFD is a line break or tab lost (the configuration on one line).
  if grep -q $'\xef\xbf\xbd' "$tmp/dom.html"; then echo "$name: U+FFFD replacement characters in the page"; bad=1; fi
  # The effective configuration is shown line by line.
  [ "$(sed -n "/id='config'/,/<\/pre>/p" "$page" | wc -l)" -gt 10 ] || { echo "$name: the configuration is not shown line by line"; bad=1; }
  browse "$page" shot "$tmp/shot.png" || { echo "$name: chromium --screenshot failed:"; cat "$tmp/shot.png.log"; return 1; }
  if grep -h "CONSOLE" "$tmp/shot.png.log"; then echo "$name: console messages (above)"; bad=1; fi
  local stats colours background
  stats=$(python3 "$src/tests/png_stats.py" "$tmp/shot.png") || { echo "$name: screenshot not a readable PNG"; return 1; }
  colours=$(sed -E 's/.*colours=([0-9]+).*/\1/' <<< "$stats")
  background=$(sed -E 's/.*background=([0-9.]+).*/\1/' <<< "$stats")
  # A rendered report has text, table rules and coloured plots: many colours,
  # and not (nearly) all of one.
  if [ "$colours" -lt 16 ] || python3 -c "import sys; sys.exit(0 if $background > 0.995 else 1)"; then
    echo "$name: screenshot looks blank ($stats)"; bad=1
  fi
  [ "$bad" -eq 0 ] && echo "$name: ok: $svgs svg, $tables tables, $cells cells, screenshot $stats"
  return "$bad"
}

# 1. A run over every design (two layers) and a sweep.
"$exe" run "$src/configs/default.yaml" --set 'trace.layers=[conv2d_11, conv2d_79]' --set trace.max_pixels=16 \
  --quiet --out "$tmp/run" > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; exit 1; }
cat > "$tmp/sweep.yaml" <<YAML
base: $src/configs/base.yaml
set: {trace.layers: [conv2d_79], trace.max_pixels: 16}
points:
  - {name: int8, set: {pe.design: int8}}
  - {name: vsparq-3opt, set: {pe.design: vsparq, pe.shift_set: 3opt}}
axes:
  array.rows: [8, 16]
YAML
"$exe" sweep "$tmp/sweep.yaml" --no-progress --out "$tmp/sweep" > "$tmp/sweep.log" 2>&1 || { cat "$tmp/sweep.log"; exit 1; }
# 2. The checker must catch a broken page: a script that throws.
mkdir -p "$tmp/broken"
sed 's|</body>|<script>throw new Error("deliberately broken report")</script></body>|' \
  "$tmp/run/report.html" > "$tmp/broken/report.html"
if check_page "$tmp/broken/report.html" 1 1 > "$tmp/broken.log"; then
  cat "$tmp/broken.log"; echo "FAIL: a page whose script throws passed the check"; exit 1
fi
grep -q "deliberately broken report" "$tmp/broken.log" || { cat "$tmp/broken.log"; echo "FAIL: the error was not reported"; exit 1; }
echo "broken page detected: $(grep -m1 CONSOLE "$tmp/broken.log" | cut -c1-160)"
# ... and a blank one.
printf '<!DOCTYPE html><html><body></body></html>\n' > "$tmp/broken/blank.html"
if check_page "$tmp/broken/blank.html" 0 0 > "$tmp/blank.log"; then
  cat "$tmp/blank.log"; echo "FAIL: a blank page passed the check"; exit 1
fi
grep -q "screenshot looks blank" "$tmp/blank.log" || { cat "$tmp/blank.log"; echo "FAIL: blank screenshot not detected"; exit 1; }
echo "blank page detected"

# 3. The real reports.
fail=0
check_page "$tmp/run/report.html" 6 3 || fail=1
check_page "$tmp/sweep/report.html" 6 3 || fail=1
exit "$fail"
