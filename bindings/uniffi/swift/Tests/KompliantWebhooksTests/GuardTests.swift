import Foundation
import XCTest
@testable import KompliantWebhooks

/// A guard written in Swift, as a user would over their store: a dictionary of
/// id -> (holder token or done, expiry), fenced by token, behind a lock.
final class DictionaryGuard: WebhookGuard, @unchecked Sendable {
    private struct Entry { let holder: String?; let expires: Date }
    private var entries: [String: Entry] = [:]
    private let lock = NSLock()
    private(set) var renewals = 0
    private(set) var renewalsOnMainThread = 0

    private func live(_ id: String) -> Entry? {
        guard let entry = entries[id], entry.expires > Date() else { return nil }
        return entry
    }

    private func until(_ millis: UInt64) -> Date { Date().addingTimeInterval(Double(millis) / 1000) }

    func claim(webhookId: String, token: String, leaseMillis: UInt64) throws -> String {
        lock.lock(); defer { lock.unlock() }
        guard let entry = live(webhookId) else {
            entries[webhookId] = Entry(holder: token, expires: until(leaseMillis))
            return "ACQUIRED"
        }
        return entry.holder == nil ? "ALREADY_COMPLETED" : "IN_PROGRESS"
    }

    func renew(webhookId: String, token: String, leaseMillis: UInt64) throws -> String {
        lock.lock(); defer { lock.unlock() }
        renewals += 1
        if Thread.isMainThread { renewalsOnMainThread += 1 }
        guard live(webhookId)?.holder == token else { return "LOST" }
        entries[webhookId] = Entry(holder: token, expires: until(leaseMillis))
        return "HELD"
    }

    func complete(webhookId: String, token: String) throws -> String {
        lock.lock(); defer { lock.unlock() }
        if let entry = live(webhookId), entry.holder != token { return "LOST" }
        entries[webhookId] = Entry(holder: nil, expires: until(7 * 86_400_000))
        return "HELD"
    }

    func release(webhookId: String, token: String) throws -> String {
        lock.lock(); defer { lock.unlock() }
        guard live(webhookId)?.holder == token else { return "LOST" }
        entries[webhookId] = nil
        return "HELD"
    }

    var count: Int { lock.lock(); defer { lock.unlock() }; return renewals }
}

/// What a store's client throws, with a secret in its text.
struct StoreDown: Error { let detail: String }

/// A guard whose store is down: `claim` throws (with credentials in the error's text).
final class ThrowingGuard: WebhookGuard, @unchecked Sendable {
    func claim(webhookId: String, token: String, leaseMillis: UInt64) throws -> String {
        throw StoreDown(detail: "AUTH hunter2 refused by redis://admin:s3cret@10.0.0.7:6379")
    }
    func renew(webhookId: String, token: String, leaseMillis: UInt64) throws -> String { "HELD" }
    func complete(webhookId: String, token: String) throws -> String { "HELD" }
    func release(webhookId: String, token: String) throws -> String { "HELD" }
}

/// The duplicate guard through the core's guarded flow, from Swift.
final class GuardTests: XCTestCase {
    let keyId = "whk_20251121_01"
    var secret: WebhookSecret!
    var receiver: WebhookReceiver!

    override func setUpWithError() throws {
        secret = try WebhookSecret.generate()
        let keyring = Keyring()
        try keyring.addSecret(keyId: keyId, secret: secret)
        receiver = try WebhookReceiver(keyring: keyring)
    }

    func body(_ id: String, retryCount: UInt64 = 0) throws -> Data {
        let metadata = WebhookMetadata(id: id, eventType: "WORKFLOW_CREATED", timestamp: "2025-11-21T14:30:22Z",
                                       accountId: "sb_1", schemaVersion: "2025-11-21", keyId: keyId)
        return try sealWebhook(metadata: metadata, payload: Data(#"{"version":"1.0"}"#.utf8), secret: secret)
            .body(retryCount: retryCount)
    }

    func testMemoryGuardAnswersDuplicatesAndReleasesFailures() throws {
        let guarded = GuardedReceiver(receiver: receiver, guard: try MemoryGuard(), leaseMillis: 60_000)
        let first = try guarded.begin(body: body("wh_dup"))
        XCTAssertTrue(first.shouldProcess())
        let done = try first.finish(succeeded: true)
        XCTAssertEqual([done.name, String(done.httpStatus)], ["PROCESSED", "200"])
        XCTAssertNil(done.guardError)
        let again = try guarded.begin(body: body("wh_dup", retryCount: 1))
        XCTAssertFalse(again.shouldProcess())
        XCTAssertEqual(again.claim(), "ALREADY_COMPLETED")
        let duplicate = try again.finish(succeeded: false)
        XCTAssertEqual([duplicate.name, String(duplicate.httpStatus)], ["ALREADY_PROCESSED", "200"])

        let failing = try guarded.begin(body: body("wh_fail"))
        XCTAssertEqual(try guarded.begin(body: body("wh_fail")).finish(succeeded: true).httpStatus, 503)
        XCTAssertEqual(try failing.finish(succeeded: false).name, "HANDLER_FAILED")
        XCTAssertTrue(try guarded.begin(body: body("wh_fail", retryCount: 1)).shouldProcess())

        guard case .Internal? = expectError({ try failing.finish(succeeded: true) }) else {
            return XCTFail("finishing twice is not INTERNAL")
        }
        XCTAssertTrue(handlerSucceeded(raised: false, responseStatus: 399))
        XCTAssertFalse(handlerSucceeded(raised: false, responseStatus: 400))
        XCTAssertFalse(handlerSucceeded(raised: true))
    }

    func testConcurrentDeliveriesRunTheHandlerOnce() throws {
        let guarded = GuardedReceiver(receiver: receiver, guard: try MemoryGuard())
        let bodies = try (0..<4).map { try body("wh_race", retryCount: UInt64($0)) }
        let lock = NSLock()
        var handled = 0
        var names: [String] = []
        DispatchQueue.concurrentPerform(iterations: 12) { n in
            guard let delivery = try? guarded.begin(body: bodies[n % bodies.count]) else { return }
            if delivery.shouldProcess() { lock.lock(); handled += 1; lock.unlock() }
            let name = (try? delivery.finish(succeeded: true))?.name ?? "ERROR"
            lock.lock(); names.append(name); lock.unlock()
        }
        XCTAssertEqual(handled, 1, "\(names)")
        XCTAssertEqual(names.count, 12)
        XCTAssertEqual(names.filter { $0 == "PROCESSED" }.count, 1, "\(names)")
    }

    func testASwiftGuardIsRenewedWhileASlowHandlerRuns() throws {
        let store = DictionaryGuard()
        let guarded = GuardedReceiver(receiver: receiver, guard: store, leaseMillis: 150)
        let delivery = try guarded.begin(body: body("wh_slow"))
        XCTAssertTrue(delivery.shouldProcess())
        Thread.sleep(forTimeInterval: 0.6) // four leases: without renewal the claim would lapse
        XCTAssertEqual(try guarded.begin(body: body("wh_slow", retryCount: 1)).claim(), "IN_PROGRESS")
        let done = try delivery.finish(succeeded: true)
        XCTAssertEqual(done.name, "PROCESSED")
        XCTAssertFalse(done.claimLost)
        XCTAssertGreaterThanOrEqual(store.count, 3)
        XCTAssertEqual(store.renewalsOnMainThread, 0)
        XCTAssertEqual(try guarded.begin(body: body("wh_slow", retryCount: 2)).claim(), "ALREADY_COMPLETED")

        // Without renewal a stale holder learns it lost, and leaves the new claim alone.
        let stale = GuardedReceiver(receiver: receiver, guard: store, leaseMillis: 100, renew: false)
        let first = try stale.begin(body: body("wh_stale"))
        Thread.sleep(forTimeInterval: 0.25)
        let second = try stale.begin(body: body("wh_stale", retryCount: 1))
        XCTAssertTrue(second.shouldProcess())
        let lost = try first.finish(succeeded: false)
        XCTAssertTrue(lost.claimLost)
        XCTAssertTrue(first.claimLostMessage(succeeded: false).contains("wh_stale"))
        XCTAssertFalse(try second.finish(succeeded: true).claimLost)
    }

    func testAThrowingGuardIsInternalWithoutItsText() throws {
        let guarded = GuardedReceiver(receiver: receiver, guard: ThrowingGuard())
        let e = expectError { try guarded.begin(body: body("wh_throw")) }
        guard case .Internal(let code, let detail, _)? = e else { return XCTFail("not Internal: \(String(describing: e))") }
        XCTAssertEqual(code, "INTERNAL")
        XCTAssertEqual(e?.httpStatus(), 500)
        XCTAssertTrue(detail.contains("claim() threw StoreDown"), detail)
        for leak in ["hunter2", "s3cret", "10.0.0.7", "AUTH"] {
            XCTAssertFalse(String(describing: e!).contains(leak), String(describing: e!))
        }
    }

    /// docs/kotlin-swift.md "Duplicate guard": the documented receive function, as written there.
    func testTheDocumentedReceiveFunction() throws {
        let keyring = receiver.keyring()
        let guarded = GuardedReceiver(receiver: try WebhookReceiver(keyring: keyring), guard: try MemoryGuard())

        func receive(body: Data, handle: (Webhook) throws -> Void) -> (status: UInt16, text: String) {
            let delivery: GuardedDelivery
            do { delivery = try guarded.begin(body: body) } catch let e as KompliantError {
                return (e.httpStatus(), e.publicMessage())
            } catch { return (500, "webhook receiver error") }
            var succeeded = true
            if delivery.shouldProcess() {
                do { try handle(delivery.webhook()); succeeded = handlerSucceeded(raised: false) }
                catch { succeeded = handlerSucceeded(raised: true) }
            }
            guard let finished = try? delivery.finish(succeeded: succeeded) else { return (500, "webhook receiver error") }
            if let e = finished.guardError { print("duplicate guard: \(e)") }
            if let e = finished.renewalError { print("duplicate guard renewal: \(e)") }
            if finished.claimLost { print(delivery.claimLostMessage(succeeded: succeeded)) }
            return (finished.httpStatus, finished.publicMessage)
        }

        var handled: [String] = []
        let first = receive(body: try body("wh_doc")) { handled.append($0.id()) }
        XCTAssertEqual(first.status, 200)
        XCTAssertEqual(first.text, "webhook processed")
        XCTAssertEqual(receive(body: try body("wh_doc", retryCount: 1)) { handled.append($0.id()) }.text, "webhook already processed")
        XCTAssertEqual(receive(body: try body("wh_doc_fail")) { _ in throw StoreDown(detail: "handler bug") }.status, 500)
        XCTAssertEqual(receive(body: try body("wh_doc_fail", retryCount: 1)) { handled.append($0.id()) }.status, 200)
        XCTAssertEqual(handled, ["wh_doc", "wh_doc_fail"])
    }

    func testRedisProtocolIsTheCores() {
        let redis = redisProtocol()
        XCTAssertEqual(redis.defaultPrefix, "kompliant:webhook:")
        XCTAssertEqual(redis.done, "done")
        XCTAssertTrue(redis.claimScript.contains("'in-progress:' .. ARGV[1]"))
        XCTAssertEqual(redis.helds, ["HELD", "LOST"])
    }
}
