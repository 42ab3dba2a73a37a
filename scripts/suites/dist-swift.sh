# The Swift install test (part of scripts/test dist; sourced by scripts/test), in the Debian
# trixie chroot of the Swift suite (swift.sh: same chroot, lock and /proc helpers): the Linux
# library archive from dist/swift is installed into the chroot's /usr/local as a user would
# (`tar -C /usr/local -xzf`, ldconfig), the source package is unzipped from dist/swift, and a
# consumer package (tests/dist/swift-consumer) that depends on it by path builds with no
# unsafeFlags and runs every conformance vector. The chroot has no Rust toolchain at all.
# The library is removed from /usr/local afterwards, so the development suite never sees it.
# Only Linux x86_64 is tested here; the Apple binaryTarget only on macOS (docs/kotlin-swift.md).

DIST_SWIFT_WORK="/work/kompliant-dist-check"

dist_check_swift() {
  local start=$SECONDS rc=0 lock_fd arch total
  arch=$(uname -m)
  local zip="$DIST/swift/kompliant-webhooks-swift-$VERSION-source.zip"
  local archive="$DIST/swift/kompliant-webhooks-swift-$VERSION-linux-$arch.tar.gz"
  local f
  for f in "$zip" "$archive"; do
    [ -f "$f" ] || { SUMMARY+=("dist: swift FAIL - $f is missing (scripts/package swift)"); return 1; }
  done
  total=$(vector_total) || return 1

  # The manifest a consumer gets must be one SwiftPM accepts from a dependency.
  if unzip -p "$zip" KompliantWebhooks/Package.swift | grep -nE 'unsafeFlags|target/|\.build/' >&2; then
    SUMMARY+=("dist: swift FAIL - the distributable Package.swift uses unsafeFlags or a build directory (above)")
    return 1
  fi
  dist_swift_pkgconfig "$archive" || { SUMMARY+=("dist: swift FAIL - the archive's pkg-config file does not resolve where it was extracted"); return 1; }

  mkdir -p "$(dirname "$SWIFT_CHROOT")" && exec {lock_fd}>"$SWIFT_CHROOT.lock" \
    || { SUMMARY+=("dist: swift FAIL - cannot create the lock file $SWIFT_CHROOT.lock (needs root)"); return 1; }
  if ! flock -n "$lock_fd"; then
    step "dist: swift: waiting for another Swift suite to finish with $SWIFT_CHROOT"
    flock "$lock_fd" || rc=1
  fi
  [ "$rc" = 0 ] && { dist_swift_locked "$start" "$zip" "$archive" "$total" || rc=1; }
  exec {lock_fd}>&-
  return "$rc"
}

# Host side, no chroot: the .pc file locates itself, so an archive extracted anywhere gives
# -L<there>/lib (what SwiftPM adds when pkg-config is present).
dist_swift_pkgconfig() {
  local archive=$1 prefix libs libdir
  command -v pkg-config >/dev/null || { echo "dist: swift: pkg-config is not installed; not checking the .pc file" >&2; return 0; }
  prefix=$(mktemp -d) || return 1
  tar -C "$prefix" -xzf "$archive" || { rm -rf "$prefix"; return 1; }
  libs=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --libs kompliant-webhooks 2>&1)
  libdir=$(grep -o -- '-L[^ ]*' <<<"$libs" | head -1)
  libdir=$(realpath -m "${libdir#-L}")
  rm -rf "$prefix"
  if [ "$libdir" = "$prefix/lib" ] && grep -q -- '-lkompliant_webhooks_uniffi' <<<"$libs"; then return 0; fi
  echo "dist: swift: pkg-config --libs kompliant-webhooks gave '$libs' for an archive extracted into $prefix" >&2
  return 1
}

# The check proper, holding the chroot's lock: $1 start time, $2 source zip, $3 library
# archive, $4 number of vectors in the file.
dist_swift_locked() {
  local start=$1 zip=$2 archive=$3 total=$4 rc=0 log="$TOOLS/dist-swift.log"
  swift_chroot_ensure || { SUMMARY+=("dist: swift FAIL - the Swift toolchain chroot could not be set up (see above)"); return 1; }
  local work="$SWIFT_CHROOT$DIST_SWIFT_WORK" installed="$SWIFT_CHROOT/usr/local/.kompliant-dist-check-files"
  dist_swift_uninstall
  rm -rf "$work" && mkdir -p "$work" || return 1
  unzip -q "$zip" -d "$work" && cp -r "$ROOT/tests/dist/swift-consumer" "$work/swift-consumer" &&
    cp "$ROOT/tests/vectors/webhooks.json" "$work/" || { SUMMARY+=("dist: swift FAIL - cannot lay out $work"); return 1; }

  step "dist: swift: installing $(basename "$archive") into the chroot's /usr/local"
  tar -tzf "$archive" | grep -v '/$' >"$installed" && tar -C "$SWIFT_CHROOT/usr/local" -xzf "$archive" \
    || { SUMMARY+=("dist: swift FAIL - cannot extract $(basename "$archive") into the chroot"); return 1; }
  swift_in_chroot "ldconfig" || rc=1

  step "dist: swift: a consumer package depending on dist/swift's KompliantWebhooks builds and runs every vector"
  local secs out
  secs=$(dist_time swift_in_chroot "cd $DIST_SWIFT_WORK/swift-consumer && swift build -c debug 2>&1" 2>"$log") \
    || { sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -v '^\[' | tail -30 >&2; rc=1; }
  [ -n "$secs" ] && dist_figure swift_consumer_build_seconds "$secs"
  local passed="" ran="" linked=""
  if [ "$rc" = 0 ]; then
    out=$(swift_in_chroot "cd $DIST_SWIFT_WORK/swift-consumer && ldd .build/debug/dist-vectors | grep kompliant_webhooks_uniffi; .build/debug/dist-vectors ../webhooks.json" 2>&1) || rc=1
    printf '%s\n' "$out" | grep -v '^vectors:' | head -20 >&2
    passed=$(sed -n 's/^vectors: \([0-9]*\)\/[0-9]* passed$/\1/p' <<<"$out")
    ran=$(sed -n 's/^vectors: [0-9]*\/\([0-9]*\) passed$/\1/p' <<<"$out")
    linked=$(sed -n 's/.*libkompliant_webhooks_uniffi.so => \([^ ]*\).*/\1/p' <<<"$out" | head -1)
    [ -n "$passed" ] && [ "$passed" = "$total" ] && [ "$ran" = "$total" ] || rc=1
    # The library in use is the one the archive installed, not one from a build directory.
    [ "$linked" = /usr/local/lib/libkompliant_webhooks_uniffi.so ] \
      || { echo "dist: swift: the consumer loads '${linked:-nothing}', not /usr/local/lib/libkompliant_webhooks_uniffi.so" >&2; rc=1; }
  fi
  dist_swift_uninstall
  rm -rf "$work"
  SUMMARY+=("dist: swift $([ "$rc" = 0 ] && echo PASS || echo FAIL) - SwiftPM package KompliantWebhooks $VERSION ($(basename "$zip"), no unsafeFlags) over $(basename "$archive") in /usr/local, Debian trixie chroot on $(uname -m), Swift $(swift_version): ${passed:-0}/$total vectors in $((SECONDS - start))s")
  return "$rc"
}

# Removes what an earlier check installed into the chroot's /usr/local (its file list).
dist_swift_uninstall() {
  local installed="$SWIFT_CHROOT/usr/local/.kompliant-dist-check-files" f
  [ -f "$installed" ] || return 0
  while IFS= read -r f; do
    case "$f" in ''|/*|*..*) continue ;; esac
    rm -f "$SWIFT_CHROOT/usr/local/${f#./}"
  done <"$installed"
  rm -f "$installed"
  swift_in_chroot "ldconfig" || true
}
