// swift-tools-version:5.9
// The Swift row of scripts/bench: the SDK's WebhookReceiver.decrypt against a hand-written
// receiver on Foundation and OpenSSL's EVP API, in one process. `scripts/bench swift` builds it
// with `swift build -c release` and runs it in the Swift chroot of scripts/suites/swift.sh.
// (The directory is not named "swift": SwiftPM names a path package after its directory, and
// the SDK package is bindings/uniffi/swift.)
//
// The SDK is a path dependency on bindings/uniffi/swift, laid out as scripts/test swift lays it
// out (generated sources, FFI module); KOMPLIANT_LIB_DIR points it at the release library.
// COpenSSL is a system-library target over libcrypto (Debian's libssl-dev, which the chroot
// set-up installs).
import PackageDescription

let package = Package(
    name: "swift-bench",
    dependencies: [
        .package(name: "KompliantWebhooks", path: "../../../bindings/uniffi/swift"),
    ],
    targets: [
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", providers: [.apt(["libssl-dev"])]),
        .executableTarget(
            name: "swift-bench",
            dependencies: [.product(name: "KompliantWebhooks", package: "KompliantWebhooks"), "COpenSSL"],
            path: "Sources/swift-bench"
        ),
    ]
)
