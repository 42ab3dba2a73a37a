# The install tests (scripts/test dist): builds every artifact with scripts/package, then
# installs them the way users do, with cargo and rustc absent from PATH, and runs the
# conformance vectors through each one. One summary line per artifact and place it ran.
# The checks live beside this file (dist-<kind>.sh, each defining dist_check_<kind>); the
# emulated arm64 root is arm64-common.sh. Sourced by scripts/test.
#
# KOMPLIANT_DIST_REUSE=1 skips scripts/package and tests what is already in dist/ (for quick
# local iterations; CI always packages).

DIST_CHECKS=(python node jvm swift cli)

suite_dist() {
  local start=$SECONDS rc=0
  # shellcheck source=/dev/null
  source "$ROOT/scripts/packaging/common.sh"
  if [ "${KOMPLIANT_DIST_REUSE:-0}" != 1 ]; then
    step "dist: scripts/package all (every artifact into dist/)"
    rm -rf "$DIST"
    "$ROOT/scripts/package" all || { SUMMARY+=("dist: FAIL - scripts/package all failed (see above)"); return 1; }
  fi
  [ -f "$DIST/SHA256SUMS" ] || { SUMMARY+=("dist: FAIL - dist/ is empty (run scripts/package)"); return 1; }
  DIST_NO_RUST_PATH=$(path_without_rust) || { SUMMARY+=("dist: FAIL - cannot make a PATH without cargo and rustc"); return 1; }
  export DIST_NO_RUST_PATH
  : >"$TOOLS/dist-figures.txt"
  local check
  for check in "${DIST_CHECKS[@]}"; do
    if ! declare -F "dist_check_$check" >/dev/null; then
      SUMMARY+=("dist: $check: FAIL - no dist_check_$check (scripts/suites/dist-$check.sh)")
      rc=1
      continue
    fi
    step "dist: $check"
    "dist_check_$check" || rc=1
  done
  SUMMARY+=("dist: $([ "$rc" = 0 ] && echo PASS || echo FAIL) - install tests of dist/ ($(du -sh --apparent-size "$DIST" | cut -f1) of artifacts) in $((SECONDS - start))s")
  return "$rc"
}

# Records a measured figure (name value) for docs/install.md: $TOOLS/dist-figures.txt.
dist_figure() {
  printf '%s %s\n' "$1" "$2" >>"$TOOLS/dist-figures.txt"
}

# Seconds (one decimal) that the command line "$@" took; its output goes to stderr.
dist_time() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >&2 || return 1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }'
}

