import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import KompliantWebhooks

/// `KompliantClient.fromEnv(options:)`: credentials from the environment, the binding's user
/// agent, the options honoured. A fake API on loopback records what the client sends.
final class ClientEnvTests: XCTestCase {
    let names = ["KOMPLIANT_API_KEY", "KOMPLIANT_SECRET_KEY", "KOMPLIANT_AUTH_TOKEN", "KOMPLIANT_BASE_URL"]

    /// Runs `body` with exactly `vars` of `names` set, then restores the previous values.
    func withEnv<T>(_ vars: [String: String], _ body: () throws -> T) rethrows -> T {
        let saved = names.map { name in (name, getenv(name).map { String(cString: $0) }) }
        for name in names {
            if let value = vars[name] { setenv(name, value, 1) } else { unsetenv(name) }
        }
        defer {
            for (name, value) in saved {
                if let value { setenv(name, value, 1) } else { unsetenv(name) }
            }
        }
        return try body()
    }

    func testFromEnvSendsTheBindingsUserAgentAndHonoursTheOptions() async throws {
        let api = FakeApi()
        defer { api.stop() }
        let env = ["KOMPLIANT_API_KEY": "key-1", "KOMPLIANT_SECRET_KEY": "c2VjcmV0LWtleQ==",
                   "KOMPLIANT_AUTH_TOKEN": "token-1", "KOMPLIANT_BASE_URL": api.baseUrl]
        let (plain, custom) = try withEnv(env) {
            (try KompliantClient.fromEnv(),
             try KompliantClient.fromEnv(options: ClientOptions(baseUrl: "https://ignored.example", maxRetries: 0, userAgent: "acme-app/2.0")))
        }
        XCTAssertEqual(plain.baseUrl(), api.baseUrl)
        XCTAssertEqual(plain.apiKey(), "key-1")
        let version = try await plain.checkVersion()
        XCTAssertEqual(version.latestVersion, "2025-03-24")
        let first = api.take()
        XCTAssertEqual(first.map(\.path), ["/meta.checkVersion"])
        XCTAssertTrue(first.first?.userAgent?.hasPrefix("kompliant-webhooks-uniffi/") ?? false, String(describing: first.first?.userAgent))

        // KOMPLIANT_BASE_URL wins over options.baseUrl; every other option is honoured.
        api.answer(503, "upstream unavailable")
        XCTAssertEqual(custom.baseUrl(), api.baseUrl)
        let e = await expectError { try await custom.checkVersion() }
        guard case .ServerError? = e else { return XCTFail("not ServerError: \(String(describing: e))") }
        let retried = api.take()
        XCTAssertEqual(retried.map(\.path), ["/meta.checkVersion"])
        XCTAssertEqual(retried.map(\.userAgent), ["acme-app/2.0"])
    }

    func testFromEnvNamesEachMissingVariable() throws {
        let e = withEnv(["KOMPLIANT_API_KEY": "key-1"]) { expectError { try KompliantClient.fromEnv() } }
        guard case .InvalidConfiguration(_, let detail, _)? = e else { return XCTFail("not InvalidConfiguration: \(String(describing: e))") }
        XCTAssertTrue(detail.contains("KOMPLIANT_SECRET_KEY") && detail.contains("KOMPLIANT_AUTH_TOKEN"), detail)
        let bad = withEnv(["KOMPLIANT_API_KEY": "k", "KOMPLIANT_SECRET_KEY": "c2VjcmV0", "KOMPLIANT_AUTH_TOKEN": "t"]) {
            expectError { try KompliantClient.fromEnv(options: ClientOptions(userAgent: "")) }
        }
        XCTAssertTrue(bad?.detail().contains("user_agent") ?? false, String(describing: bad))
    }
}

/// A fake Kompliant API on loopback: records each request's path and User-Agent and answers
/// with the status and body last set (a `meta.checkVersion` success at first).
final class FakeApi: @unchecked Sendable {
    struct Request { let path: String; let userAgent: String? }
    private let lock = NSLock()
    private var requests: [Request] = []
    private var status: UInt16 = 200
    private var body = #"{"meta":{"status":"SUCCESS","trace_id":"trc_1","version":"2025-03-24"},"data":{"current_version":"2025-03-24","latest_version":"2025-03-24"}}"#
    private var server: LoopbackServer!

    init() {
        server = LoopbackServer { [unowned self] request in self.record(request) }
    }

    var baseUrl: String { server.baseUrl }

    private func record(_ request: HTTPRequest) -> (UInt16, String) {
        lock.lock(); defer { lock.unlock() }
        requests.append(Request(path: request.path, userAgent: request.headers["user-agent"]))
        return (status, body)
    }

    /// The requests received since the last call.
    func take() -> [Request] {
        lock.lock(); defer { lock.unlock() }
        defer { requests = [] }
        return requests
    }

    /// Answers every later request with `status` and `body`.
    func answer(_ status: UInt16, _ body: String) {
        lock.lock(); defer { lock.unlock() }
        self.status = status
        self.body = body
    }

    func stop() { server.stop() }
}
