// swift-tools-version:5.9
// The Swift install test's consumer (scripts/suites/dist-swift.sh copies it next to the package
// from dist/swift inside the Swift chroot): an application that depends on the distributable
// KompliantWebhooks package by path, with no unsafeFlags and no path into a build directory,
// and links the library installed from the Linux archive in /usr/local.
import PackageDescription

let package = Package(
    name: "dist-vectors",
    dependencies: [
        .package(name: "KompliantWebhooks", path: "../KompliantWebhooks"),
    ],
    targets: [
        .executableTarget(
            name: "dist-vectors",
            dependencies: [.product(name: "KompliantWebhooks", package: "KompliantWebhooks")],
            path: "Sources/dist-vectors"
        ),
    ]
)
