# The Swift suite: the generated Swift bindings compiled as a SwiftPM package and tested with
# XCTest inside a Debian trixie chroot (Debian 12 has no Swift toolchain; trixie has the
# `swiftlang` package). Sourced by scripts/test; helpers in uniffi-common.sh.
#
# The chroot is built once with debootstrap and cached OUTSIDE the repo (reused while its
# marker file says the install completed; a half-built one is rebuilt). Only /proc is mounted
# into it, and always unmounted. Override the place with KOMPLIANT_SWIFT_CHROOT.
#
# Two Swift runs on one machine (this suite, `scripts/bench swift`, another checkout's) would
# share the chroot's work directory and its /proc mount, so each holds an flock on
# "$SWIFT_CHROOT.lock" from the chroot check to the end (swift_with_lock); a second one waits
# for it (and says so).

SWIFT_CHROOT="${KOMPLIANT_SWIFT_CHROOT:-/var/cache/kompliant-webhooks/swift-trixie}"
SWIFT_MARKER=".kompliant-swift-ready"
# Debian packages the chroot holds: the toolchain, and OpenSSL's headers for the hand-written
# receiver of `scripts/bench swift`. A cached chroot missing one gets it installed.
SWIFT_PACKAGES=(swiftlang libssl-dev)
# Inside the chroot: where the package, the library and the simulator are copied.
SWIFT_WORK="/work/kompliant-webhooks"

suite_swift() {
  local start=$SECONDS rc=0
  uniffi_generate || return 1
  swift_with_lock swift_suite_locked "$start" || rc=$?
  [ "$rc" = 2 ] && SUMMARY+=("swift: FAIL - cannot create the lock file $SWIFT_CHROOT.lock (needs root)")
  [ "$rc" = 0 ]
}

# Runs CMD... holding the chroot's flock (waiting, and saying so, while another run holds it).
# Returns CMD's status, 1 if CMD failed or the lock could not be taken, 2 if the lock file
# cannot be created.
swift_with_lock() {
  local rc=0 lock_fd
  if ! mkdir -p "$(dirname "$SWIFT_CHROOT")" || ! exec {lock_fd}>"$SWIFT_CHROOT.lock"; then
    printf 'error: cannot create the lock file %s (needs root)\n' "$SWIFT_CHROOT.lock" >&2
    return 2
  fi
  if ! flock -n "$lock_fd"; then
    step "swift: waiting for another Swift run (scripts/test swift or scripts/bench swift) to finish with $SWIFT_CHROOT"
    flock "$lock_fd" || rc=1
  fi
  [ "$rc" = 0 ] && { "$@" || rc=1; }
  exec {lock_fd}>&-
  return "$rc"
}

# The suite proper, run while holding the chroot's lock; $1 is the suite's start time.
swift_suite_locked() {
  local start=$1 log="$TOOLS/swift-test.log" example_log="$TOOLS/swift-example.log"
  swift_chroot_ensure || { SUMMARY+=("swift: FAIL - the Swift toolchain chroot could not be set up (see above)"); return 1; }
  step "swift: copying the package, the generated bindings, the library and kompliant into the chroot"
  swift_stage || return 1

  step "swift: swift test (XCTest: vectors, errors, redaction, simulator integration)"
  local rc=0
  swift_in_chroot "cd $SWIFT_WORK/bindings/uniffi/swift && swift test --disable-swift-testing 2>&1" | tee "$log" || rc=1
  [ "${PIPESTATUS[0]}" = 0 ] || rc=1

  local example="not run"
  if [ "$rc" = 0 ]; then
    step "swift: examples/swift-decrypt decrypts a conformance vector"
    if swift_example >"$example_log" 2>&1; then example="ok"; else example="FAIL"; rc=1; fi
    cat "$example_log" >&2
  fi

  # The vector test prints "vectors: P/N passed" (N = cases it ran); N must be the number of
  # cases the file holds, and the summary shows P over that number.
  local counts vectors vector_total vectors_ran
  counts=$(swift_counts "$log")
  vector_total=$(vector_total) || rc=1
  vectors=$(sed -n 's/.*vectors: \([0-9]*\)\/[0-9]* passed.*/\1/p' "$log" | tail -1)
  vectors_ran=$(sed -n 's/.*vectors: [0-9]*\/\([0-9]*\) passed.*/\1/p' "$log" | tail -1)
  [ -n "$vectors" ] && [ "$vectors" = "$vector_total" ] && [ "$vectors_ran" = "$vector_total" ] || rc=1
  SUMMARY+=("swift: $([ "$rc" = 0 ] && echo PASS || echo FAIL) - $counts (vectors ${vectors:-0}/$vector_total; example: $example; Swift $(swift_version)) in $((SECONDS - start))s")
  return "$rc"
}

# "N passed, N failed" from XCTest's closing line ("Executed 12 tests, with 0 failures ...").
swift_counts() {
  awk '/Executed [0-9]+ tests?, with [0-9]+ failures?/ { seen = 1; for (i = 1; i <= NF; i++) { if ($(i) == "Executed") n = $(i+1); if ($(i) == "with") f = $(i+1) } }
       END { if (seen) printf "%d passed, %d failed", n - f, f; else printf "no tests ran (build failed?)" }' "$1"
}

swift_version() {
  sed -n 's/.*Swift version \([0-9.]*\).*/\1/p' "$SWIFT_CHROOT/$SWIFT_MARKER" 2>/dev/null | head -1
}

# Builds the chroot unless a complete one is cached.
swift_chroot_ensure() {
  if [ -f "$SWIFT_CHROOT/$SWIFT_MARKER" ]; then
    step "swift: reusing the toolchain chroot $SWIFT_CHROOT ($(swift_version))"
    swift_chroot_packages
    return
  fi
  step "swift: building the toolchain chroot $SWIFT_CHROOT (debootstrap trixie + swiftlang; a few minutes, once)"
  [ "$(id -u)" = 0 ] || { printf 'error: building the Swift chroot needs root (debootstrap, chroot, mount)\n' >&2; return 1; }
  uniffi_apt_install debootstrap debootstrap || return 1
  swift_unmount_proc
  if [ -e "$SWIFT_CHROOT" ]; then
    step "swift: removing an incomplete chroot left by an earlier run"
    rm -rf --one-file-system "$SWIFT_CHROOT" || return 1
  fi
  mkdir -p "$(dirname "$SWIFT_CHROOT")"
  debootstrap --variant=minbase trixie "$SWIFT_CHROOT" http://deb.debian.org/debian >"$TOOLS/swift-debootstrap.log" 2>&1 \
    || { tail -20 "$TOOLS/swift-debootstrap.log" >&2; printf 'error: debootstrap of Debian trixie failed (log: %s)\n' "$TOOLS/swift-debootstrap.log" >&2; return 1; }
  cp /etc/resolv.conf "$SWIFT_CHROOT/etc/resolv.conf" 2>/dev/null || true
  step "swift: apt-get install ${SWIFT_PACKAGES[*]} (inside the chroot)"
  swift_chroot_apt "${SWIFT_PACKAGES[@]}" || return 1
  swift_in_chroot "swift --version" >"$SWIFT_CHROOT/$SWIFT_MARKER.tmp" 2>&1 \
    || { cat "$SWIFT_CHROOT/$SWIFT_MARKER.tmp" >&2; printf 'error: swift does not run in the chroot\n' >&2; return 1; }
  mv "$SWIFT_CHROOT/$SWIFT_MARKER.tmp" "$SWIFT_CHROOT/$SWIFT_MARKER"
  step "swift: chroot ready ($(swift_version))"
}

# Installs into the chroot the packages of SWIFT_PACKAGES it lacks (a chroot cached before one
# was added to the list); does nothing when all are there.
swift_chroot_packages() {
  local pkg status missing=()
  for pkg in "${SWIFT_PACKAGES[@]}"; do
    status=$(chroot "$SWIFT_CHROOT" dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) || status=""
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
  done
  [ "${#missing[@]}" = 0 ] && return 0
  step "swift: apt-get install ${missing[*]} (inside the cached chroot, which lacks it)"
  [ "$(id -u)" = 0 ] || { printf 'error: installing into the Swift chroot needs root (chroot, mount)\n' >&2; return 1; }
  cp /etc/resolv.conf "$SWIFT_CHROOT/etc/resolv.conf" 2>/dev/null || true
  swift_chroot_apt "${missing[@]}"
}

# apt-get update + install PACKAGE... inside the chroot; the log goes to $TOOLS/swift-apt.log.
swift_chroot_apt() {
  swift_in_chroot "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq $* >/dev/null" \
    >"$TOOLS/swift-apt.log" 2>&1 || { tail -20 "$TOOLS/swift-apt.log" >&2; printf 'error: installing %s in the chroot failed (log: %s)\n' "$*" "$TOOLS/swift-apt.log" >&2; return 1; }
}

swift_unmount_proc() {
  chroot_unmount_proc "$SWIFT_CHROOT"
}

# Runs a shell command line inside the Swift chroot (lib.sh's chroot_run).
swift_in_chroot() {
  chroot_run "$SWIFT_CHROOT" "$1"
}

# Lays out $SWIFT_WORK in the chroot: the package with the generated sources and FFI module,
# the library, the simulator binary and the conformance vectors.
swift_stage() {
  local work="$SWIFT_CHROOT$SWIFT_WORK"
  rm -rf "$work" && mkdir -p "$work/bindings/uniffi" "$work/target/debug" "$work/tests/vectors" "$work/examples" || return 1
  # The package without a host-side build directory (each run builds from scratch, ~20 s).
  cp -r "$ROOT/bindings/uniffi/swift" "$work/bindings/uniffi/swift" || return 1
  rm -rf "$work/bindings/uniffi/swift/.build"
  cp -r "$ROOT/examples/swift-decrypt" "$work/examples/swift-decrypt" || return 1
  rm -rf "$work/examples/swift-decrypt/.build"
  mkdir -p "$work/bindings/uniffi/swift/Sources/KompliantWebhooks" "$work/bindings/uniffi/swift/FFI"
  cp "$UNIFFI_OUT/swift/KompliantWebhooks.swift" "$work/bindings/uniffi/swift/Sources/KompliantWebhooks/" || return 1
  cp "$UNIFFI_OUT/swift/KompliantWebhooksFFI.h" "$UNIFFI_OUT/swift/module.modulemap" "$work/bindings/uniffi/swift/FFI/" || return 1
  cp "$UNIFFI_LIB" "$work/target/debug/" || return 1
  cp "$ROOT/target/debug/kompliant" "$work/target/debug/" || return 1
  cp "$ROOT/tests/vectors/webhooks.json" "$work/tests/vectors/" || return 1
}

# Builds examples/swift-decrypt in the chroot and runs it on the first successful
# conformance vector: it must print the vector's webhook id and payload.
swift_example() {
  local work="$SWIFT_CHROOT$SWIFT_WORK" case_dir
  case_dir="$work/example-input"
  mkdir -p "$case_dir"
  python3 - "$ROOT/tests/vectors/webhooks.json" "$case_dir" <<'PY' || return 1
import base64, json, sys
cases = json.load(open(sys.argv[1]))["cases"]
case = next(c for c in cases if c["name"] == "ok_workflow_created")
out = sys.argv[2]
json.dump(case["keyring"], open(out + "/keys.json", "w"))
open(out + "/body.json", "wb").write(base64.b64decode(case["body_b64"]))
open(out + "/expect.txt", "w").write(case["expect"]["metadata"]["id"] + "\n" + base64.b64decode(case["expect"]["payload_b64"]).decode() + "\n")
PY
  local out
  out=$(swift_in_chroot "cd $SWIFT_WORK/examples/swift-decrypt && swift build -c debug 2>&1 >/dev/null | grep -v '^\\[' ; .build/debug/swift-decrypt --keys $SWIFT_WORK/example-input/keys.json $SWIFT_WORK/example-input/body.json") || { printf '%s\n' "$out"; return 1; }
  printf '%s\n' "$out"
  local id payload
  id=$(sed -n 1p "$case_dir/expect.txt"); payload=$(sed -n 2p "$case_dir/expect.txt")
  printf '%s\n' "$out" | grep -qF "$id" || { printf 'error: the example did not print the webhook id %s\n' "$id"; return 1; }
  printf '%s\n' "$out" | grep -qF "$payload" || { printf 'error: the example did not print the exact payload\n'; return 1; }
}
