import Foundation
import XCTest
@testable import KompliantWebhooks

/// A key store implemented in Swift: the keyring file (through the SDK) and the live keyring.
final class RecordingStore: WebhookKeyStore, @unchecked Sendable {
    let keyring: Keyring
    let path: String
    var stored: [String] = []
    init(keyring: Keyring, path: String) { self.keyring = keyring; self.path = path }
    func store(keyId: String, secretBase64: String) async throws {
        try await Task.sleep(nanoseconds: 10_000_000)
        try addToKeyringFile(path: path, keyId: keyId, secretBase64: secretBase64)
        try keyring.add(keyId: keyId, secretBase64: secretBase64)
        stored.append(keyId)
    }
}

struct VaultDown: Error {}

final class FailingStore: WebhookKeyStore, @unchecked Sendable {
    func store(keyId: String, secretBase64: String) async throws { throw VaultDown() }
}

/// The spellings of a base64 secret a store's error might quote.
func spellings(_ secret: String) -> [String] {
    let trimmed = { (s: String) in String(s.reversed().drop(while: { $0 == "=" }).reversed()) }
    let urlSafe = secret.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    return [secret, trimmed(secret), urlSafe, trimmed(urlSafe)]
}

/// An error whose text quotes whatever it is given (as some secret managers' errors do).
struct VaultRefused: Error, CustomStringConvertible {
    let description: String
}

/// A store whose error quotes the secret (every spelling) and the client's auth token.
final class LeakyStore: WebhookKeyStore, @unchecked Sendable {
    let token: String
    let typed: Bool
    var secret: String?
    init(token: String, typed: Bool) { self.token = token; self.typed = typed }
    func store(keyId: String, secretBase64: String) async throws {
        secret = secretBase64
        if typed {
            throw KompliantError.IoError(code: "IO_ERROR", detail: "cannot write \(secretBase64) to the vault", api: nil)
        }
        throw VaultRefused(description: "vault refused \(spellings(secretBase64).joined(separator: "; ")); token \(token)")
    }
}

/// The whole job against `kompliant sim` on loopback (started by the test).
final class SimulatorTests: XCTestCase {
    var sim: Simulator!

    override func setUpWithError() throws { sim = try Simulator() }
    override func tearDown() { sim.stop() }

    func trigger(_ client: KompliantClient, _ eventType: String) async throws -> String {
        let answer = try await client.call(method: "sim.event.trigger", bodyJson: #"{"event_type":"\#(eventType)"}"#, retry: .onlyIfNotSent)
        let data = try JSONSerialization.jsonObject(with: Data(answer.dataJson.utf8)) as! [String: Any]
        return data["webhook_id"] as! String
    }

    func testCreateStoreActivateTriggerReceiveAndRotate() async throws {
        let client = try sim.client()
        let version = try await client.checkVersion()
        XCTAssertEqual(version.currentVersion, "2025-03-24")
        let keyring = Keyring()
        let receiver = TestReceiver(receiver: try WebhookReceiver(keyring: keyring))
        defer { receiver.stop() }

        let created = try await client.createWebhookKey(accountId: sim.accountId)
        XCTAssertEqual(created.status, .inactive)
        XCTAssertFalse(String(describing: created).contains(created.secret.toBase64()))
        try keyring.addSecret(keyId: created.keyId, secret: created.secret)
        let activated = try await client.activateWebhookKey(keyId: created.keyId)
        XCTAssertEqual(activated.status, .active)
        let fetched = try await client.getWebhookKey(keyId: created.keyId)
        XCTAssertEqual(fetched.status, .active)

        let configId = try await client.createWebhookConfig(accountId: sim.accountId, url: receiver.url)
        XCTAssertTrue(configId.hasPrefix("whc_"))
        let config = try await client.getWebhookConfig(accountId: sim.accountId, configId: configId)
        XCTAssertEqual(config.url, receiver.url)
        try await client.updateWebhookConfig(accountId: sim.accountId, configId: configId, url: receiver.url)
        let configs = try await client.listWebhookConfigs(accountId: sim.accountId)
        XCTAssertEqual(configs.map(\.configId), [configId])
        let duplicate = await expectError { try await client.createWebhookConfig(accountId: self.sim.accountId, url: receiver.url) }
        XCTAssertEqual(duplicate?.code(), "URL_ALREADY_EXISTS")

        let id = try await trigger(client, "WORKFLOW_CREATED")
        let webhook = try XCTUnwrap(receiver.next())
        XCTAssertEqual(webhook.id(), id)
        XCTAssertEqual(webhook.keyId(), created.keyId)
        XCTAssertEqual(webhook.retryCount(), 0)
        guard case .workflow(let workflow) = try webhook.event() else { return XCTFail("not a workflow view") }
        XCTAssertEqual(workflow.eventType, "WORKFLOW_CREATED")
        XCTAssertTrue(workflow.workflowId.hasPrefix("w_"))

        _ = try await trigger(client, "SUBJECT_RECORD_DATA_UPDATED")
        guard case .subjectRecordDataUpdated? = try receiver.next()?.event() else { return XCTFail("wrong view") }

        // Rotation with a store implemented in Swift (an async function).
        let keysFile = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString).json").path
        let store = RecordingStore(keyring: keyring, path: keysFile)
        let rotation = try await client.rotateWebhookKey(accountId: sim.accountId, store: store)
        XCTAssertEqual(store.stored, [rotation.newKeyId])
        XCTAssertNotEqual(rotation.newKeyId, created.keyId)
        XCTAssertEqual(rotation.previousKeyId, created.keyId)
        let old = try await client.getWebhookKey(keyId: created.keyId)
        XCTAssertEqual(old.status, .deleted)
        XCTAssertEqual(try Keyring.fromFile(path: keysFile).keyIds(), [rotation.newKeyId])

        _ = try await trigger(client, "WORKFLOW_COMPLETED")
        XCTAssertEqual(try XCTUnwrap(receiver.next()).keyId(), rotation.newKeyId)
        XCTAssertEqual(receiver.refused.map { $0.code() }, [])

        let deleted = await expectError { try await client.activateWebhookKey(keyId: created.keyId) }
        guard case .KeyDeleted(_, _, let api)? = deleted else { return XCTFail("not KeyDeleted: \(String(describing: deleted))") }
        XCTAssertEqual(api?.httpStatus, 400)
        XCTAssertEqual(api?.subCode, "KEY_DELETED")
        XCTAssertTrue(api?.traceId?.hasPrefix("trc_") ?? false)

        try await client.deleteWebhookConfig(accountId: sim.accountId, configId: configId)
        let remaining = try await client.listWebhookConfigs(accountId: sim.accountId)
        XCTAssertEqual(remaining, [])
    }

    func testAStoreThatThrowsAbortsTheRotationBeforeActivation() async throws {
        let client = try sim.client()
        let e = await expectError { try await client.rotateWebhookKey(accountId: self.sim.accountId, store: FailingStore()) }
        guard case .StoreFailed(let code, let detail, _)? = e else { return XCTFail("not StoreFailed: \(String(describing: e))") }
        XCTAssertEqual(code, "STORE_FAILED")
        XCTAssertTrue(detail.contains("VaultDown"), detail)
        let range = try XCTUnwrap(detail.range(of: #"whk_[0-9]{8}_[0-9]+"#, options: .regularExpression))
        let key = try await client.getWebhookKey(keyId: String(detail[range]))
        XCTAssertEqual(key.status, .inactive)
    }

    /// Every text of `e` a program might log, none of which may hold a secret.
    func texts(_ e: KompliantError) -> [String] {
        [String(describing: e), e.localizedDescription, e.detail(), e.api()?.message ?? "no api info"]
    }

    func testAStoreErrorQuotingTheSecretIsMaskedInTheRotationError() async throws {
        let client = try sim.client()
        let leaky = LeakyStore(token: sim.env["KOMPLIANT_AUTH_TOKEN"]!, typed: false)
        let e = await expectError { try await client.rotateWebhookKey(accountId: self.sim.accountId, store: leaky) }
        guard case .StoreFailed(_, let detail, _)? = e else { return XCTFail("not StoreFailed: \(String(describing: e))") }
        let leaks = spellings(try XCTUnwrap(leaky.secret)) + [sim.env["KOMPLIANT_AUTH_TOKEN"]!, sim.env["KOMPLIANT_SECRET_KEY"]!]
        for text in texts(e!) {
            // The store's text is quoted (so the operator sees why), with every secret masked.
            XCTAssertTrue(text.contains("the store threw vault refused [REDACTED]"), text)
            for leak in leaks { XCTAssertFalse(text.contains(leak), "a secret leaked into: \(text)") }
        }
        let range = try XCTUnwrap(detail.range(of: #"whk_[0-9]{8}_[0-9]+"#, options: .regularExpression))
        let key = try await client.getWebhookKey(keyId: String(detail[range]))
        XCTAssertEqual(key.status, .inactive)

        // The same for a store that throws the binding's own error.
        let typed = LeakyStore(token: "", typed: true)
        let e2 = await expectError { try await client.rotateWebhookKey(accountId: self.sim.accountId, store: typed) }
        XCTAssertEqual(e2?.code(), "STORE_FAILED")
        for text in texts(e2!) {
            XCTAssertTrue(text.contains("IO_ERROR: cannot write [REDACTED] to the vault"), text)
            for leak in spellings(try XCTUnwrap(typed.secret)) { XCTAssertFalse(text.contains(leak), "a secret leaked into: \(text)") }
        }
    }

    func testApiErrorsKeepTheirCodes() async throws {
        let client = try sim.client()
        let missing = await expectError { try await client.getWebhookKey(keyId: "whk_19700101_01") }
        guard case .EntityNotFound(_, _, let api)? = missing else { return XCTFail("not EntityNotFound") }
        XCTAssertEqual(api?.method, "webhook.key.get")
        XCTAssertEqual(api?.serverCode, "ENTITY_NOT_FOUND")

        let wrong = try KompliantClient(apiKey: sim.env["KOMPLIANT_API_KEY"]!, secretKey: sim.env["KOMPLIANT_SECRET_KEY"]!,
                                        authToken: "not-the-token", options: ClientOptions(baseUrl: sim.baseUrl))
        let unauthorized = await expectError { try await wrong.checkVersion() }
        guard case .Unauthorized(_, _, let api401)? = unauthorized else { return XCTFail("not Unauthorized") }
        XCTAssertEqual(api401?.httpStatus, 401)
        XCTAssertFalse(String(describing: unauthorized!).contains(sim.env["KOMPLIANT_SECRET_KEY"]!))

        let nowhere = try sim.client(ClientOptions(baseUrl: "http://127.0.0.1:1", maxRetries: 0))
        let refused = await expectError { try await nowhere.checkVersion() }
        XCTAssertEqual(refused?.code(), "CONNECTION_FAILED")

        let notJson = await expectError { try await client.call(method: "sim.event.trigger", bodyJson: "{not json", retry: .safe) }
        XCTAssertEqual(notJson?.code(), "INVALID_CONFIGURATION")
    }
}
