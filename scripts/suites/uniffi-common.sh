# Shared by the Kotlin and Swift suites (sourced by scripts/test): builds the UniFFI library,
# the generator and the simulator, and regenerates the bindings (they are git-ignored).

# Where the generated bindings go (git-ignored: under target/).
UNIFFI_OUT="$ROOT/target/uniffi"
# The host-built library every binding loads.
UNIFFI_LIB="$ROOT/target/debug/libkompliant_webhooks_uniffi.so"

# Builds the library (dev profile, shared with `cargo test`), the generator (dev profile: a
# release build takes minutes longer) and `kompliant` (the simulator the integration tests
# start), then regenerates the Kotlin and Swift sources into $UNIFFI_OUT/{kotlin,swift}.
uniffi_generate() {
  step "uniffi: cargo build (library, generator, simulator)"
  cargo build --locked -q -p kompliant-webhooks-uniffi -p uniffi-bindgen -p kompliant-cli || return 1
  [ -f "$UNIFFI_LIB" ] || { printf 'error: %s was not built\n' "$UNIFFI_LIB" >&2; return 1; }
  step "uniffi: generating Kotlin and Swift bindings into ${UNIFFI_OUT#"$ROOT"/}"
  rm -rf "$UNIFFI_OUT.tmp"
  "$ROOT/target/debug/uniffi-bindgen" generate "$UNIFFI_LIB" \
    --language kotlin --language swift --no-format --out-dir "$UNIFFI_OUT.tmp" >&2 || return 1
  mkdir -p "$UNIFFI_OUT.tmp/kotlin" "$UNIFFI_OUT.tmp/swift"
  mv "$UNIFFI_OUT.tmp/com" "$UNIFFI_OUT.tmp/kotlin/" || return 1
  mv "$UNIFFI_OUT.tmp"/KompliantWebhooks.swift "$UNIFFI_OUT.tmp"/KompliantWebhooksFFI.h "$UNIFFI_OUT.tmp/swift/" || return 1
  mv "$UNIFFI_OUT.tmp/KompliantWebhooksFFI.modulemap" "$UNIFFI_OUT.tmp/swift/module.modulemap" || return 1
  rm -rf "$UNIFFI_OUT"
  mv "$UNIFFI_OUT.tmp" "$UNIFFI_OUT"
}

# Installs Debian packages when a command is missing (CI machines start without them).
uniffi_apt_install() {
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  step "installing $* (apt-get)"
  if [ ! -f "$TOOLS/.apt-updated" ]; then
    apt-get update -qq >&2 && touch "$TOOLS/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >"$TOOLS/apt-$cmd.log" 2>&1 \
    || { tail -20 "$TOOLS/apt-$cmd.log" >&2; printf 'error: apt-get install %s failed\n' "$*" >&2; return 1; }
}

