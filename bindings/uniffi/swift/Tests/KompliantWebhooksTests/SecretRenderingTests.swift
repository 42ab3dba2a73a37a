import Foundation
import XCTest
@testable import KompliantWebhooks

/// Standard base64 with or without its padding, decoded.
func decodeBase64(_ text: String) -> [UInt8] {
    let padded = text + String(repeating: "=", count: (4 - text.count % 4) % 4)
    return [UInt8](Data(base64Encoded: padded) ?? Data())
}

/// A key store that records the secret and adds it to a keyring.
final class CapturingStore: WebhookKeyStore, @unchecked Sendable {
    let keyring: Keyring
    var secret: String?
    init(keyring: Keyring) { self.keyring = keyring }
    func store(keyId: String, secretBase64: String) async throws {
        secret = secretBase64
        try keyring.add(keyId: keyId, secretBase64: secretBase64)
    }
}

/// An error whose text is whatever it was given.
struct QuotingError: Error, CustomStringConvertible {
    let description: String
}

/// An error with no text of its own: Swift describes it by reflection, stored secret included.
struct VaultFailure: Error {
    let secretBase64: String
    let credentials: [String]
}

/// A store that fails quoting the secret (every base64 spelling) and the client's credentials:
/// as a plain `Error` with a text, as the binding's own `KompliantError`, or as a reflected struct.
final class SecretQuotingStore: WebhookKeyStore, @unchecked Sendable {
    enum Kind { case described, typed, reflected }
    let kind: Kind
    let credentials: [String]
    var secret: String?
    init(_ kind: Kind, credentials: [String]) { self.kind = kind; self.credentials = credentials }
    func store(keyId: String, secretBase64: String) async throws {
        secret = secretBase64
        let spellings = SecretForms.of(decodeBase64(secretBase64)).filter { $0.name.contains("base64") }.map(\.text)
        let text = "vault refused \(spellings.joined(separator: "; ")); \(credentials.joined(separator: "; "))"
        switch kind {
        case .described: throw QuotingError(description: text)
        case .typed: throw KompliantError.IoError(code: "IO_ERROR", detail: text, api: nil)
        case .reflected: throw VaultFailure(secretBase64: secretBase64, credentials: credentials)
        }
    }
}

/// Secrets, case by case: no text a program can make of an object that holds or handles a
/// secret (`renderings`: `String(describing:)`, `String(reflecting:)`, interpolation, `print`,
/// `debugPrint`, `dump`, `debugDescription` where declared, `Mirror` children, an error's
/// `localizedDescription`) contains the secret in any form of `SecretForms` (latin-1, base64
/// standard / URL-safe, padded or not, hex lower / upper). RedactionTests pins the
/// `description` texts; this covers every rendering, every way of building each object and the
/// errors that handle secrets. One test per object (those marked [sim] are in
/// `SecretRenderingSimulatorTests`, below, which starts `kompliant sim`):
///
/// - `WebhookSecret` (fromBase64, fromBytes, generate): testWebhookSecret
/// - `Keyring` with added keys (add, addSecret): testKeyringWithAddedKeys
/// - `Keyring.fromJson` / `fromFile` (and `addToKeyringFile`'s file): testKeyringFromJsonAndFile
/// - `Keyring.fromEnv`: testKeyringFromEnv
/// - `WebhookReceiver` (and the keyring it hands back, the webhook and sealed envelope it handles): testWebhookReceiver
/// - `KompliantClient(apiKey:secretKey:authToken:)` and its configuration errors: testClientWithCredentials
/// - `KompliantClient.fromEnv` and its configuration errors: testClientFromEnv
/// - an API error of a client (UNAUTHORIZED from the simulator): [sim] testApiErrorOfAClient
/// - `CreatedWebhookKey` from the simulator's `webhook.key.create`, and built locally: [sim] testCreatedWebhookKey
/// - `PendingRotation`: the binding does not expose it (`rotateWebhookKey` drives it inside);
///   what a user reaches of a rotation is the store's arguments and the `Rotation`: [sim] testRotation
/// - the STORE_FAILED error of a rotation whose store fails (a described `Error`, a
///   `KompliantError`, an `Error` Swift describes by reflection): [sim] testStoreFailedError
/// - INVALID_KEY for a bad secret (invalid base64, wrong length) from every entry point: testBadSecretErrors
/// - INVALID_KEY for a keyring JSON with a bad entry: testKeyringJsonWithABadEntry
/// - and the checker itself: testTheCheckerFindsEveryFormOfASecret
final class SecretRenderingTests: XCTestCase {
    let keyId = "whk_20251121_01"

    func b64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
    func urlSafe(_ bytes: [UInt8]) -> String {
        b64(bytes).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
    func latin1(_ bytes: [UInt8]) -> String { SecretForms.of(bytes)[0].text }

    func testTheCheckerFindsEveryFormOfASecret() throws {
        let secret = distinctiveSecret("checker")
        let forms = SecretForms.of(secret)
        XCTAssertEqual(Set(forms.map(\.text)).count, 7, "every form is a separate check: \(forms)")
        for (name, form) in forms {
            XCTAssertTrue(SecretForms.found(in: "log line:\r\n\(form) (end)", secret).contains(name), name)
            let leak = renderings(KompliantError.IoError(code: "IO_ERROR", detail: "cannot write \(form)", api: nil))
            XCTAssertTrue(secretLeaks(in: leak, ["secret": secret]).contains { $0.contains("(\(name))") }, name)
        }
        XCTAssertEqual(SecretForms.found(in: "WebhookSecret([REDACTED])", secret), [])
        assertNoSecret(in: renderings(try WebhookSecret.fromBytes(bytes: Data(secret))), ["secret": secret])
    }

    func testWebhookSecret() throws {
        let bytes = distinctiveSecret("webhook-secret")
        for secret in [try WebhookSecret.fromBytes(bytes: Data(bytes)), try WebhookSecret.fromBase64(text: b64(bytes)),
                       try WebhookSecret.fromBase64(text: " \(b64(bytes))\n")] {
            XCTAssertEqual(secret.toBase64(), b64(bytes))
            let texts = renderings(secret)
            XCTAssertEqual(String(describing: secret), "WebhookSecret([REDACTED])")
            assertNoSecret(in: texts, ["secret": bytes])
        }
        let generated = try WebhookSecret.generate()
        assertNoSecret(in: renderings(generated), ["generated secret": decodeBase64(generated.toBase64())])
    }

    func testKeyringWithAddedKeys() throws {
        let first = distinctiveSecret("keyring-add")
        let second = distinctiveSecret("keyring-add-secret")
        let keyring = Keyring()
        try keyring.add(keyId: keyId, secretBase64: b64(first))
        try keyring.addSecret(keyId: "whk_20251121_02", secret: try WebhookSecret.fromBytes(bytes: Data(second)))
        let text = String(describing: keyring)
        XCTAssertTrue(text.contains(keyId) && text.contains("whk_20251121_02") && text.contains("[REDACTED]"), text)
        assertNoSecret(in: renderings(keyring), ["first": first, "second": second])
    }

    func testKeyringFromJsonAndFile() throws {
        let first = distinctiveSecret("keyring-json")
        let second = distinctiveSecret("keyring-file")
        let third = distinctiveSecret("keyring-file-added")
        let json = #"{"\#(keyId)":"\#(b64(first))","whk_20251121_02":"\#(b64(second))"}"#
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try json.write(toFile: file, atomically: true, encoding: .utf8)
        try addToKeyringFile(path: file, keyId: "whk_20251121_03", secretBase64: b64(third))
        for keyring in [try Keyring.fromJson(json: json), try Keyring.fromFile(path: file)] {
            XCTAssertTrue(String(describing: keyring).contains(keyId), String(describing: keyring))
            assertNoSecret(in: renderings(keyring), ["first": first, "second": second, "third": third])
        }
        XCTAssertEqual(try Keyring.fromFile(path: file).keyIds(), [keyId, "whk_20251121_02", "whk_20251121_03"])
    }

    func testKeyringFromEnv() throws {
        let first = distinctiveSecret("keyring-env-1")
        let second = distinctiveSecret("keyring-env-2")
        let vars: [String: String?] = ["KOMPLIANT_WEBHOOK_SECRET_20251121_01": b64(first),
                                       "KOMPLIANT_WEBHOOK_SECRET_20251121_02": b64(second) + "\n"]
        let keyring = try withProcessEnv(vars, clearPrefixes: ["KOMPLIANT_WEBHOOK_SECRET_"]) { try Keyring.fromEnv() }
        XCTAssertEqual(keyring.keyIds(), [keyId, "whk_20251121_02"])
        assertNoSecret(in: renderings(keyring), ["first": first, "second": second])
        assertNoSecret(in: renderings(try WebhookReceiver(keyring: keyring)), ["first": first, "second": second])

        // A bad value next to good ones: the error names the variable, never a value.
        let third = distinctiveSecret("keyring-env-3")
        for bad in [urlSafe(third), b64(Array(third.prefix(31))), latin1(third)] {
            var env = vars
            env["KOMPLIANT_WEBHOOK_SECRET_20251121_03"] = bad
            let e = withProcessEnv(env, clearPrefixes: ["KOMPLIANT_WEBHOOK_SECRET_"]) {
                expectTypedError(["INVALID_KEY"]) { try Keyring.fromEnv() }
            }
            XCTAssertTrue(e?.detail().contains("whk_20251121_03") ?? false, String(describing: e))
            if let e {
                assertNoSecret(in: renderings(e), ["first": first, "second": second, "third": third, "31 bytes of third": Array(third.prefix(31))])
            }
        }
    }

    func testWebhookReceiver() throws {
        let bytes = distinctiveSecret("receiver")
        let secret = try WebhookSecret.fromBytes(bytes: Data(bytes))
        let keyring = Keyring()
        try keyring.addSecret(keyId: keyId, secret: secret)
        let receiver = try WebhookReceiver(keyring: keyring, options: ReceiverOptions(maxBodyBytes: 65536))
        let metadata = WebhookMetadata(id: "wh_1", eventType: "DOCUMENT_UPLOADED", timestamp: "2025-11-21T14:30:22Z",
                                       accountId: "sb_1", schemaVersion: "2025-11-21", keyId: keyId)
        let sealed = try sealWebhook(metadata: metadata, payload: Data(#"{"document_id":"d_1"}"#.utf8), secret: secret)
        let webhook = try receiver.decrypt(body: sealed.body(retryCount: 0))
        for value in [receiver, receiver.keyring(), webhook, sealed, webhook.metadata()] as [Any] {
            assertNoSecret(in: renderings(value), ["secret": bytes])
        }
        let text = String(describing: receiver)
        XCTAssertTrue(text.contains(keyId) && text.contains("[REDACTED]"), text)
        // A refusal by this receiver quotes neither its secret nor the forger's.
        let forger = distinctiveSecret("forger")
        let forged = try sealWebhook(metadata: metadata, payload: Data("{}".utf8), secret: try WebhookSecret.fromBytes(bytes: Data(forger)))
        if let e = (expectTypedError(["DECRYPTION_FAILED"]) { try receiver.decrypt(body: forged.body(retryCount: 0)) }) {
            assertNoSecret(in: renderings(e), ["secret": bytes, "forger's secret": forger])
        }
    }

    let apiKey = "kw-api-key-shown-in-clear"
    let signingKey = distinctiveSecret("client-signing-key")
    let authToken = "kw>tk?auth-token-for-redaction-tests"
    var clientSecrets: [String: [UInt8]] { ["secret key": signingKey, "auth token": Array(authToken.utf8)] }

    func testClientWithCredentials() throws {
        let client = try KompliantClient(apiKey: apiKey, secretKey: b64(signingKey), authToken: authToken,
                                         options: ClientOptions(baseUrl: "http://127.0.0.1:9"))
        let text = String(describing: client)
        XCTAssertTrue(text.contains(apiKey) && text.contains("[REDACTED]"), text)
        assertNoSecret(in: renderings(client), clientSecrets)

        // Configuration errors raised with the credentials at hand never quote them.
        let errors = [
            expectTypedError(["INVALID_CONFIGURATION"]) {
                try KompliantClient(apiKey: apiKey, secretKey: b64(signingKey), authToken: authToken, options: ClientOptions(baseUrl: "http://api.example.com"))
            },
            expectTypedError(["INVALID_CONFIGURATION"]) { try KompliantClient(apiKey: apiKey, secretKey: urlSafe(signingKey), authToken: authToken) },
            expectTypedError(["INVALID_CONFIGURATION"]) { try KompliantClient(apiKey: apiKey, secretKey: latin1(signingKey), authToken: authToken) },
            expectTypedError(["INVALID_CONFIGURATION"]) { try KompliantClient(apiKey: apiKey, secretKey: b64(signingKey), authToken: authToken + "\r\nX-Injected: 1") },
            expectTypedError(["INVALID_CONFIGURATION"]) {
                try KompliantClient(apiKey: apiKey, secretKey: b64(signingKey), authToken: authToken, options: ClientOptions(timeout: 0))
            },
        ]
        XCTAssertEqual(errors.compactMap { $0 }.count, 5)
        for e in errors.compactMap({ $0 }) { assertNoSecret(in: renderings(e), clientSecrets) }
    }

    func testClientFromEnv() throws {
        let vars: [String: String?] = ["KOMPLIANT_API_KEY": apiKey, "KOMPLIANT_SECRET_KEY": b64(signingKey),
                                       "KOMPLIANT_AUTH_TOKEN": authToken, "KOMPLIANT_BASE_URL": "http://127.0.0.1:9"]
        let client = try withProcessEnv(vars) { try KompliantClient.fromEnv() }
        let text = String(describing: client)
        XCTAssertTrue(text.contains(apiKey) && text.contains("[REDACTED]"), text)
        assertNoSecret(in: renderings(client), clientSecrets)

        let changes: [(String, String?)] = [
            ("KOMPLIANT_SECRET_KEY", urlSafe(signingKey)), ("KOMPLIANT_AUTH_TOKEN", nil), ("KOMPLIANT_SECRET_KEY", nil),
            ("KOMPLIANT_AUTH_TOKEN", authToken + "\nX-Injected: 1"), ("KOMPLIANT_BASE_URL", "http://api.example.com"),
        ]
        for (name, value) in changes {
            var env = vars
            env[name] = .some(value)
            let e = withProcessEnv(env) { expectTypedError(["INVALID_CONFIGURATION"], " with \(name) changed") { try KompliantClient.fromEnv() } }
            if let e { assertNoSecret(in: renderings(e), clientSecrets) }
        }
    }

    func testBadSecretErrors() throws {
        let secret = distinctiveSecret("bad-secret")
        let short = Array(secret.prefix(31))
        let long = secret + [0x21]
        let secrets = ["secret": secret, "31 bytes": short, "33 bytes": long]
        let forms = SecretForms.of(secret)
        var inserted = b64(secret)
        inserted.insert("!", at: inserted.index(inserted.startIndex, offsetBy: 10))
        // Not base64 (URL-safe, unpadded, a stray character, the raw text), or base64 of the
        // wrong length (31 or 33 bytes; hex is base64's alphabet and decodes to 48 bytes).
        let inputs = [urlSafe(secret), forms[2].text, inserted, latin1(secret), b64(short), b64(long), forms[5].text, forms[6].text]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString).json").path
        for text in inputs {
            let errors = [
                expectTypedError(["INVALID_KEY"], " for \(text)") { try WebhookSecret.fromBase64(text: text) },
                expectTypedError(["INVALID_KEY"], " for \(text)") { try Keyring().add(keyId: keyId, secretBase64: text) },
                expectTypedError(["INVALID_KEY"], " for \(text)") { try addToKeyringFile(path: file, keyId: keyId, secretBase64: text) },
                expectTypedError(["INVALID_KEY"], " for \(text)") { try Keyring.fromJson(json: #"{"\#(keyId)":"\#(text)"}"#) },
            ]
            for e in errors.compactMap({ $0 }) { assertNoSecret(in: renderings(e), secrets) }
        }
        for bytes in [short, long, []] {
            if let e = (expectTypedError(["INVALID_KEY"]) { try WebhookSecret.fromBytes(bytes: Data(bytes)) }) {
                XCTAssertTrue(e.detail().contains("decodes to \(bytes.count) bytes"), e.detail())
                assertNoSecret(in: renderings(e), secrets)
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: file), "no keyring file is written for a bad secret")
    }

    func testKeyringJsonWithABadEntry() throws {
        let good = distinctiveSecret("json-good-entry")
        let bad = distinctiveSecret("json-bad-entry")
        let secrets = ["good": good, "bad": bad, "31 bytes of bad": Array(bad.prefix(31))]
        let documents: [(String, String)] = [
            ("a secret of 31 bytes", #"{"\#(keyId)":"\#(b64(good))","whk_20251121_02":"\#(b64(Array(bad.prefix(31))))"}"#),
            ("a URL-safe secret", #"{"\#(keyId)":"\#(b64(good))","whk_20251121_02":"\#(urlSafe(bad))"}"#),
            ("a secret that is not a string", #"{"\#(keyId)":"\#(b64(good))","whk_20251121_02":["\#(b64(bad))"]}"#),
            ("a key id twice", #"{"\#(keyId)":"\#(b64(good))","\#(keyId)":"\#(b64(bad))"}"#),
            ("the secret swapped with the key id", #"{"\#(b64(good))":"\#(keyId)"}"#),
            ("a secret cut off", #"{"\#(keyId)":"\#(b64(good))","whk_20251121_02":"\#(b64(bad).prefix(20))"#),
        ]
        for (what, json) in documents {
            if let e = (expectTypedError(["INVALID_KEY"], " for \(what)") { try Keyring.fromJson(json: json) }) {
                assertNoSecret(in: renderings(e).map { ("\(what): \($0.what)", $0.text) }, secrets)
            }
        }
        let e = expectTypedError(["INVALID_KEY"]) { try Keyring.fromJson(json: documents[1].1) }
        XCTAssertTrue(e?.detail().contains("whk_20251121_02") ?? false, "the error names the entry: \(String(describing: e))")
    }
}

/// The part of `SecretRenderingTests` that needs `kompliant sim` (see the list there). The
/// simulator is started in `setUpWithError` and stopped in `tearDown`, on the main thread, as
/// in `SimulatorTests`: a process spawned from a task's thread inherits that thread's blocked
/// signals, so `terminate()` would not stop it and `waitUntilExit()` would spin forever.
final class SecretRenderingSimulatorTests: XCTestCase {
    var sim: Simulator!

    override func setUpWithError() throws { sim = try Simulator() }
    override func tearDown() { sim.stop() }

    /// The simulator's credentials that are secrets (the API key is sent in clear).
    var simCredentials: [String: [UInt8]] {
        ["sim secret key": decodeBase64(sim.env["KOMPLIANT_SECRET_KEY"]!), "sim auth token": Array(sim.env["KOMPLIANT_AUTH_TOKEN"]!.utf8)]
    }

    func testApiErrorOfAClient() async throws {
        let wrongToken = "kw>tk?not-the-simulators-token"
        let client = try KompliantClient(apiKey: sim.env["KOMPLIANT_API_KEY"]!, secretKey: sim.env["KOMPLIANT_SECRET_KEY"]!,
                                         authToken: wrongToken, options: ClientOptions(baseUrl: sim.baseUrl))
        let e = await expectError { try await client.checkVersion() }
        guard let e, case .Unauthorized = e else { return XCTFail("not Unauthorized: \(String(describing: e))") }
        checkTypedError(e, ["UNAUTHORIZED"])
        var secrets = simCredentials
        secrets["wrong token"] = Array(wrongToken.utf8)
        assertNoSecret(in: renderings(e), secrets)
        assertNoSecret(in: renderings(client), secrets)
    }

    func testCreatedWebhookKey() async throws {
        let client = try sim.client()
        let created = try await client.createWebhookKey(accountId: sim.accountId)
        let secret = ["created secret": decodeBase64(created.secret.toBase64())]
        let text = String(describing: created)
        XCTAssertTrue(text.contains(created.keyId) && text.contains("WebhookSecret([REDACTED])"), text)
        let texts = renderings(created)
        XCTAssertTrue(texts.contains { $0.what.hasPrefix("Mirror child secret ") }, "\(texts.map(\.what))")
        assertNoSecret(in: texts, secret)
        assertNoSecret(in: renderings(client), secret.merging(simCredentials) { a, _ in a })

        // Built locally, as a test or a fake client would.
        let local = distinctiveSecret("created-locally")
        let built = CreatedWebhookKey(keyId: "whk_20251121_07", secret: try WebhookSecret.fromBytes(bytes: Data(local)),
                                      status: .inactive, createdAt: "2025-11-21T00:00:00Z")
        assertNoSecret(in: renderings(built), ["local secret": local])
    }

    func testRotation() async throws {
        let client = try sim.client()
        let keyring = Keyring()
        let store = CapturingStore(keyring: keyring)
        let rotation = try await client.rotateWebhookKey(accountId: sim.accountId, store: store)
        let secret = ["rotated secret": decodeBase64(try XCTUnwrap(store.secret))]
        XCTAssertEqual(keyring.keyIds(), [rotation.newKeyId])
        XCTAssertTrue(String(describing: rotation).contains(rotation.newKeyId), String(describing: rotation))
        assertNoSecret(in: renderings(rotation), secret)
        let all = secret.merging(simCredentials) { a, _ in a }
        assertNoSecret(in: renderings(keyring) + renderings(client), all)
    }

    func testStoreFailedError() async throws {
        let client = try sim.client()
        let credentials = [sim.env["KOMPLIANT_AUTH_TOKEN"]!, sim.env["KOMPLIANT_SECRET_KEY"]!]
        for kind in [SecretQuotingStore.Kind.described, .typed, .reflected] {
            let store = SecretQuotingStore(kind, credentials: credentials)
            let e = await expectError { try await client.rotateWebhookKey(accountId: sim.accountId, store: store) }
            guard let e, case .StoreFailed = e else { return XCTFail("\(kind): not StoreFailed: \(String(describing: e))") }
            checkTypedError(e, ["STORE_FAILED"])
            // The operator still sees why, with the secrets masked.
            XCTAssertTrue(String(describing: e).contains(kind == .reflected ? "VaultFailure" : "vault refused [REDACTED]"), "\(kind): \(e)")
            var secrets = simCredentials
            secrets["new secret"] = decodeBase64(try XCTUnwrap(store.secret))
            assertNoSecret(in: renderings(e), secrets)
        }
    }
}
