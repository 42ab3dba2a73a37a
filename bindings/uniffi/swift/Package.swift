// swift-tools-version:5.9
// Swift bindings of kompliant-webhooks (UniFFI). scripts/test swift (scripts/suites/swift.sh)
// generates the sources and lays them out before building:
//
//   Sources/KompliantWebhooks/KompliantWebhooks.swift   generated bindings (git-ignored)
//   FFI/KompliantWebhooksFFI.h, FFI/module.modulemap    the C side of the FFI (git-ignored)
//   $KOMPLIANT_LIB_DIR (default ../../../target/debug)  libkompliant_webhooks_uniffi.so
//
// The FFI header and module map form a system-library target (so SwiftPM hands the module map
// to every module that needs it, XCTest's generated test-discovery module included). The linker
// needs ABSOLUTE paths for the library and the rpath (relative ones break once the package is
// built from another directory), so they are computed from the package directory.
import Foundation
import PackageDescription

let packageDir = URL(fileURLWithPath: Context.packageDirectory).standardizedFileURL.path
let libDir = URL(fileURLWithPath: Context.environment["KOMPLIANT_LIB_DIR"] ?? packageDir + "/../../../target/debug")
    .standardizedFileURL.path

let package = Package(
    name: "KompliantWebhooks",
    products: [
        .library(name: "KompliantWebhooks", targets: ["KompliantWebhooks"]),
    ],
    targets: [
        .systemLibrary(name: "KompliantWebhooksFFI", path: "FFI"),
        .target(
            name: "KompliantWebhooks",
            dependencies: ["KompliantWebhooksFFI"],
            path: "Sources/KompliantWebhooks",
            exclude: ["README.md"],
            linkerSettings: [
                .unsafeFlags(["-L", libDir, "-lkompliant_webhooks_uniffi", "-Xlinker", "-rpath", "-Xlinker", libDir]),
            ]
        ),
        .testTarget(
            name: "KompliantWebhooksTests",
            dependencies: ["KompliantWebhooks"],
            path: "Tests/KompliantWebhooksTests"
        ),
    ]
)
