// swift-tools-version:5.9
// Opens a captured Kompliant webhook body with the Swift bindings (a path dependency on
// bindings/uniffi/swift; build that first with scripts/test swift, which also runs this).
import PackageDescription

let package = Package(
    name: "swift-decrypt",
    dependencies: [
        .package(name: "KompliantWebhooks", path: "../../bindings/uniffi/swift"),
    ],
    targets: [
        .executableTarget(
            name: "swift-decrypt",
            dependencies: [.product(name: "KompliantWebhooks", package: "KompliantWebhooks")],
            path: "Sources/swift-decrypt"
        ),
    ]
)
