# The Rust suite: fmt, clippy (warnings are errors), vectors current, cargo test, and the
# independent Python client/receiver against `kompliant sim`. Sourced by scripts/test.

suite_rust() {
  local log="$TOOLS/rust-test.log" start=$SECONDS
  step "rust: cargo fmt --check"
  cargo fmt --all -- --check || return 1
  step "rust: cargo clippy (warnings are errors)"
  cargo clippy --workspace --exclude uniffi-bindgen --all-targets --locked -- -D warnings || return 1
  # The criterion benchmarks of scripts/bench need the core's bench-internals feature.
  cargo clippy -p kompliant-webhooks --all-targets --features bench-internals --locked -- -D warnings || return 1
  step "rust: cargo doc of the core (broken or private links are errors)"
  RUSTDOCFLAGS="-D warnings" cargo doc -q -p kompliant-webhooks --no-deps --locked || return 1
  rust_msrv_check || return 1
  rust_deny_check || return 1
  rust_public_api_check || return 1
  step "rust: the core without its API client (default-features = false: a receiver-only build)"
  cargo clippy -p kompliant-webhooks --no-default-features --all-targets --locked -- -D warnings || return 1
  cargo test -q -p kompliant-webhooks --no-default-features --locked >"$TOOLS/rust-no-client.log" 2>&1 \
    || { tail -30 "$TOOLS/rust-no-client.log" >&2; return 1; }
  # The edge build's core: receiver-only, AES-GCM left to WebCrypto (core/src/host_aead.rs).
  cargo clippy -p kompliant-webhooks --no-default-features --features host-aead --all-targets --locked -- -D warnings || return 1
  cargo test -q -p kompliant-webhooks --no-default-features --features host-aead --locked --lib >"$TOOLS/rust-host-aead.log" 2>&1 \
    || { tail -30 "$TOOLS/rust-host-aead.log" >&2; return 1; }
  local tree
  tree=$(cargo tree -p kompliant-webhooks --no-default-features -e normal --prefix none --locked) || return 1
  if grep -E '^(ureq|rustls|webpki)' <<<"$tree"; then
    printf 'error: the core without its client still depends on an HTTP or TLS crate (above)\n' >&2
    return 1
  fi
  step "rust: conformance vectors are current (independent Python generator)"
  "$(tools_python)" tests/vectors/generate.py --check || return 1
  step "rust: cargo test (default members: the napi crate links only inside Node)"
  cargo test --locked 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local interop="not run"
  if [ "$rc" = 0 ]; then
    step "rust: independent client and receiver (Python, from the spec) against kompliant sim"
    interop=$(run_interop) || rc=1
  fi
  local rotation="not run"
  if [ "$rc" = 0 ]; then
    step "rust: rotation with a running receiver (kompliant listen watching its keyring file)"
    rotation=$(rotation_run rust "$ROOT/target/debug/kompliant" listen) || rc=1
  fi
  SUMMARY+=("rust: $([ "$rc" = 0 ] && echo PASS || echo FAIL) - $(cargo_counts "$log"); interop: ${interop:-FAIL}; rotation: ${rotation:-FAIL} (fmt, clippy, docs, vectors, MSRV $(rust_msrv), the core without its client, cargo-deny checked) in $((SECONDS - start))s")
  return "$rc"
}

# Starts `kompliant sim` on a free port and runs tests/interop/independent.py against it;
# prints the script's check count.
run_interop() {
  local dir; dir=$(mktemp -d)
  cargo build --locked -q -p kompliant-cli >&2
  "$ROOT/target/debug/kompliant" sim --listen 127.0.0.1:0 --retry-base-ms 20 --env-file "$dir/env" --quiet >"$dir/sim.log" 2>&1 &
  local sim=$!
  for _ in $(seq 100); do [ -s "$dir/env" ] && break; sleep 0.1; done
  local out rc=0
  out=$(set -a; . "$dir/env"; set +a; "$(tools_python)" tests/interop/independent.py 2>&1) || rc=$?
  kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null || true
  rm -rf "$dir"
  printf '%s\n' "$out" >&2
  [ "$rc" = 0 ] || return 1
  printf '%s\n' "$out" | sed -n 's/^interop: PASS - \([0-9]*\) checks.*/\1 checks passed/p'
}


# The workspace's rust-version (the minimum Rust of every crate users compile).
rust_msrv() {
  sed -n 's/^rust-version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml"
}

# The stated minimum Rust is true: the crates users compile (the core, the HTTP server, the
# simulator and CLI, and the Python and Node bindings a source build compiles) type-check with
# exactly that toolchain, against the locked dependencies. rustup installs it once (minimal
# profile, into ~/.rustup, outside the repository); its own target directory keeps the main
# build's cache intact. The UniFFI crates state their own, higher minimum (uniffi's).
rust_msrv_check() {
  local msrv; msrv=$(rust_msrv)
  [ -n "$msrv" ] || { printf 'error: no rust-version in Cargo.toml\n' >&2; return 1; }
  if ! rustup run "$msrv" rustc --version >/dev/null 2>&1; then
    step "rust: rustup toolchain install $msrv --profile minimal (the stated minimum Rust, once)"
    rustup toolchain install "$msrv" --profile minimal >&2 || return 1
  fi
  step "rust: cargo +$msrv check (the stated minimum Rust) of the crates users compile"
  CARGO_TARGET_DIR="$ROOT/target/msrv" cargo "+$msrv" check --locked -q -p kompliant-webhooks -p kompliant-http \
    -p kompliant-sim -p kompliant-cli -p kompliant-webhooks-python -p kompliant-webhooks-node
}

# cargo-deny (deny.toml): licenses, duplicate versions and sources of every crate the
# workspace builds. Installed once into the cache outside the repository (about 8 minutes
# on 2 cores). Advisories are left out: their database is on GitHub, unreachable here.
rust_deny_check() {
  local root="${KOMPLIANT_DIST_CACHE:-/var/cache/kompliant-webhooks}/cargo-tools"
  if [ ! -x "$root/bin/cargo-deny" ]; then
    step "rust: cargo install cargo-deny into $root (once, about 8 minutes)"
    CARGO_TARGET_DIR="$ROOT/target/cargo-deny-build" cargo install --locked --quiet --root "$root" cargo-deny@0.20.2 >&2 || return 1
  fi
  step "rust: cargo deny check licenses bans sources"
  "$root/bin/cargo-deny" --locked check licenses bans sources 2>&1 | tail -3 >&2
  [ "${PIPESTATUS[0]}" = 0 ]
}

# The core's public API is a decision: cargo-public-api lists it (documented items, default
# features) and the list must equal core/public-api.txt. After an intended change, update it
# with `KOMPLIANT_BLESS=1 scripts/test rust` and review the diff. cargo-public-api reads
# rustdoc's JSON, which needs a nightly of a matching format: both are pinned here and
# installed once (the toolchain by rustup into ~/.rustup, the tool into the cache).
RUST_PUBLIC_API_NIGHTLY="nightly-2026-10-29"
RUST_PUBLIC_API_VERSION="0.52.0"
rust_public_api_check() {
  local root="${KOMPLIANT_DIST_CACHE:-/var/cache/kompliant-webhooks}/cargo-tools"
  local file="$ROOT/core/public-api.txt" now
  if ! rustup run "$RUST_PUBLIC_API_NIGHTLY" rustc --version >/dev/null 2>&1; then
    step "rust: rustup toolchain install $RUST_PUBLIC_API_NIGHTLY --profile minimal (rustdoc JSON for cargo-public-api, once)"
    rustup toolchain install "$RUST_PUBLIC_API_NIGHTLY" --profile minimal >&2 || return 1
  fi
  if [ "$("$root/bin/cargo-public-api" --version 2>/dev/null)" != "cargo-public-api $RUST_PUBLIC_API_VERSION" ]; then
    step "rust: cargo install cargo-public-api@$RUST_PUBLIC_API_VERSION into $root (once, a few minutes)"
    CARGO_TARGET_DIR="$ROOT/target/cargo-public-api-build" cargo install --locked --quiet --root "$root" \
      "cargo-public-api@$RUST_PUBLIC_API_VERSION" >&2 || return 1
  fi
  step "rust: the core's public API equals core/public-api.txt (cargo public-api)"
  now=$(PATH="$root/bin:$PATH" CARGO_TARGET_DIR="$ROOT/target/public-api" \
    cargo "+$RUST_PUBLIC_API_NIGHTLY" public-api -p kompliant-webhooks -sss 2>"$TOOLS/public-api.log") \
    || { tail -20 "$TOOLS/public-api.log" >&2; return 1; }
  if [ "${KOMPLIANT_BLESS:-0}" = 1 ]; then
    printf '%s\n' "$now" >"$file"
    step "rust: wrote core/public-api.txt ($(wc -l <"$file") items): review its diff"
    return 0
  fi
  if ! diff -u "$file" <(printf '%s\n' "$now") >&2; then
    printf 'error: the core'"'"'s public API changed (diff above: - listed, + now). If intended, run KOMPLIANT_BLESS=1 scripts/test rust and commit core/public-api.txt\n' >&2
    return 1
  fi
}
