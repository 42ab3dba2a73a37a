# package_python: the Python distributions into dist/python/ (sourced by scripts/package).
#   - one abi3 wheel (CPython 3.9+) per Linux target: manylinux_2_17 (manylinux2014) for the
#     gnu targets, musllinux_1_2 for the musl ones; cross-linked by maturin --zig;
#   - the sdist (builds from source with cargo; see python/build_backend/kompliant_build.py);
#   - dist/reports/auditwheel/<wheel>.txt: `auditwheel show` of every wheel, and the build
#     fails unless auditwheel agrees the wheel is consistent with the tag it carries.

package_python() {
  local out="$DIST/python" target compat
  rm -rf "$out" "$DIST/reports/auditwheel" && mkdir -p "$out" "$DIST/reports/auditwheel"
  # python/LICENSE is a copy (a symlink would become a text file holding the link's path in a
  # Windows checkout, and that would be the wheel's licence): it must equal the root's.
  cmp -s "$ROOT/LICENSE" "$ROOT/python/LICENSE" || { echo "package python: python/LICENSE differs from LICENSE; copy it" >&2; return 1; }
  for target in "${LINUX_TARGETS[@]}"; do
    case "$target" in
      *-linux-gnu) compat=manylinux2014 ;;
      *-linux-musl) compat=musllinux_1_2 ;;
      *-apple-darwin | *-pc-windows-msvc) compat="" ;;
      *) die "package python: no wheel policy for $target" ;;
    esac
    if [ -n "$compat" ]; then
      step "package python: abi3 wheel for $target ($compat, maturin --zig)"
      (cd "$ROOT/python" && CARGO_TARGET_DIR="$DIST_TARGET_DIR" \
        maturin build --release --locked --zig --target "$target" --compatibility "$compat" --out "$out" >&2) || return 1
    else
      # macOS and Windows (release workflow runners): a native build, maturin's own platform tag.
      step "package python: abi3 wheel for $target (native build)"
      (cd "$ROOT/python" && CARGO_TARGET_DIR="$DIST_TARGET_DIR" \
        maturin build --release --locked --target "$target" --out "$out" >&2) || return 1
    fi
  done
  step "package python: sdist"
  # (maturin first probes python/Cargo.toml and says it is missing: expected, filtered; and it
  # warns that the build backend is not maturin: it is our wrapper around maturin.)
  (cd "$ROOT/python" && maturin sdist --out "$out" 2>&1 | grep -vE 'manifest path `Cargo.toml` does not exist|`build-backend` in pyproject.toml is not set' >&2
    exit "${PIPESTATUS[0]}") || return 1
  python_wheels_audit "$out"
}

# `auditwheel show` on every wheel in $1, its report kept in dist/reports/auditwheel/ (not beside the wheels: every file in
# dist/python is uploaded to PyPI).
#   - manylinux: auditwheel must find the wheel consistent with one of its own platform tags
#     (a manylinux_2_17 wheel needing glibc 2.18+ fails here, before any user sees it);
#   - musllinux: auditwheel on a glibc host cannot place zig's musl link (the module's only
#     NEEDED entry is `libc.so`, which musl's loader resolves to itself, while auditwheel's
#     policy expects Alpine's `libc.musl-<arch>.so.1` spelling), so it reports `linux_<arch>`.
#     The report is kept, and the rule is checked directly: no library needed but libc.so,
#     and no versioned symbol (musl has none). docs/decided.md records this.
python_wheels_audit() {
  local out=$1 wheel name tag report needed versioned tmp
  tmp=$(mktemp -d)
  for wheel in "$out"/*.whl; do
    name=$(basename "$wheel")
    report="$DIST/reports/auditwheel/$name.txt"
    case "$name" in
      *macosx* | *win*)
        # auditwheel audits Linux wheels only; these link nothing but the system libraries.
        continue
        ;;
      *musllinux*)
        auditwheel show --ldpaths "$tmp" "$wheel" >"$report" 2>&1 || { cat "$report" >&2; echo "package python: auditwheel show failed on $name" >&2; return 1; }
        rm -rf "$tmp/x" && mkdir "$tmp/x" && python3 -m zipfile -e "$wheel" "$tmp/x" || return 1
        needed=$(readelf -d "$tmp/x/kompliant_webhooks/"_native*.so | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
        versioned=$(readelf -V "$tmp/x/kompliant_webhooks/"_native*.so | grep -c 'Name: GLIBC' || true)
        if [ "$needed" != "libc.so " ] || [ "$versioned" != 0 ]; then
          echo "package python: $name needs [$needed] and $versioned glibc symbol versions; a musllinux wheel may need only musl's libc.so" >&2
          return 1
        fi
        printf '\nkompliant-webhooks check: the extension needs only libc.so (musl), no versioned symbols: musllinux_1_2 holds.\n' >>"$report"
        echo "package python: $name: needs only musl's libc.so (auditwheel report kept)" >&2
        ;;
      *)
        auditwheel show "$wheel" >"$report" 2>&1 || { cat "$report" >&2; echo "package python: auditwheel show failed on $name" >&2; return 1; }
        # The file name carries both spellings (manylinux2014_x86_64.manylinux_2_17_x86_64).
        tag=$(tr '\n' ' ' <"$report" | sed -n 's/.*consistent with the following platform tag: *"\([a-z0-9_]*\)".*/\1/p')
        if [ -z "$tag" ] || ! grep -qE "[-.]$tag(\.|\.whl$)" <<<"$name"; then
          cat "$report" >&2
          echo "package python: auditwheel does not find $name consistent with its own platform tag (see above)" >&2
          return 1
        fi
        echo "package python: $name: auditwheel agrees with $tag" >&2
        ;;
    esac
  done
  rm -rf "$tmp"
}
