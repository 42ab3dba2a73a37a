# edge_build: the WebAssembly build of the receive path for JavaScript hosts with no Node-API
# (Cloudflare workerd, Deno, Bun, Next.js edge): bindings/wasm (wasm-bindgen) for
# wasm32-unknown-unknown, then wasm-bindgen's `--target web` glue, into node/edge/wasm/:
#   kompliant_webhooks.js        ESM glue: `export default` async init, `initSync({ module })`
#   kompliant_webhooks_bg.wasm   the module
# (build products, git-ignored), which the edge JS bundle loads in place of the napi module.
# Sourced after scripts/lib.sh and scripts/packaging/common.sh; do not run it.
#
# ring's C (AES-GCM) is compiled by zig's clang, as for the napi wasm32-wasip1-threads build
# (dist_tools puts the `zig` shim on PATH); cc-rs hands it `--target=wasm32-unknown-unknown`,
# a triple zig does not parse, so a wrapper drops that and passes zig's
# `wasm32-freestanding`. wasm-bindgen-cli must be exactly the version of the wasm-bindgen
# crate in Cargo.lock: installed once under $EDGE_TOOLS, reinstalled when the lock moves.

EDGE_TOOLS="$DIST_CACHE/edge-tools"
# WebAssembly SIMD (128-bit) for the edge module: every runtime the entry is for has it
# (V8 in workerd, Deno, Next.js edge and Node; JavaScriptCore in Bun), and base64-simd and the
# core's byte scans use it: openSealed at 16 KiB 17.6 → 8.1 µs in Deno (docs/decided.md, "Edge
# build"). ring's C (AES-GCM) is compiled by zig without it: no change there.
EDGE_RUSTFLAGS="-C target-feature=+simd128"
EDGE_OUT="$ROOT/node/edge/wasm"

# The wasm-bindgen crate's version in Cargo.lock.
edge_wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

# wasm-bindgen-cli of that version on PATH (installed once), and zig's C compiler wrappers.
edge_tools() {
  dist_tools || return 1
  local want have="" bin="$EDGE_TOOLS/cargo/bin/wasm-bindgen"
  want=$(edge_wasm_bindgen_version)
  [ -n "$want" ] || { echo "edge: no wasm-bindgen in Cargo.lock" >&2; return 1; }
  [ -x "$bin" ] && have=$("$bin" --version | awk '{ print $2 }')
  if [ "$have" != "$want" ]; then
    step "edge: cargo install wasm-bindgen-cli $want into $EDGE_TOOLS/cargo (once per version, ~3 min)"
    # --locked first (its own lock); a registry mirror lacking one of those exact versions
    # falls back to a fresh resolution of the same wasm-bindgen-cli version.
    cargo install --quiet --locked --root "$EDGE_TOOLS/cargo" wasm-bindgen-cli --version "$want" >&2 ||
      cargo install --quiet --root "$EDGE_TOOLS/cargo" wasm-bindgen-cli --version "$want" >&2 || return 1
  fi
  mkdir -p "$EDGE_TOOLS/bin"
  cat >"$EDGE_TOOLS/bin/zig-cc-wasm32.tmp" <<'SH'
#!/bin/sh
# cc for wasm32-unknown-unknown: zig's clang, without cc-rs's --target (zig spells it
# wasm32-freestanding).
for a in "$@"; do
  shift
  case "$a" in --target=*) ;; *) set -- "$@" "$a" ;; esac
done
exec zig cc -target wasm32-freestanding "$@"
SH
  printf '#!/bin/sh\nexec zig ar "$@"\n' >"$EDGE_TOOLS/bin/zig-ar.tmp"
  chmod +x "$EDGE_TOOLS/bin/zig-cc-wasm32.tmp" "$EDGE_TOOLS/bin/zig-ar.tmp"
  mv "$EDGE_TOOLS/bin/zig-cc-wasm32.tmp" "$EDGE_TOOLS/bin/zig-cc-wasm32"
  mv "$EDGE_TOOLS/bin/zig-ar.tmp" "$EDGE_TOOLS/bin/zig-ar"
  export PATH="$EDGE_TOOLS/cargo/bin:$PATH"
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown >&2
}

# Builds node/edge/wasm/ (profile `edge`: release with fat LTO, see Cargo.toml) and prints
# the module's and glue's sizes, raw and gzipped.
edge_build() {
  local start=$SECONDS wasm
  edge_tools || return 1
  step "edge: cargo build --profile edge --target wasm32-unknown-unknown -p kompliant-webhooks-wasm"
  CC_wasm32_unknown_unknown="$EDGE_TOOLS/bin/zig-cc-wasm32" AR_wasm32_unknown_unknown="$EDGE_TOOLS/bin/zig-ar" \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$EDGE_RUSTFLAGS" cargo build --locked --profile edge --target wasm32-unknown-unknown -p kompliant-webhooks-wasm \
    --target-dir "$DIST_TARGET_DIR" >&2 || return 1
  wasm="$DIST_TARGET_DIR/wasm32-unknown-unknown/edge/kompliant_webhooks_wasm.wasm"
  step "edge: wasm-bindgen --target web into ${EDGE_OUT#"$ROOT"/}"
  rm -rf "$EDGE_OUT"
  wasm-bindgen --target web --out-dir "$EDGE_OUT" --out-name kompliant_webhooks "$wasm" >&2 || return 1
  local f raw gz total_gz=0
  for f in "$EDGE_OUT/kompliant_webhooks_bg.wasm" "$EDGE_OUT/kompliant_webhooks.js"; do
    raw=$(wc -c <"$f")
    gz=$(gzip -9 -c "$f" | wc -c)
    total_gz=$((total_gz + gz))
    printf 'edge: %-28s %8d bytes, %7d gzipped\n' "${f##*/}" "$raw" "$gz" >&2
  done
  printf 'edge: wasm + glue gzipped: %d bytes (%d KiB; target < 300 KiB), built in %ds\n' \
    "$total_gz" "$((total_gz / 1024))" "$((SECONDS - start))" >&2
}

# clippy of the wasm crate for its own target (warnings are errors): what `scripts/test rust`
# cannot lint without zig (ring's build script compiles C even for clippy).
edge_clippy() {
  edge_tools || return 1
  step "edge: cargo clippy --target wasm32-unknown-unknown -p kompliant-webhooks-wasm (warnings are errors)"
  CC_wasm32_unknown_unknown="$EDGE_TOOLS/bin/zig-cc-wasm32" AR_wasm32_unknown_unknown="$EDGE_TOOLS/bin/zig-ar" \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$EDGE_RUSTFLAGS" cargo clippy --locked --target wasm32-unknown-unknown -p kompliant-webhooks-wasm \
    --target-dir "$DIST_TARGET_DIR" -- -D warnings >&2
}
