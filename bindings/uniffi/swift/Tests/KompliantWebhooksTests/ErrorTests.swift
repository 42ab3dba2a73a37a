import Foundation
import XCTest
@testable import KompliantWebhooks

/// Core errors arrive as KompliantError cases carrying the stable code.
final class ErrorTests: XCTestCase {
    let keyId = "whk_20251121_01"
    var secret: WebhookSecret!

    override func setUpWithError() throws {
        secret = try WebhookSecret.generate()
    }

    func metadata(eventType: String = "WORKFLOW_CREATED", keyId: String? = nil) -> WebhookMetadata {
        WebhookMetadata(id: "wh_2x8mKq9vNcR4tLpW7yJhBd", eventType: eventType, timestamp: "2025-11-21T14:30:22.123Z",
                        accountId: "sb_123", schemaVersion: "2025-11-21", keyId: keyId ?? self.keyId)
    }

    func receiver(_ options: ReceiverOptions? = nil) throws -> WebhookReceiver {
        let keyring = Keyring()
        try keyring.addSecret(keyId: keyId, secret: secret)
        return try WebhookReceiver(keyring: keyring, options: options)
    }

    func sealed(_ payload: String = #"{"version":"1.0"}"#, eventType: String = "WORKFLOW_CREATED") throws -> Data {
        try sealWebhook(metadata: metadata(eventType: eventType), payload: Data(payload.utf8), secret: secret).body(retryCount: 0)
    }

    func testUnknownKeyAsksKompliantToRetry() throws {
        let other = try sealWebhook(metadata: metadata(keyId: "whk_20251121_02"), payload: Data("{}".utf8), secret: secret).body(retryCount: 0)
        let r = try receiver()
        let e = expectError { try r.decrypt(body: other) }
        guard case .UnknownKey(let code, let detail, let api)? = e else { return XCTFail("not UnknownKey: \(String(describing: e))") }
        XCTAssertEqual(code, "UNKNOWN_KEY")
        XCTAssertEqual(e?.code(), "UNKNOWN_KEY")
        XCTAssertEqual(e?.httpStatus(), 503)
        XCTAssertEqual(e?.publicMessage(), "webhook cannot be processed yet; retry later")
        XCTAssertTrue(detail.contains("whk_20251121_02"))
        XCTAssertEqual(e?.detail(), detail)
        XCTAssertNil(api)
        XCTAssertTrue(String(describing: e!).hasPrefix("UNKNOWN_KEY: "), String(describing: e!))
    }

    func testTamperedBodyIsDecryptionFailed() throws {
        let body = String(decoding: try sealed(), as: UTF8.self)
            .replacingOccurrences(of: "wh_2x8mKq9vNcR4tLpW7yJhBd", with: "wh_2x8mKq9vNcR4tLpW7yJhBX")
        let r = try receiver()
        let e = expectError { try r.decrypt(body: Data(body.utf8)) }
        guard case .DecryptionFailed? = e else { return XCTFail("not DecryptionFailed: \(String(describing: e))") }
        XCTAssertEqual(e?.httpStatus(), 400)
        XCTAssertEqual(e?.publicMessage(), "webhook rejected")
    }

    func testMalformedTooLargeNotJsonAndOutOfWindow() throws {
        let r = try receiver()
        XCTAssertEqual(expectError { try r.decrypt(body: Data(#"{"id":1}"#.utf8)) }?.code(), "MALFORMED_ENVELOPE")
        let small = try receiver(ReceiverOptions(maxBodyBytes: 10))
        let tooLarge = expectError { try small.decrypt(body: try self.sealed()) }
        guard case .BodyTooLarge? = tooLarge else { return XCTFail("not BodyTooLarge") }
        XCTAssertEqual(tooLarge?.httpStatus(), 413)
        XCTAssertEqual(expectError { try r.decrypt(body: try self.sealed("[1,2]")) }?.code(), "PAYLOAD_NOT_JSON")
        let windowed = try receiver(ReceiverOptions(maxAge: 3600))
        let late = ISO8601DateFormatter().date(from: "2025-11-22T14:30:22Z")!
        XCTAssertEqual(expectError { try windowed.decryptAt(body: try self.sealed(), now: late) }?.code(), "TIMESTAMP_OUT_OF_RANGE")
        let inTime = ISO8601DateFormatter().date(from: "2025-11-21T15:00:00Z")!
        XCTAssertEqual(try windowed.decryptAt(body: try sealed(), now: inTime).id(), "wh_2x8mKq9vNcR4tLpW7yJhBd")
    }

    func testTypedViews() throws {
        let r = try receiver()
        let webhook = try r.decrypt(body: try sealed())
        XCTAssertEqual(expectError { try webhook.event() }?.code(), "PAYLOAD_SCHEMA_MISMATCH")
        XCTAssertEqual(webhook.payloadJson(), #"{"version":"1.0"}"#)
        let doc = try r.decrypt(body: try sealed(#"{"x":1}"#, eventType: "DOCUMENT_UPLOADED"))
        XCTAssertEqual(try doc.event(), .other(eventType: "DOCUMENT_UPLOADED"))
        let update = #"{"version":"1.0","subject_record_id":"sr_1","user_context":{"user_id":"u_1","user_type":"API_KEY"},"entities":{"persons":[{"person_id":"p_1","fields":["address.city"]}]}}"#
        let updated = try r.decrypt(body: try sealed(update, eventType: "SUBJECT_RECORD_DATA_UPDATED"))
        guard case .subjectRecordDataUpdated(let u) = try updated.event() else { return XCTFail("wrong view") }
        XCTAssertEqual(u.userContext.userType, .apiKey)
        XCTAssertEqual(u.entities.persons, [EntityChange(idField: "person_id", id: "p_1", fields: ["address.city"])])
        XCTAssertEqual(u.entities.business, [])
    }

    func testBadSecretsAreInvalidKeyWithoutEchoingTheSecret() throws {
        let e = expectError { try Keyring().add(keyId: self.keyId, secretBase64: "s3cr3t-s3cr3t") }
        guard case .InvalidKey? = e else { return XCTFail("not InvalidKey") }
        XCTAssertFalse(e!.detail().contains("s3cr3t"))
        XCTAssertFalse(String(describing: e!).contains("s3cr3t"))
        XCTAssertFalse(e!.localizedDescription.contains("s3cr3t"))
        XCTAssertTrue(e!.localizedDescription.hasPrefix("INVALID_KEY: "), e!.localizedDescription)
        let short = Data(repeating: 7, count: 25).base64EncodedString()
        XCTAssertTrue(expectError { try WebhookSecret.fromBase64(text: short) }!.detail().contains("25 bytes"))
        XCTAssertEqual(expectError { try Keyring.fromJson(json: "[]") }?.code(), "INVALID_KEY")
        XCTAssertEqual(expectError { try Keyring.fromFile(path: "/nonexistent/keys.json") }?.code(), "IO_ERROR")
    }

    func testUnusableConfigurationIsInvalidConfiguration() throws {
        let e = expectError { try KompliantClient(apiKey: "key", secretKey: "c2VjcmV0", authToken: "token",
                                                  options: ClientOptions(baseUrl: "http://api.example.com")) }
        guard case .InvalidConfiguration(_, _, let api)? = e else { return XCTFail("not InvalidConfiguration") }
        XCTAssertEqual(api?.attempts, 0)
        XCTAssertEqual(expectError { try KompliantClient(apiKey: "key", secretKey: "not base64!", authToken: "t") }?.code(), "INVALID_CONFIGURATION")
        XCTAssertEqual(expectError { try WireProfile.named(name: "nope") }?.code(), "INVALID_CONFIGURATION")
        let zero = expectError { try WebhookReceiver(keyring: Keyring(), options: ReceiverOptions(maxBodyBytes: 0)) }
        guard case .InvalidConfiguration(_, let detail, _)? = zero else { return XCTFail("not InvalidConfiguration: \(String(describing: zero))") }
        XCTAssertTrue(detail.contains("max_body_bytes"), detail)
        XCTAssertTrue(String(describing: try receiver(ReceiverOptions(maxBodyBytes: 1))).contains("max_body_bytes: 1,"))
        XCTAssertEqual(expectError { try sealWebhook(metadata: self.metadata(eventType: "A|B"), payload: Data("{}".utf8), secret: self.secret) }?.code(), "MALFORMED_ENVELOPE")
    }
}
