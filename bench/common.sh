# Shared by the benchmark scripts (sourced): ensure_sparq_sim ROOT EXE builds
# the release simulator when EXE is missing (unless the user named it with
# SPARQ_SIM), warns when it is older than the sources, and prints which
# binary and commit the numbers come from.
ensure_sparq_sim() {
  local root=$1 exe=$2
  if [[ ! -x $exe ]]; then
    [[ -z ${SPARQ_SIM:-} ]] || { echo "SPARQ_SIM=$exe is not executable" >&2; return 1; }
    echo "building sparq-sim (release preset)" >&2
    (cd "$root" && cmake --preset release > /dev/null && cmake --build --preset release --target sparq-sim) >&2
  fi
  if [[ -z ${SPARQ_SIM:-} ]] && [[ -n $(find "$root/hw_models" "$root/sim" -newer "$exe" -type f -print -quit) ]]; then
    echo "WARNING: $exe is older than sources under hw_models/ or sim/; rebuild with" >&2
    echo "  cmake --build --preset release --target sparq-sim" >&2
  fi
  echo "sparq-sim: $exe (built $(date -u -r "$exe" +%Y-%m-%dT%H:%M:%SZ)); repo HEAD $(git -C "$root" log -1 --format=%h 2> /dev/null || echo unknown)"
}
