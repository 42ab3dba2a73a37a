# Shared by scripts/package and the install tests (scripts/suites/dist*.sh). Source it after
# scripts/lib.sh; do not run it.

DIST="$ROOT/dist"
# Tools and build directories reused between runs, outside the repo (a clean clone reuses them).
DIST_CACHE="${KOMPLIANT_DIST_CACHE:-/var/cache/kompliant-webhooks}"
# cargo's build directory for release artifacts: one per cache, shared by every artifact kind
# (cargo locks it; the dependencies compile once per target and are then reused).
DIST_TARGET_DIR="${KOMPLIANT_DIST_TARGET_DIR:-$DIST_CACHE/target-dist}"

# The build directory outlives checkouts (every clean clone reuses it), but cargo names this
# workspace's crates the same in every checkout and judges them fresh by the mtimes of the
# source paths recorded at their last build, which are another checkout's after a switch: a
# build here could then reuse, and ship, another checkout's code. So when the checkout using
# the directory changes, the fingerprints of the workspace's own crates (kompliant-*,
# uniffi-bindgen) are dropped and those crates rebuild; the dependencies stay compiled.
# Two checkouts building at the same time still need a directory each (KOMPLIANT_DIST_TARGET_DIR).
dist_target_for_this_checkout() {
  local stamp="$DIST_TARGET_DIR/.checkout"
  [ "$(cat "$stamp" 2>/dev/null)" = "$ROOT" ] && return 0
  mkdir -p "$DIST_TARGET_DIR" || return 1
  find "$DIST_TARGET_DIR" -maxdepth 4 -type d -path '*/.fingerprint/*' \
    \( -name 'kompliant-*' -o -name 'uniffi-bindgen-*' \) -prune -exec rm -rf {} + || return 1
  printf '%s\n' "$ROOT" >"$stamp"
}
dist_target_for_this_checkout || echo "warning: could not reset $DIST_TARGET_DIR for this checkout" >&2
DIST_VENV="$DIST_CACHE/pkg-venv"
# A virtualenv keeps its programs in bin/, or Scripts/ on Windows (release workflow runners).
# The host's Python: python3, or on Windows `python` (where `python3` may be the Store stub).
DIST_VENV_BIN="$DIST_VENV/bin"
DIST_HOST_PYTHON=python3
case "$(uname -s)" in MINGW* | MSYS* | CYGWIN*) DIST_VENV_BIN="$DIST_VENV/Scripts" DIST_HOST_PYTHON=python ;; esac
# One version for every artifact: the workspace's.
VERSION=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml")

# The targets every artifact kind is built for: the four Linux ones here; the release workflow
# sets KOMPLIANT_DIST_TARGETS to its macOS or Windows target on those runners, where the same
# functions build natively with cargo (zig is only used for Linux targets).
read -r -a LINUX_TARGETS <<<"${KOMPLIANT_DIST_TARGETS:-x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl}"
# The oldest glibc the gnu artifacts link against (manylinux2014, as pydantic-core and napi-rs).
DIST_GLIBC=2.17

# Installs the packaging tools once: a virtualenv with maturin, ziglang (zig, the cross
# linker) and auditwheel; cargo-zigbuild; the rustup targets. Puts them on PATH.
dist_tools() {
  mkdir -p "$DIST_CACHE/bin" "$DIST"
  if ! "$DIST_VENV_BIN/python" -c 'import ziglang, maturin' >/dev/null 2>&1 || [ ! -x "$DIST_VENV_BIN/auditwheel" ]; then
    step "package: installing maturin, ziglang and auditwheel into $DIST_VENV (once)"
    "$DIST_HOST_PYTHON" -m venv "$DIST_VENV" >&2
    "$DIST_VENV_BIN/python" -m pip install --quiet --disable-pip-version-check 'maturin>=1.16,<2' 'ziglang>=0.13' 'auditwheel>=6' >&2
  fi
  # `zig` for cargo-zigbuild and napi's --cross-compile: PyPI's ziglang behind a shim.
  printf '#!/bin/sh\nexec "%s" -m ziglang "$@"\n' "$DIST_VENV_BIN/python" >"$DIST_CACHE/bin/zig.tmp"
  chmod +x "$DIST_CACHE/bin/zig.tmp" && mv "$DIST_CACHE/bin/zig.tmp" "$DIST_CACHE/bin/zig"
  if [[ " ${LINUX_TARGETS[*]} " == *-linux-* ]] && [ ! -x "$DIST_CACHE/cargo-tools/bin/cargo-zigbuild" ]; then
    step "package: cargo install cargo-zigbuild into $DIST_CACHE/cargo-tools (once, ~2 min)"
    cargo install --quiet --locked --root "$DIST_CACHE/cargo-tools" cargo-zigbuild >&2
  fi
  export PATH="$DIST_CACHE/bin:$DIST_CACHE/cargo-tools/bin:$DIST_VENV_BIN:$PATH"
  local installed missing=()
  installed=$(rustup target list --installed)
  for t in "${LINUX_TARGETS[@]}" wasm32-wasip1-threads; do
    grep -qx "$t" <<<"$installed" || missing+=("$t")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    step "package: rustup target add ${missing[*]} (once)"
    rustup target add "${missing[@]}" >&2
  fi
}

# The zig target of a Rust target: gnu targets pinned to glibc $DIST_GLIBC.
zig_target() {
  case "$1" in
    *-linux-gnu) echo "$1.$DIST_GLIBC" ;;
    *) echo "$1" ;;
  esac
}

# cargo zigbuild --release of package $1 for Rust target $2 (extra cargo arguments after);
# the artifacts land in $DIST_TARGET_DIR/$2/release.
dist_zigbuild() {
  local package=$1 target=$2
  shift 2
  cargo zigbuild --release --locked -p "$package" --target "$(zig_target "$target")" \
    --target-dir "$DIST_TARGET_DIR" "$@" >&2
}

# Short names used in file names: x86_64-unknown-linux-gnu → linux-x86_64-gnu.
target_short() {
  local arch=${1%%-*} libc=${1##*-}
  echo "linux-$arch-$libc"
}

# dist/SHA256SUMS and dist/sizes.txt over every file in dist/ (the Maven repository's
# metadata and checksum files aside).
dist_index() {
  # Python, not find -printf / du --apparent-size / sha256sum: the same on the macOS and
  # Windows runners of the release workflow.
  "$DIST_HOST_PYTHON" - "$DIST" <<'PY'
import hashlib, os, sys
root = sys.argv[1]
skip_names = {"SHA256SUMS", "sizes.txt", "_remote.repositories"}
files = []
for d, _, names in os.walk(root):
    for n in names:
        if n in skip_names or n.startswith("maven-metadata") or n.endswith((".sha1", ".md5")):
            continue
        files.append(os.path.relpath(os.path.join(d, n), root).replace(os.sep, "/"))
files.sort()
with open(os.path.join(root, "SHA256SUMS"), "w") as sums, open(os.path.join(root, "sizes.txt"), "w") as sizes:
    for f in files:
        path = os.path.join(root, f)
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        sums.write(f"{h.hexdigest()}  {f}\n")
        sizes.write(f"{(os.path.getsize(path) + 1023) // 1024:8d} KiB  {f}\n")
PY
}

# A PATH with every directory that holds cargo or rustc removed: what the install tests run
# under (a user's machine without Rust). Fails if cargo or rustc is still reachable.
path_without_rust() {
  local out=() dir
  IFS=: read -r -a dirs <<<"$PATH"
  for dir in "${dirs[@]}"; do
    [ -n "$dir" ] || continue
    # Rust itself, and the packaging tools that drive it (zig, cargo-zigbuild, maturin).
    if [ -e "$dir/cargo" ] || [ -e "$dir/rustc" ] || [ -e "$dir/rustup" ] || [ -e "$dir/zig" ] ||
      [ -e "$dir/cargo-zigbuild" ] || [ -e "$dir/maturin" ]; then
      case "$dir" in
        /usr/bin | /bin | /usr/local/bin | /usr/sbin | /sbin)
          # Dropping it would drop python3, node and java too.
          echo "path_without_rust: Rust is installed in $dir (a distribution package?); the install tests need it elsewhere (rustup's ~/.cargo/bin)" >&2
          return 1
          ;;
      esac
      continue
    fi
    out+=("$dir")
  done
  local joined
  joined=$(IFS=:; echo "${out[*]}")
  if PATH="$joined" command -v cargo >/dev/null 2>&1 || PATH="$joined" command -v rustc >/dev/null 2>&1; then
    echo "path_without_rust: cargo or rustc is still on PATH" >&2
    return 1
  fi
  echo "$joined"
}
