import Foundation
import XCTest
@testable import KompliantWebhooks

/// Built-in and custom wire profiles (`WireProfile.named`, `WireProfile.fromNames`).
final class WireProfileTests: XCTestCase {
    let keyId = "whk_20251121_01"

    func testBuiltInProfilesByName() throws {
        let standard = try WireProfile.named(name: "kompliant-2025-11-21")
        XCTAssertEqual(standard.tagPosition(), "after_ciphertext")
        XCTAssertEqual(standard.aadFields(), ["id", "event_type", "timestamp", "account_id", "schema_version", "key_id"])
        XCTAssertEqual(standard.separator(), "|")
        let noAad = try WireProfile.named(name: "kompliant-2025-11-21-no-aad")
        XCTAssertEqual(noAad.aadFields(), [])
        XCTAssertNil(noAad.separator())
        XCTAssertEqual(try builtInWireProfiles().map { try WireProfile.named(name: $0).name() }, builtInWireProfiles())
        // Equal settings are equal profiles: the defaults of fromNames are the documented profile.
        XCTAssertEqual(try WireProfile.fromNames(name: "kompliant-2025-11-21"), standard)
        XCTAssertEqual(try WireProfile.fromNames(name: "kompliant-2025-11-21").hashValue, standard.hashValue)
        XCTAssertNotEqual(noAad, standard)
        XCTAssertTrue(expectError { try WireProfile.named(name: "kompliant-2099") }?.detail().contains("kompliant-2025-11-21") ?? false)
    }

    func testACustomProfileAuthenticatesOnlyItsFields() throws {
        let custom = try WireProfile.fromNames(name: "acme", tagPosition: "before_ciphertext", aadFields: ["id", "key_id"], separator: ";")
        XCTAssertEqual(custom.name(), "acme")
        XCTAssertEqual(custom.tagPosition(), "before_ciphertext")
        XCTAssertEqual(custom.aadFields(), ["id", "key_id"])
        XCTAssertEqual(custom.separator(), ";")
        XCTAssertTrue(String(describing: custom).contains("acme"))

        let secret = try WebhookSecret.generate()
        let keyring = Keyring()
        try keyring.addSecret(keyId: keyId, secret: secret)
        let metadata = WebhookMetadata(id: "wh_1", eventType: "DOCUMENT_UPLOADED", timestamp: "2025-11-21T14:30:22Z",
                                       accountId: "sb_1", schemaVersion: "2025-11-21", keyId: keyId)
        let body = try sealWebhook(metadata: metadata, payload: Data(#"{"a":1}"#.utf8), secret: secret, profile: custom).body(retryCount: 0)
        let receiver = try WebhookReceiver(keyring: keyring, options: ReceiverOptions(profile: custom))
        XCTAssertEqual(try receiver.decrypt(body: body).payloadJson(), #"{"a":1}"#)
        // The tag sits before the ciphertext: the default layout cannot open it.
        XCTAssertEqual(expectError { try WebhookReceiver(keyring: keyring).decrypt(body: body) }?.code(), "DECRYPTION_FAILED")
        // A field outside the AAD is not authenticated; one inside it is.
        func tampered(_ field: String, _ value: String) throws -> Data {
            var envelope = try JSONSerialization.jsonObject(with: body) as! [String: Any]
            envelope[field] = value
            return try JSONSerialization.data(withJSONObject: envelope)
        }
        XCTAssertEqual(try receiver.decrypt(body: try tampered("timestamp", "2030-01-01T00:00:00Z")).timestamp(), "2030-01-01T00:00:00Z")
        XCTAssertEqual(expectError { try receiver.decrypt(body: try tampered("id", "wh_2")) }?.code(), "DECRYPTION_FAILED")
    }

    func testUnusableSettingsAreInvalidConfiguration() throws {
        XCTAssertEqual(expectError { try WireProfile.fromNames(name: "x", tagPosition: "middle") }?.code(), "INVALID_CONFIGURATION")
        XCTAssertEqual(expectError { try WireProfile.fromNames(name: "x", aadFields: ["id", "nope"]) }?.code(), "INVALID_CONFIGURATION")
        XCTAssertEqual(expectError { try WireProfile.fromNames(name: "x", separator: "") }?.code(), "INVALID_CONFIGURATION")
        // No AAD needs no separator.
        XCTAssertEqual(try WireProfile.fromNames(name: "x", aadFields: [], separator: "").aadFields(), [])
    }
}
