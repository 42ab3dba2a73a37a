# package_cli: static `kompliant` binaries into dist/cli/ (sourced by scripts/package), one
# archive per musl target: kompliant-<version>-<target>.tar.gz holding kompliant, LICENSE and
# README.md. musl targets link statically (Rust's default for musl), so the binaries run on
# any Linux of their architecture. KOMPLIANT_DIST_CLI_TARGETS overrides the list (the release
# workflow adds macOS and Windows there, built natively on those runners with plain cargo).

package_cli() {
  local out="$DIST/cli" target bin stage name
  local targets
  read -r -a targets <<<"${KOMPLIANT_DIST_CLI_TARGETS:-x86_64-unknown-linux-musl aarch64-unknown-linux-musl}"
  rm -rf "$out" && mkdir -p "$out"
  for target in "${targets[@]}"; do
    step "package cli: kompliant for $target"
    case "$target" in
      *-linux-*) dist_zigbuild kompliant-cli "$target" || return 1 ;;
      *) cargo build --release --locked -p kompliant-cli --target "$target" --target-dir "$DIST_TARGET_DIR" >&2 || return 1 ;;
    esac
    bin="$DIST_TARGET_DIR/$target/release/kompliant"
    [ -f "$bin.exe" ] && bin="$bin.exe"
    case "$target" in
      *-linux-musl)
        # Static: no interpreter, no NEEDED libraries.
        local headers dynamic
        headers=$(readelf -l "$bin") || return 1
        dynamic=$(readelf -d "$bin" 2>/dev/null || true)
        if grep -q 'INTERP' <<<"$headers" || grep -q NEEDED <<<"$dynamic"; then
          echo "package cli: $bin is not static" >&2
          return 1
        fi
        ;;
    esac
    name="kompliant-$VERSION-$target"
    stage=$(mktemp -d)
    mkdir "$stage/$name"
    cp "$bin" "$stage/$name/" && cp "$ROOT/LICENSE" "$ROOT/README.md" "$stage/$name/" || return 1
    case "$target" in *-linux-*) strip_foreign "$stage/$name/kompliant" ;; esac
    tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$out/$name.tar.gz" "$name" || return 1
    rm -rf "$stage"
  done
}

# Strips a Linux binary of any architecture (zig's objcopy understands them all).
strip_foreign() {
  zig objcopy --strip-all "$1" "$1.stripped" 2>/dev/null && mv "$1.stripped" "$1" || rm -f "$1.stripped"
}
