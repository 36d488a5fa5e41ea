#!/usr/bin/env bash
# Whole-network benchmark: every layer of nsfwjs' InceptionV3 (all Conv2D and
# Dense layers, darknet's dog.jpg) in ONE `sparq-sim run`, fast fidelity,
# ws array, vsparq and int8: wall time, CPU time (user+sys) and peak RSS
# (GNU time -v), the median over alternating repetitions, plus the layers and
# MACs the run covered.
#
#   bench/whole_network.sh [REPS]            (default REPS=3)
#
# Environment:
#   SPARQ_BENCH_CACHE  cache directory (default ${XDG_CACHE_HOME:-$HOME/.cache}/sparq-sim);
#                      the bundle goes to $SPARQ_BENCH_CACHE/inceptionv3-dog-all and is
#                      reused when present and complete (delete it to re-export)
#   ROWS               array rows = cols (default 32)
#   DESIGNS            space-separated pe.design values (default "vsparq int8")
#   SPARQ_SIM          the simulator (default: build/release/sim/sparq-sim; built with
#                      `cmake --build --preset release --target sparq-sim` if missing)
#   KEEP_OUT=1         keep the run output directories (printed)
#
# The bundle is written by the project's exporter,
#   node tools/export/export.js --model inceptionv3 --image /usr/share/darknet/data/dog.jpg --layers all
# Its npm dependencies come from tools/export/node_modules when present, else are
# installed with `npm ci` (tools/export/package-lock.json) into the cache and found
# through NODE_PATH; the darknet .deb with the photos is fetched by the exporter
# itself (apt-get download) into $SPARQ_BENCH_CACHE/export. Nothing is written
# inside the repository.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
reps=${1:-${REPS:-3}}
rows=${ROWS:-32}
designs=${DESIGNS:-"vsparq int8"}
cache=${SPARQ_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sparq-sim}
bundle=$cache/inceptionv3-dog-all
image=/usr/share/darknet/data/dog.jpg
exe=${SPARQ_SIM:-$root/build/release/sim/sparq-sim}

die() { echo "whole_network.sh: $*" >&2; exit 1; }
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "REPS must be a positive integer (got '$reps')"
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is required: apt-get install time"

# ---------------------------------------------------------------- simulator
# shellcheck source=bench/common.sh
source "$root/bench/common.sh"
ensure_sparq_sim "$root" "$exe" || exit 1

# ------------------------------------------------------------- the bundle
bundle_complete() {  # manifest present and every array it names present
  local m=$1/manifest.yaml f
  [[ -s $m ]] || return 1
  grep -q '^layers:' "$m" || return 1
  while read -r f; do [[ -s $1/$f ]] || return 1; done \
    < <(sed -n 's/.*{path: *"\{0,1\}\([^",}]*\)"\{0,1\}, *sha256.*/\1/p' "$m")
}

if bundle_complete "$bundle"; then
  echo "bundle: reusing $bundle" >&2
else
  command -v node > /dev/null || die "node is required for the exporter (tools/export/README.md)"
  mkdir -p "$cache"
  export_dir=$root/tools/export
  if [[ -d $export_dir/node_modules ]]; then
    node_path=$export_dir/node_modules
  else
    node_path=$cache/export-node/node_modules
    if ! cmp -s "$export_dir/package-lock.json" "$cache/export-node/package-lock.json" || [[ ! -d $node_path ]]; then
      echo "installing the exporter's npm dependencies into $cache/export-node (npm ci)" >&2
      rm -rf "$cache/export-node"
      mkdir -p "$cache/export-node"
      cp "$export_dir/package.json" "$export_dir/package-lock.json" "$cache/export-node/"
      (cd "$cache/export-node" && npm ci --ignore-scripts --no-audit --no-fund) >&2
    fi
  fi
  tmpb=$cache/.inceptionv3-dog-all.tmp.$$
  rm -rf "$tmpb"
  echo "exporting every InceptionV3 layer into $bundle (once; a few minutes)" >&2
  start=$(date +%s.%N)
  (cd "$root" && NODE_PATH=$node_path SPARQ_EXPORT_CACHE=$cache/export \
     node tools/export/export.js --model inceptionv3 --image "$image" --layers all \
       --name inceptionv3-dog-all --out "$tmpb") > "$cache/export.log" 2>&1 \
    || { tail -20 "$cache/export.log" >&2; rm -rf "$tmpb"; die "export failed (log: $cache/export.log)"; }
  end=$(date +%s.%N)
  bundle_complete "$tmpb" || die "exporter finished but $tmpb is incomplete"
  rm -rf "$bundle"
  mv "$tmpb" "$bundle"
  echo "export took $(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.0f", b - a}') s wall: $(tail -1 "$cache/export.log")" >&2
fi
nlayers_bundle=$(grep -c '^  - name:' "$bundle/manifest.yaml")
echo "bundle $bundle: $nlayers_bundle layers, $(du -sh "$bundle" | cut -f1)"

# ------------------------------------------------------------------- runs
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sparq-whole-net.XXXXXX")
if [[ ${KEEP_OUT:-0} == 1 ]]; then echo "outputs kept in $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi

# csv column by header name (headers carry units, e.g. "throughput.macs [MAC]")
csv_col() {  # file header-prefix
  awk -F, -v h="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==h || index($i, h" [")==1) c=i; next}
                     NR==2{if(c) print $c; else print "?"}' "$1"
}
median() { sort -g | awk '{a[NR]=$1} END{if(NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

run_once() {  # design rep
  local d=$1 r=$2 out=$tmp/$1.$2 tv=$tmp/$1.$2.time
  (cd "$root" && /usr/bin/time -v -o "$tv" "$exe" run configs/base.yaml \
     --set trace.bundle="$bundle" --set trace.layers=all \
     --set pe.design="$d" --set array.rows="$rows" --set array.cols="$rows" \
     --set array.dataflow=ws --set simulation.fidelity=fast -q --out "$out") > "$tmp/$d.$r.log" 2>&1 \
    || { cat "$tmp/$d.$r.log" >&2; die "sparq-sim run failed for design $d"; }
  local wall user sys rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$tv")
  user=$(awk -F': ' '/User time/{print $2}' "$tv")
  sys=$(awk -F': ' '/System time/{print $2}' "$tv")
  rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$tv")
  echo "$wall $(awk -v u="$user" -v s="$sys" 'BEGIN{print u + s}') $rss" >> "$tmp/$d.times"
  printf '  rep %d %-7s wall %6.2f s  cpu %6.2f s  rss %7.1f MiB\n' "$r" "$d" "$wall" \
    "$(awk -v u="$user" -v s="$sys" 'BEGIN{print u + s}')" "$(awk -v k="$rss" 'BEGIN{print k / 1024}')"
}

echo "load before: $(uptime)"
echo "runs: $reps repetitions, designs alternating: $designs; array ${rows}x${rows} ws, fast fidelity"
for ((r = 1; r <= reps; r++)); do
  for d in $designs; do run_once "$d" "$r"; done
done
echo "load after:  $(uptime)"
echo

printf '%-8s %6s %8s %7s %15s %14s %9s %9s %9s %9s\n' design layers excluded macs[G] cycles "MAC/s(cpu)" "wall[s]" "cpu[s]" "RSS[MiB]" "cpu range"
for d in $designs; do
  s=$tmp/$d.1/summary.csv
  layers=$(csv_col "$s" layers_in_total)
  excl=$(csv_col "$s" layers_excluded)
  macs=$(csv_col "$s" throughput.macs)
  cycles=$(csv_col "$s" cycles.total)
  wall=$(cut -d' ' -f1 "$tmp/$d.times" | median)
  cpu=$(cut -d' ' -f2 "$tmp/$d.times" | median)
  rss=$(cut -d' ' -f3 "$tmp/$d.times" | median)
  lo=$(cut -d' ' -f2 "$tmp/$d.times" | sort -g | head -1)
  hi=$(cut -d' ' -f2 "$tmp/$d.times" | sort -g | tail -1)
  printf '%-8s %6s %8s %7.3f %15s %14.3e %9.2f %9.2f %9.1f %9s\n' "$d" "$layers" "$excl" \
    "$(awk -v m="$macs" 'BEGIN{print m / 1e9}')" "$cycles" \
    "$(awk -v m="$macs" -v c="$cpu" 'BEGIN{print (c > 0) ? m / c : 0}')" \
    "$wall" "$cpu" "$(awk -v k="$rss" 'BEGIN{print k / 1024}')" "$lo-$hi"
done
echo
echo "(medians of $reps; layers = layers_in_total of summary.csv, excluded = layers_excluded;"
echo " MACs = throughput.macs, useful M*N*K over those layers; RSS = GNU time 'Maximum resident set size')"
for d in $designs; do
  j=$tmp/$d.1/results.json
  skipped=$(grep -c '"skipped"' "$j" || true)
  simwall=$(sed -n 's/.*"simulation_wall_time": {"value": \([0-9.e+-]*\).*/\1/p' "$j" | head -1)
  echo "$d: $skipped layer(s) skipped by the design; rep 1 spent ${simwall:-?} s wall simulating the arrays" \
       "(results.json simulation_wall_time; the rest is loading, checking and reporting)"
done
