import Foundation
import XCTest
@testable import KompliantWebhooks

/// `description` of everything holding a secret shows the key id and [REDACTED], never the bytes.
final class RedactionTests: XCTestCase {
    func testSecretKeyringAndReceiver() throws {
        let secret = try WebhookSecret.generate()
        let b64 = secret.toBase64()
        XCTAssertEqual(b64.count, 44)
        XCTAssertEqual(String(describing: secret), "WebhookSecret([REDACTED])")
        XCTAssertEqual(try WebhookSecret.fromBase64(text: b64).toBase64(), b64)
        let keyring = Keyring()
        try keyring.add(keyId: "whk_20251121_01", secretBase64: b64)
        let text = String(describing: keyring)
        XCTAssertTrue(text.contains("whk_20251121_01") && text.contains("[REDACTED]"), text)
        XCTAssertFalse(text.contains(b64))
        XCTAssertFalse(String(describing: try WebhookReceiver(keyring: keyring)).contains(b64))
        let created = CreatedWebhookKey(keyId: "whk_20251121_01", secret: secret, status: .inactive, createdAt: "2025-11-21T00:00:00Z")
        XCTAssertFalse(String(describing: created).contains(b64), String(describing: created))
        XCTAssertTrue(String(describing: created).contains("[REDACTED]"), String(describing: created))
    }

    func testClientHidesSecretKeyAndAuthToken() throws {
        let secretKey = "c3VwZXItc2VjcmV0LXNpZ25pbmcta2V5"
        let client = try KompliantClient(apiKey: "api-key-1", secretKey: secretKey, authToken: "auth-token-xyz",
                                         options: ClientOptions(baseUrl: "http://127.0.0.1:9"))
        let text = String(describing: client)
        XCTAssertTrue(text.contains("api-key-1"), text)
        XCTAssertFalse(text.contains(secretKey), text)
        XCTAssertFalse(text.contains("auth-token-xyz"), text)
    }

    func testWebhookShowsMetadataNotPayload() throws {
        let secret = try WebhookSecret.generate()
        let keyring = Keyring()
        try keyring.addSecret(keyId: "whk_20251121_01", secret: secret)
        let metadata = WebhookMetadata(id: "wh_1", eventType: "DOCUMENT_UPLOADED", timestamp: "2025-11-21T14:30:22Z",
                                       accountId: "sb_1", schemaVersion: "2025-11-21", keyId: "whk_20251121_01")
        let sealed = try sealWebhook(metadata: metadata, payload: Data(#"{"ssn":"123-45-6789"}"#.utf8), secret: secret)
        let webhook = try WebhookReceiver(keyring: keyring).decrypt(body: sealed.body(retryCount: 0))
        XCTAssertTrue(String(describing: webhook).contains("wh_1"))
        XCTAssertFalse(String(describing: webhook).contains("123-45-6789"))
    }
}
