import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import KompliantWebhooks

/// Records every event of a watched keyring; optionally throws after recording.
final class RecordingListener: KeyringFileListener, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [KeyringFileEvent] = []
    private let failure: Error?

    init(throwing failure: Error? = nil) { self.failure = failure }

    func onEvent(event: KeyringFileEvent) throws {
        lock.lock()
        recorded.append(event)
        lock.unlock()
        if let failure { throw failure }
    }

    var events: [KeyringFileEvent] { lock.lock(); defer { lock.unlock() }; return recorded }
    var problems: [KompliantError] { events.compactMap { if case .problem(_, let error, _) = $0 { return error } else { return nil } } }
    var reloads: [[String]] { events.compactMap { if case .reloaded(_, let keyIds, _) = $0 { return keyIds } else { return nil } } }
}

struct ListenerBug: Error {}

/// Keyring files as a running receiver uses them: `Keyring.watch` follows the file another
/// thread rotates keys into and keeps its last good keys through a bad file, reporting it once;
/// `addToKeyringFile` records retirements and prunes; no keyring is silently empty.
final class KeyringWatchTests: XCTestCase {
    let first = "whk_20251121_01"
    let second = "whk_20251122_01"
    var secrets: [String: WebhookSecret] = [:]
    var dir: URL!
    var file: String { dir.appendingPathComponent("keys.json").path }

    override func setUpWithError() throws {
        secrets = [first: try WebhookSecret.generate(), second: try WebhookSecret.generate()]
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("kompliant-watch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func b64(_ keyId: String) -> String { secrets[keyId]!.toBase64() }

    func sealed(_ keyId: String) throws -> Data {
        let metadata = WebhookMetadata(id: "wh_watch_\(keyId)", eventType: "WORKFLOW_CREATED", timestamp: "2025-11-21T14:30:22.123Z",
                                       accountId: "sb_123", schemaVersion: "2025-11-21", keyId: keyId)
        return try sealWebhook(metadata: metadata, payload: Data(#"{"version":"1.0"}"#.utf8), secret: secrets[keyId]!).body(retryCount: 0)
    }

    func testFromEnvWithNoKeyVariableIsInvalidKey() {
        let e = withProcessEnv([:], clearPrefixes: ["KOMPLIANT_WEBHOOK_SECRET_"]) {
            expectTypedError(["INVALID_KEY"]) { try Keyring.fromEnv() }
        }
        XCTAssertTrue(e?.detail().contains("KOMPLIANT_WEBHOOK_SECRET_") ?? false, String(describing: e))
    }

    func testAKeyringWithNoKeyADirectoryAFifoAndNonUtf8AreInvalidKey() throws {
        try "{}\n".write(toFile: file, atomically: true, encoding: .utf8)
        let fifo = dir.appendingPathComponent("keys.fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let binary = dir.appendingPathComponent("binary.json")
        try Data([0x7B, 0xFF, 0xFE, 0x7D]).write(to: binary)
        // A FIFO with no writer would block an open() forever: these calls return at once
        // (a hang here stalls the suite, which its caller's timeout reports).
        for path in [file, dir.path, fifo, binary.path] {
            expectTypedError(["INVALID_KEY"], " for \(path)") { try Keyring.fromFile(path: path) }
            expectTypedError(["INVALID_KEY"], " for \(path)") { try Keyring.watch(path: path, listener: RecordingListener()) }
        }
        expectTypedError(["INVALID_KEY"]) { try Keyring.fromJson(json: "{}") }
        expectTypedError(["IO_ERROR"]) { try Keyring.watch(path: self.dir.appendingPathComponent("missing.json").path) }
    }

    func testAKeyAnotherThreadAddsIsUsedByTheNextDecrypt() throws {
        try addToKeyringFile(path: file, keyId: first, secretBase64: b64(first))
        let listener = RecordingListener()
        let keyring = try Keyring.watch(path: file, listener: listener)
        XCTAssertEqual(keyring.watchedPath(), file)
        let receiver = try WebhookReceiver(keyring: keyring)
        XCTAssertEqual(try receiver.decrypt(body: try sealed(first)).keyId(), first)
        expectTypedError(["UNKNOWN_KEY"]) { try receiver.decrypt(body: try self.sealed(self.second)) }

        let path = file, keyId = second, secret = b64(second)
        let done = expectation(description: "stored")
        Thread { try! addToKeyringFile(path: path, keyId: keyId, secretBase64: secret); done.fulfill() }.start()
        wait(for: [done], timeout: 10)
        XCTAssertEqual(try receiver.decrypt(body: try sealed(second)).keyId(), second)
        // The rotated-out key is retired, not removed: redeliveries still decrypt.
        XCTAssertEqual(try receiver.decrypt(body: try sealed(first)).keyId(), first)
        let line = "keyring file \(file) reloaded: \(first), \(second)"
        XCTAssertEqual(listener.events, [.reloaded(path: file, keyIds: [first, second], message: line)])
        XCTAssertEqual(listener.events.first?.description, line)
    }

    func testABadOrDeletedFileKeepsTheKeysAndIsReportedOnce() throws {
        try addToKeyringFile(path: file, keyId: first, secretBase64: b64(first))
        let good = try String(contentsOfFile: file, encoding: .utf8)
        let listener = RecordingListener()
        let receiver = try WebhookReceiver(keyring: try Keyring.watch(path: file, interval: 0, listener: listener))

        try String(good.prefix(good.count / 2)).write(toFile: file, atomically: false, encoding: .utf8)
        for _ in 0..<5 { XCTAssertEqual(try receiver.decrypt(body: try sealed(first)).keyId(), first) }
        XCTAssertEqual(listener.problems.map { $0.code() }, ["INVALID_KEY"])

        try good.write(toFile: file, atomically: false, encoding: .utf8)
        try addToKeyringFile(path: file, keyId: second, secretBase64: b64(second))
        XCTAssertEqual(try receiver.decrypt(body: try sealed(second)).keyId(), second)
        XCTAssertEqual(listener.reloads, [[first, second]])

        try FileManager.default.removeItem(atPath: file)
        for _ in 0..<5 { XCTAssertEqual(try receiver.decrypt(body: try sealed(second)).keyId(), second) }
        XCTAssertEqual(listener.problems.map { $0.code() }, ["INVALID_KEY", "IO_ERROR"])
    }

    func testAListenerThatThrowsNeverBreaksDecrypt() throws {
        try addToKeyringFile(path: file, keyId: first, secretBase64: b64(first))
        let listener = RecordingListener(throwing: ListenerBug())
        let receiver = try WebhookReceiver(keyring: try Keyring.watch(path: file, interval: 0, listener: listener))
        try "{not json".write(toFile: file, atomically: false, encoding: .utf8)
        XCTAssertEqual(try receiver.decrypt(body: try sealed(first)).keyId(), first)
        try FileManager.default.removeItem(atPath: file)
        try addToKeyringFile(path: file, keyId: second, secretBase64: b64(second))
        XCTAssertEqual(try receiver.decrypt(body: try sealed(second)).keyId(), second)
        XCTAssertEqual(listener.events.count, 2)
    }

    func testWithoutAListenerEachEventIsOneLineOnStandardError() throws {
        try addToKeyringFile(path: file, keyId: first, secretBase64: b64(first))
        let receiver = try WebhookReceiver(keyring: try Keyring.watch(path: file, interval: 0))
        // Standard error into a file for the duration (XCTest reports on standard output).
        let captured = dir.appendingPathComponent("stderr.txt").path
        let fd = open(captured, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        let saved = dup(2)
        dup2(fd, 2)
        do {
            defer { dup2(saved, 2); close(saved); close(fd) }
            try "[]".write(toFile: file, atomically: false, encoding: .utf8)
            _ = try receiver.decrypt(body: try sealed(first))
            _ = try receiver.decrypt(body: try sealed(first))
            try FileManager.default.removeItem(atPath: file)
            try addToKeyringFile(path: file, keyId: second, secretBase64: b64(second))
            _ = try receiver.decrypt(body: try sealed(second))
        }
        let lines = try String(contentsOfFile: captured, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.first?.hasPrefix("kompliant_webhooks warning: keyring file \(file) changed but cannot be loaded") ?? false, lines.joined(separator: "\n"))
        XCTAssertEqual(lines.last, "kompliant_webhooks info: keyring file \(file) reloaded: \(second)")
    }

    func testAddToKeyringFileRetiresWithAnRfc3339TimeAndPrunes() throws {
        try addToKeyringFile(path: file, keyId: first, secretBase64: b64(first))
        try addToKeyringFile(path: file, keyId: second, secretBase64: b64(second))
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any]
        XCTAssertEqual(json[second] as? String, b64(second))
        let retired = json[first] as! [String: String]
        XCTAssertEqual(retired["secret"], b64(first))
        let at = retired["retired_at"]!
        XCTAssertNotNil(at.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#, options: .regularExpression), at)
        XCTAssertEqual(try Keyring.fromFile(path: file).keyIds(), [first, second])

        // Retired two days ago is within the default 7 days, not within an hour; the key the
        // last rotation retired (a day ago) stays whatever the retention: it may still be
        // ACTIVE if that rotation failed.
        let stamp = ISO8601DateFormatter()
        let twoDaysAgo = stamp.string(from: Date().addingTimeInterval(-2 * 86_400))
        let dayAgo = stamp.string(from: Date().addingTimeInterval(-86_400))
        let retiredTwice = #"{"\#(first)":{"secret":"\#(b64(first))","retired_at":"\#(twoDaysAgo)"},"\#(second)":{"secret":"\#(b64(second))","retired_at":"\#(dayAgo)"}}"#
        try retiredTwice.write(toFile: file, atomically: true, encoding: .utf8)
        try addToKeyringFile(path: file, keyId: second, secretBase64: b64(second))
        json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any]
        XCTAssertEqual(Set(json.keys), [first, second])
        // (Adding `second` made it the current key again: start from the same file.)
        try retiredTwice.write(toFile: file, atomically: true, encoding: .utf8)
        try addToKeyringFile(path: file, keyId: second, secretBase64: b64(second), retention: 3600)
        json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any]
        XCTAssertEqual(Set(json.keys), [second])
    }
}
