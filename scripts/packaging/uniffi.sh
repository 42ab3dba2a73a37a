# Shared by scripts/packaging/jvm.sh and swift.sh (sourced by them): the release build of the
# UniFFI library per Linux target and the Kotlin/Swift sources generated from it. Both the jar
# and the Swift artifacts carry the same libraries, built once.

# The gnu targets the JVM and Swift artifacts carry. The jar always holds both (a jar missing
# one would be a different artifact under the same coordinates), so KOMPLIANT_DIST_TARGETS
# does not narrow this list.
UNIFFI_TARGETS=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu)
UNIFFI_LIB_NAME=libkompliant_webhooks_uniffi.so
# Where the bindings generated from the release library go (git-ignored, under target/; not
# target/uniffi, which the test suites regenerate from the dev build at any time).
UNIFFI_RELEASE_OUT="$ROOT/target/package/uniffi"

# Where the shipped (stripped) libraries go, one directory per Rust target (git-ignored).
UNIFFI_RELEASE_LIBS="$ROOT/target/package/lib"

# Installs Debian packages $2... when command $1 is missing (a fresh CI machine), saying so.
uniffi_need() {
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  step "package: apt-get install $* (for $cmd)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } >"$TOOLS/apt-package-$cmd.log" 2>&1 \
    || { tail -20 "$TOOLS/apt-package-$cmd.log" >&2; echo "package: $cmd is needed and apt-get install $* failed" >&2; return 1; }
}

# The shipped library of Rust target $1 (after uniffi_release_build).
uniffi_release_lib() {
  echo "$UNIFFI_RELEASE_LIBS/$1/$UNIFFI_LIB_NAME"
}

# The library as cargo built it, with its symbol table (the generator reads UniFFI's metadata
# from .symtab; zig's linker drops .symtab as soon as rustc asks for any stripping).
uniffi_built_lib() {
  echo "$DIST_TARGET_DIR/$1/release/$UNIFFI_LIB_NAME"
}

# Builds the library for Rust target $1 (release, linked by zig against glibc $DIST_GLIBC)
# with `cargo rustc ... -- -C strip=none` (flags on the final crate only, as maturin does, so
# the dependencies stay shared with the other artifacts' builds in $DIST_TARGET_DIR), then
# ships a copy stripped by llvm-strip --strip-all (6.5 MB -> 3 MB; the dynamic symbol table,
# the FFI and UniFFI's metadata, stays) and checks it (uniffi_check_lib).
uniffi_release_build() {
  local target=$1 shipped
  step "package: libkompliant_webhooks_uniffi.so for $target (glibc $DIST_GLIBC, zig)"
  uniffi_need llvm-strip llvm || return 1
  cargo-zigbuild rustc --release --locked -p kompliant-webhooks-uniffi --lib --crate-type cdylib \
    --target "$(zig_target "$target")" --target-dir "$DIST_TARGET_DIR" -- -C strip=none >&2 || return 1
  shipped=$(uniffi_release_lib "$target")
  mkdir -p "$(dirname "$shipped")" && llvm-strip --strip-all -o "$shipped" "$(uniffi_built_lib "$target")" || return 1
  uniffi_check_lib "$shipped" "$target"
}

# Fails unless library $1 is an ELF shared object for the architecture of Rust target $2 that
# needs no glibc symbol version newer than $DIST_GLIBC (objdump -T, as auditwheel reads it).
uniffi_check_lib() {
  local lib=$1 target=$2 machine want newest
  [ -f "$lib" ] || { echo "package: $lib was not built" >&2; return 1; }
  machine=$(readelf -h "$lib" | sed -n 's/^ *Machine: *//p')
  case "$target" in
    x86_64-*) want="Advanced Micro Devices X86-64" ;;
    aarch64-*) want="AArch64" ;;
    *) echo "package: no architecture check for $target" >&2; return 1 ;;
  esac
  [ "$machine" = "$want" ] || { echo "package: $lib is for '$machine', expected '$want'" >&2; return 1; }
  # Debian's x86_64 objdump cannot read aarch64 symbol tables; llvm-objdump reads both.
  local objdump=objdump
  [ "${target%%-*}" = x86_64 ] || objdump=llvm-objdump
  uniffi_need "$objdump" llvm binutils || return 1
  local symbols
  symbols=$("$objdump" -T "$lib") || { echo "package: $objdump -T $lib failed" >&2; return 1; }
  newest=$(grep -o 'GLIBC_[0-9.]*' <<<"$symbols" | sed 's/GLIBC_//' | sort -uV | tail -1)
  [ -n "$newest" ] || { echo "package: no GLIBC symbol versions found in $lib ($objdump -T)" >&2; return 1; }
  if [ "$(printf '%s\n%s\n' "$newest" "$DIST_GLIBC" | sort -V | tail -1)" != "$DIST_GLIBC" ]; then
    echo "package: $lib needs glibc $newest, newer than $DIST_GLIBC" >&2
    return 1
  fi
  grep -q 'UNIFFI_META_' <<<"$symbols" || { echo "package: $lib exports no UniFFI metadata (stripped too far?)" >&2; return 1; }
  echo "package: $target $UNIFFI_LIB_NAME: $machine, newest glibc symbol version $newest (at most $DIST_GLIBC), $(( $(stat -c %s "$lib") / 1024 )) KiB" >&2
}

# Builds every target's library (once per scripts/package run) and generates the Kotlin and
# Swift sources from the x86_64 one into $UNIFFI_RELEASE_OUT/{kotlin,swift} with the
# workspace's generator (bindings/uniffi-bindgen, dev profile as in the test suites).
uniffi_release_prepare() {
  [ "${UNIFFI_RELEASE_READY:-}" = 1 ] && return 0
  local target
  for target in "${UNIFFI_TARGETS[@]}"; do
    uniffi_release_build "$target" || return 1
  done
  step "package: generating the Kotlin and Swift bindings from the release library"
  cargo build --locked -q -p uniffi-bindgen >&2 || return 1
  local out=$UNIFFI_RELEASE_OUT
  rm -rf "$out" "$out.tmp" && mkdir -p "$out.tmp" || return 1
  "$ROOT/target/debug/uniffi-bindgen" generate "$(uniffi_built_lib x86_64-unknown-linux-gnu)" \
    --language kotlin --language swift --no-format --out-dir "$out.tmp" >&2 || return 1
  mkdir -p "$out.tmp/kotlin" "$out.tmp/swift" &&
    mv "$out.tmp/com" "$out.tmp/kotlin/" &&
    mv "$out.tmp"/KompliantWebhooks.swift "$out.tmp"/KompliantWebhooksFFI.h "$out.tmp/KompliantWebhooksFFI.modulemap" "$out.tmp/swift/" &&
    mv "$out.tmp" "$out" || return 1
  UNIFFI_RELEASE_READY=1
}
