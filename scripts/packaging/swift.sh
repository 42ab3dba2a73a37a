# package_swift: the Swift artifacts into dist/swift/ (sourced by scripts/package).
#   - KompliantWebhooks/ and kompliant-webhooks-swift-<v>-source.zip: the SwiftPM package a
#     consumer depends on (by path, or unzipped from a release). No unsafeFlags, no path into
#     target/: on Linux the C side is a system-library target (module map `link
#     "kompliant_webhooks_uniffi"`, pkg-config name kompliant-webhooks) over the library the
#     user installs; on Apple platforms it is a binaryTarget, the XCFramework a macOS release
#     job puts beside Package.swift (it cannot be built here; docs/kotlin-swift.md).
#   - kompliant-webhooks-swift-<v>-linux-<arch>.tar.gz per Linux target: the library, the C
#     header, a module map and a pkg-config file, laid out for `tar -C /usr/local -xzf`.
# The repository's bindings/uniffi/swift stays the development package (it links target/debug
# through unsafeFlags, which SwiftPM accepts for root and path packages only).

# shellcheck source=/dev/null
source "$ROOT/scripts/packaging/uniffi.sh"

SWIFT_PKG_NAME=KompliantWebhooks
SWIFT_PC_NAME=kompliant-webhooks

package_swift() {
  local out="$DIST/swift" target arch
  uniffi_need zip zip || return 1
  uniffi_release_prepare || return 1
  rm -rf "$out" && mkdir -p "$out" || return 1

  step "package swift: the SwiftPM package (source) into dist/swift/$SWIFT_PKG_NAME"
  swift_write_package "$out/$SWIFT_PKG_NAME" || return 1
  (cd "$out" && rm -f "kompliant-webhooks-swift-$VERSION-source.zip" &&
    zip -qrX "kompliant-webhooks-swift-$VERSION-source.zip" "$SWIFT_PKG_NAME") || return 1

  for target in "${UNIFFI_TARGETS[@]}"; do
    arch=${target%%-*}
    step "package swift: library archive for linux-$arch"
    swift_write_lib_archive "$target" "$out/kompliant-webhooks-swift-$VERSION-linux-$arch.tar.gz" || return 1
  done
  swift_check_package "$out/$SWIFT_PKG_NAME"
}

# Writes the distributable package into directory $1: the generated Swift, the hand-written
# extensions of bindings/uniffi/swift, the FFI header and the Linux module map, Package.swift.
swift_write_package() {
  local pkg=$1 gen="$UNIFFI_RELEASE_OUT/swift"
  rm -rf "$pkg" && mkdir -p "$pkg/Sources/KompliantWebhooks" "$pkg/Sources/KompliantWebhooksFFI" || return 1
  cp "$gen/KompliantWebhooks.swift" "$pkg/Sources/KompliantWebhooks/" || return 1
  # Every hand-written extension (error descriptions, Keyring.watch's default listener): all
  # Swift files of the dev package but the generated one.
  local f
  for f in "$ROOT"/bindings/uniffi/swift/Sources/KompliantWebhooks/*.swift; do
    [ "$(basename "$f")" = KompliantWebhooks.swift ] || cp "$f" "$pkg/Sources/KompliantWebhooks/" || return 1
  done
  # The header travels with the package (it matches the generated Swift); only the library
  # comes from the system. The module map names the library, so SwiftPM links it by itself.
  cp "$gen/KompliantWebhooksFFI.h" "$pkg/Sources/KompliantWebhooksFFI/" || return 1
  cat >"$pkg/Sources/KompliantWebhooksFFI/module.modulemap" <<'EOF'
module KompliantWebhooksFFI [system] {
    header "KompliantWebhooksFFI.h"
    link "kompliant_webhooks_uniffi"
    export *
}
EOF
  cp "$ROOT/LICENSE" "$pkg/LICENSE" || return 1
  cat >"$pkg/Package.swift" <<EOF
// swift-tools-version:5.9
// kompliant-webhooks $VERSION for Swift: the generated UniFFI bindings over the Rust core.
// Written by scripts/packaging/swift.sh (scripts/package swift); see docs/kotlin-swift.md.
//
// Linux: KompliantWebhooksFFI is a system library. Install the library archive first:
//   sudo tar -C /usr/local -xzf kompliant-webhooks-swift-$VERSION-linux-\$(uname -m).tar.gz && sudo ldconfig
// (another prefix: set PKG_CONFIG_PATH to its lib/pkgconfig and LD_LIBRARY_PATH to its lib).
// Apple platforms: KompliantWebhooksFFI is the XCFramework a release build puts beside this
// file (static libraries for macOS, iOS and the iOS simulator, with the header and module map).
// The manifest is evaluated on the machine that builds: a Mac (for macOS and iOS alike) takes
// the XCFramework, anything else the installed library.
import PackageDescription

#if canImport(Darwin)
let ffi: Target = .binaryTarget(
    name: "KompliantWebhooksFFI",
    path: "KompliantWebhooksFFI.xcframework"
)
#else
let ffi: Target = .systemLibrary(
    name: "KompliantWebhooksFFI",
    path: "Sources/KompliantWebhooksFFI",
    pkgConfig: "$SWIFT_PC_NAME",
    providers: []
)
#endif

let package = Package(
    name: "$SWIFT_PKG_NAME",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [
        .library(name: "KompliantWebhooks", targets: ["KompliantWebhooks"]),
    ],
    targets: [
        ffi,
        .target(
            name: "KompliantWebhooks",
            dependencies: ["KompliantWebhooksFFI"],
            path: "Sources/KompliantWebhooks"
        ),
    ]
)
EOF
  cat >"$pkg/README.md" <<EOF
# KompliantWebhooks $VERSION (Swift)

Receive and decrypt Kompliant's AES-256-GCM webhooks and manage webhook keys from Swift: the
UniFFI bindings of the kompliant-webhooks Rust core.

- Linux: install the library archive of your architecture, then depend on this package:

      sudo tar -C /usr/local -xzf kompliant-webhooks-swift-$VERSION-linux-\$(uname -m).tar.gz
      sudo ldconfig

- Apple platforms: this directory needs \`KompliantWebhooksFFI.xcframework\` beside
  \`Package.swift\` (the release build puts it there).

\`\`\`swift
.package(path: "path/to/KompliantWebhooks"),
// target: dependencies: [.product(name: "KompliantWebhooks", package: "KompliantWebhooks")]
\`\`\`

Documentation: docs/kotlin-swift.md in https://github.com/kompliant/kompliant-webhooks
EOF
}

# Writes the Linux library archive of Rust target $1 to $2: lib/, lib/pkgconfig/,
# include/kompliant_webhooks/ (header and module map, for swiftc -I or C), the license.
# Paths are relative to the prefix the user extracts into (/usr/local by default); the
# pkg-config file locates itself (\${pcfiledir}), so another prefix needs no edit.
swift_write_lib_archive() {
  local target=$1 archive=$2 stage
  stage=$(mktemp -d) || return 1
  mkdir -p "$stage/lib/pkgconfig" "$stage/include/kompliant_webhooks" "$stage/share/doc/kompliant-webhooks" || return 1
  cp "$(uniffi_release_lib "$target")" "$stage/lib/$UNIFFI_LIB_NAME" &&
    cp "$UNIFFI_RELEASE_OUT/swift/KompliantWebhooksFFI.h" "$stage/include/kompliant_webhooks/" &&
    cp "$ROOT/LICENSE" "$stage/share/doc/kompliant-webhooks/" || { rm -rf "$stage"; return 1; }
  # Not in include/ itself: clang reads <include dir>/module.modulemap when a module is imported,
  # and a second definition of KompliantWebhooksFFI next to the package's would clash.
  cat >"$stage/include/kompliant_webhooks/module.modulemap" <<'EOF'
module KompliantWebhooksFFI [system] {
    header "KompliantWebhooksFFI.h"
    link "kompliant_webhooks_uniffi"
    export *
}
EOF
  cat >"$stage/lib/pkgconfig/$SWIFT_PC_NAME.pc" <<EOF
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: $SWIFT_PC_NAME
Description: kompliant-webhooks (UniFFI C ABI of the Rust core, for the Swift package $SWIFT_PKG_NAME)
URL: https://github.com/kompliant/kompliant-webhooks
Version: $VERSION
Libs: -L\${libdir} -lkompliant_webhooks_uniffi
Cflags: -I\${includedir}
EOF
  # Reproducible: fixed owner, order and times.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2025-01-01 00:00Z' \
    -C "$stage" -czf "$archive" lib include share || { rm -rf "$stage"; return 1; }
  rm -rf "$stage"
  echo "package swift: $(basename "$archive") ($(( $(stat -c %s "$archive") / 1024 )) KiB)" >&2
}

# Fails unless package directory $1 is one a consumer can depend on: no unsafeFlags, no path
# into target/ or a build directory, and the sources it names are there.
swift_check_package() {
  local pkg=$1
  if grep -nE 'unsafeFlags|target/|\.build' "$pkg/Package.swift" >&2; then
    echo "package swift: $pkg/Package.swift must not use unsafeFlags or point into a build directory (above)" >&2
    return 1
  fi
  for f in Sources/KompliantWebhooks/KompliantWebhooks.swift Sources/KompliantWebhooksFFI/KompliantWebhooksFFI.h \
    Sources/KompliantWebhooksFFI/module.modulemap; do
    [ -s "$pkg/$f" ] || { echo "package swift: $pkg/$f is missing" >&2; return 1; }
  done
}
