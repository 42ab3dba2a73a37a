# Install tests of the static CLI binaries in dist/cli (called by suite_dist): each archive is
# unpacked as a user would, and its `kompliant decrypt` runs every conformance vector that has
# no receiver options (tests/dist/cli_vectors.py): x86_64 on this machine with no Rust on PATH,
# aarch64 inside the emulated arm64 Debian root.

dist_check_cli() {
  local rc=0 target archive tmp result where bin
  for target in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
    archive="$DIST/cli/kompliant-$VERSION-$target.tar.gz"
    [ -f "$archive" ] || { SUMMARY+=("dist: cli FAIL - no $(basename "$archive")"); rc=1; continue; }
    tmp=$(mktemp -d)
    local before=$rc
    case "$target" in
      x86_64-*)
        tar -C "$tmp" -xzf "$archive" && python3 "$ROOT/tests/dist/cli_vectors.py" stage "$ROOT/tests/vectors/webhooks.json" "$tmp/v" ||
          { SUMMARY+=("dist: cli FAIL - could not unpack $(basename "$archive")"); rc=1; rm -rf "$tmp"; continue; }
        bin="$tmp/kompliant-$VERSION-$target/kompliant"
        PATH="$DIST_NO_RUST_PATH" sh "$tmp/v/run.sh" "$bin"
        where="on x86_64, no Rust on PATH"
        result=$(python3 "$ROOT/tests/dist/cli_vectors.py" check "$tmp/v") || rc=1
        ;;
      aarch64-*)
        local work
        if ! arm64_root_ensure || ! work=$(arm64_stage_dir) || ! tar -C "$work" -xzf "$archive" ||
          ! python3 "$ROOT/tests/dist/cli_vectors.py" stage "$ROOT/tests/vectors/webhooks.json" "$work/v"; then
          SUMMARY+=("dist: cli arm64 FAIL - the emulated arm64 root or the staged archive could not be set up")
          rc=1; rm -rf "$tmp"; continue
        fi
        arm64_run "uname -m >$ARM64_WORK/machine; sh $ARM64_WORK/v/run.sh $ARM64_WORK/kompliant-$VERSION-$target/kompliant" || rc=1
        where="in the emulated arm64 Debian root ($(cat "$work/machine"))"
        result=$(python3 "$ROOT/tests/dist/cli_vectors.py" check "$work/v") || rc=1
        ;;
    esac
    SUMMARY+=("dist: cli $([ "$rc" = "$before" ] && echo PASS || echo FAIL) - $(basename "$archive") (static) $where: kompliant decrypt, vectors $result")
    rm -rf "$tmp"
  done
  return "$rc"
}
