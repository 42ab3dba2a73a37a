import Foundation
import XCTest
@testable import KompliantWebhooks

/// Every conformance vector of tests/vectors/webhooks.json through the Swift bindings. It prints
/// "vectors: P/N passed" with N the cases run; scripts/suites/swift.sh checks N against the file.
final class VectorsTests: XCTestCase {
    private func open(_ c: [String: Any]) throws -> Webhook {
        let keyringJson = try JSONSerialization.data(withJSONObject: c["keyring"] as! [String: Any])
        let keyring = try Keyring.fromJson(json: String(decoding: keyringJson, as: UTF8.self))
        let o = c["options"] as? [String: Any] ?? [:]
        let options = ReceiverOptions(
            profile: (o["aad"] as? String) == "none" ? try WireProfile.named(name: "kompliant-2025-11-21-no-aad") : nil,
            maxBodyBytes: (o["max_body_bytes"] as? NSNumber).map { $0.uint64Value },
            maxAge: (o["max_age_seconds"] as? NSNumber).map { $0.doubleValue },
            maxFutureSkew: (o["max_future_skew_seconds"] as? NSNumber).map { $0.doubleValue })
        let receiver = try WebhookReceiver(keyring: keyring, options: options)
        let body = Data(base64Encoded: c["body_b64"] as! String)!
        if let now = o["now"] as? String {
            let date = ISO8601DateFormatter().date(from: now)!
            return try receiver.decryptAt(body: body, now: date)
        }
        return try receiver.decrypt(body: body)
    }

    func testEveryVector() throws {
        let data = try Data(contentsOf: repoRoot.appendingPathComponent("tests/vectors/webhooks.json"))
        let doc = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let cases = doc["cases"] as! [[String: Any]]
        var failures: [String] = []
        var codes = Set<String>()
        var ran = 0
        for c in cases {
            ran += 1
            let name = c["name"] as! String
            let expect = c["expect"] as! [String: Any]
            let outcome = Result { try open(c) }
            switch (expect["error"] as? String, outcome) {
            case let (code?, .failure(error)):
                codes.insert(code)
                guard let e = error as? KompliantError else { failures.append("\(name): \(error)"); continue }
                if e.code() != code { failures.append("\(name): expected \(code), got \(e.code())") }
            case let (code?, .success):
                failures.append("\(name): expected \(code), decrypted")
            case let (nil, .failure(error)):
                failures.append("\(name): expected success, got \(error)")
            case let (nil, .success(webhook)):
                let m = expect["metadata"] as! [String: String]
                let want = WebhookMetadata(
                    id: m["id"]!, eventType: m["event_type"]!, timestamp: m["timestamp"]!,
                    accountId: m["account_id"]!, schemaVersion: m["schema_version"]!, keyId: m["key_id"]!)
                if webhook.metadata() != want { failures.append("\(name): metadata \(webhook.metadata())") }
                if webhook.retryCount() != (expect["retry_count"] as! NSNumber).uint64Value {
                    failures.append("\(name): retry count \(webhook.retryCount())")
                }
                let payload = Data(base64Encoded: expect["payload_b64"] as! String)!
                if webhook.payloadBytes() != payload || Data(webhook.payloadJson().utf8) != payload {
                    failures.append("\(name): payload bytes differ")
                }
            }
        }
        // The suite compares this line with the number of cases the file holds.
        print("vectors: \(ran - failures.count)/\(ran) passed")
        XCTAssertEqual(ran, cases.count, "ran \(ran) of the \(cases.count) vectors in the file")
        XCTAssertEqual(failures, [], "\(failures.count) of \(ran) vectors failed")
        for code in ["MALFORMED_ENVELOPE", "UNKNOWN_KEY", "INVALID_KEY", "DECRYPTION_FAILED",
                     "PAYLOAD_NOT_JSON", "BODY_TOO_LARGE", "TIMESTAMP_OUT_OF_RANGE"] {
            XCTAssertTrue(codes.contains(code), "no vector expects \(code)")
        }
        XCTAssertTrue(builtInWireProfiles().contains("kompliant-2025-11-21-no-aad"))
    }
}
