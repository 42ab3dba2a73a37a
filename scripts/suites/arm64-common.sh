# An arm64 Debian root run under emulation (qemu-user-static + binfmt_misc), for the install
# tests of the aarch64 artifacts. Built once with debootstrap and cached OUTSIDE the repo
# (KOMPLIANT_ARM64_ROOT, default /var/cache/kompliant-webhooks/arm64-trixie), reused while its
# marker file exists; a half-built one is rebuilt. Debian trixie: Node.js 20 and Python 3.13.
# Only /proc is mounted into it, and always unmounted. Helpers only; sourced by scripts/test.

ARM64_ROOT="${KOMPLIANT_ARM64_ROOT:-/var/cache/kompliant-webhooks/arm64-trixie}"
ARM64_MARKER=".kompliant-arm64-ready"
# Inside the root: where install tests stage their artifacts (arm64_stage_dir clears it).
ARM64_WORK="/work"

# Makes sure binfmt_misc runs aarch64 binaries through qemu and the root exists.
arm64_root_ensure() {
  [ "$(id -u)" = 0 ] || { echo "arm64: the emulated root needs root (debootstrap, chroot, binfmt_misc)" >&2; return 1; }
  if [ ! -x /usr/bin/qemu-aarch64-static ] || ! command -v debootstrap >/dev/null || ! command -v update-binfmts >/dev/null; then
    step "arm64: apt-get install qemu-user-static binfmt-support debootstrap (once)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static binfmt-support debootstrap >&2 || return 1
  fi
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || { echo "arm64: cannot mount binfmt_misc" >&2; return 1; }
  fi
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    update-binfmts --enable qemu-aarch64 >&2 || { echo "arm64: cannot register qemu-aarch64 with binfmt_misc" >&2; return 1; }
  fi
  if [ -f "$ARM64_ROOT/$ARM64_MARKER" ]; then
    return 0
  fi
  step "arm64: building the emulated Debian trixie arm64 root $ARM64_ROOT (debootstrap; ~10 min, once)"
  local partial="$ARM64_ROOT.partial"
  arm64_unmount_proc "$partial"
  rm -rf --one-file-system "$partial" "$ARM64_ROOT"
  mkdir -p "$(dirname "$ARM64_ROOT")"
  debootstrap --arch=arm64 --variant=minbase --include=python3,python3-venv,python3-pytest,nodejs,ca-certificates \
    trixie "$partial" http://deb.debian.org/debian >"$TOOLS/arm64-debootstrap.log" 2>&1 \
    || { tail -20 "$TOOLS/arm64-debootstrap.log" >&2; echo "arm64: debootstrap failed (log: $TOOLS/arm64-debootstrap.log)" >&2; return 1; }
  cp /etc/resolv.conf "$partial/etc/resolv.conf" 2>/dev/null || true
  chroot "$partial" /bin/sh -c 'uname -m; python3 --version; node --version' >"$partial/$ARM64_MARKER" 2>&1 \
    || { cat "$partial/$ARM64_MARKER" >&2; echo "arm64: the root does not run" >&2; return 1; }
  mv "$partial" "$ARM64_ROOT"
  step "arm64: root ready ($(arm64_describe))"
}

# "aarch64, Python 3.13.5, Node v20.19.2" from the marker.
arm64_describe() {
  tr '\n' ' ' <"$ARM64_ROOT/$ARM64_MARKER" | awk '{ printf "%s, %s %s, Node %s", $1, $2, $3, $4 }'
}

arm64_unmount_proc() {
  chroot_unmount_proc "${1:-$ARM64_ROOT}"
}

# Empties $ARM64_WORK inside the root and prints its path as seen from the host.
arm64_stage_dir() {
  rm -rf "${ARM64_ROOT:?}$ARM64_WORK" && mkdir -p "$ARM64_ROOT$ARM64_WORK" && echo "$ARM64_ROOT$ARM64_WORK"
}

# Runs a shell command line inside the arm64 root (emulated) with /proc mounted, and unmounts
# it afterwards whatever happens. No Rust in there: the root has none. Two callers at once
# take turns (an flock on "$ARM64_ROOT.lock"), so one never unmounts the other's /proc.
arm64_run() {
  local rc=0 lock_fd
  exec {lock_fd}>"$ARM64_ROOT.lock" && flock "$lock_fd" || return 1
  chroot_run "$ARM64_ROOT" "$1" || rc=$?
  exec {lock_fd}>&-
  return "$rc"
}
