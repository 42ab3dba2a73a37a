import Foundation
import XCTest
@testable import KompliantWebhooks

/// Hostile input across the FFI: whatever bytes reach `WebhookReceiver.decrypt` and whatever
/// text reaches `Keyring.fromJson` / `fromFile`, the outcome is a result or a `KompliantError`
/// with a stable code, the case of that code and its documented status; never another `Error`
/// (UniFFI's internal error for a Rust panic) and never a crash of the process. The Swift side
/// of Python's `test_arbitrary_bytes_only_ever_raise_webhook_errors` (seeded with SplitMix64,
/// so a failure replays exactly), plus random bytes, non-UTF-8, empty, deeply nested and
/// oversized bodies, and malformed keyrings.
final class BoundaryTests: XCTestCase {
    let keyId = "whk_20251121_01"
    let secretBytes = distinctiveSecret("boundary")
    var secret: WebhookSecret!
    let metadata = WebhookMetadata(id: "wh_2x8mKq9vNcR4tLpW7yJhBd", eventType: "WORKFLOW_CREATED", timestamp: "2025-11-21T14:30:22.123Z",
                                   accountId: "sb_123", schemaVersion: "2025-11-21", keyId: "whk_20251121_01")
    let payload = #"{"version":"1.0","subject_record_id":"sr_1","user_context":{"user_id":"u_1","user_type":"USER"},"workflow_id":"w_1","workflow_type":"BUSINESS_APPLICATION"}"#
    let receiveCodes: Set<String> = ["MALFORMED_ENVELOPE", "UNKNOWN_KEY", "DECRYPTION_FAILED", "PAYLOAD_NOT_JSON", "BODY_TOO_LARGE", "TIMESTAMP_OUT_OF_RANGE"]

    override func setUpWithError() throws {
        secret = try WebhookSecret.fromBytes(bytes: Data(secretBytes))
    }

    func receiver(_ options: ReceiverOptions? = nil) throws -> WebhookReceiver {
        let keyring = Keyring()
        try keyring.addSecret(keyId: keyId, secret: secret)
        return try WebhookReceiver(keyring: keyring, options: options)
    }

    func sealed(_ payload: String? = nil) throws -> [UInt8] {
        [UInt8](try sealWebhook(metadata: metadata, payload: Data((payload ?? self.payload).utf8), secret: secret).body(retryCount: 0))
    }

    /// What `receiver` made of `body`: "ok" (then the webhook must be exactly what was sealed:
    /// a changed body never opens to something else) or the code of a consistent typed error.
    func outcome(_ receiver: WebhookReceiver, _ body: [UInt8], expectedPayload: String? = nil,
                 file: StaticString = #filePath, line: UInt = #line) -> String {
        let quoted = " for body \(String(decoding: body.prefix(400), as: UTF8.self))"
        do {
            let webhook = try receiver.decrypt(body: Data(body))
            XCTAssertEqual(webhook.payloadJson(), expectedPayload ?? payload, quoted, file: file, line: line)
            XCTAssertEqual(webhook.metadata(), metadata, quoted, file: file, line: line)
            return "ok"
        } catch let error as KompliantError {
            checkTypedError(error, receiveCodes, quoted, file: file, line: line)
            assertNoSecret(in: [("description", String(describing: error)), ("detail()", error.detail())],
                           ["webhook secret": secretBytes], file: file, line: line)
            return error.code()
        } catch {
            XCTFail("decrypt threw \(type(of: error)), not a KompliantError\(quoted): \(error)", file: file, line: line)
            return "other"
        }
    }

    func testSeededMutationsOfASealedBodyOnlyEverGiveTypedErrors() throws {
        var rng = SplitMix64(seed: 20251121)
        let receiver = try self.receiver(ReceiverOptions(maxBodyBytes: 4096))
        let valid = try sealed()
        var outcomes: [String: Int] = [:]
        for _ in 0..<3000 {
            var body = valid
            for _ in 0..<rng.between(1, 5) {
                let choice = rng.unit()
                if choice < 0.5 && !body.isEmpty {
                    body[rng.below(body.count)] = rng.byte()                                   // replace a byte
                } else if choice < 0.75 && !body.isEmpty {
                    body.removeSubrange(rng.below(body.count)...)                              // truncate
                } else {
                    let at = rng.below(body.count + 1)                                         // insert random bytes
                    body.insert(contentsOf: rng.bytes(rng.between(1, 9)), at: at)
                }
            }
            outcomes[outcome(receiver, body), default: 0] += 1
        }
        XCTAssertEqual(outcomes.values.reduce(0, +), 3000)
        XCTAssertTrue(outcomes.keys.allSatisfy { $0 == "ok" || receiveCodes.contains($0) }, "\(outcomes)")
        // Mutations land in every check: the parser and the tag both refuse some.
        XCTAssertTrue(Set(outcomes.keys).isSuperset(of: ["MALFORMED_ENVELOPE", "DECRYPTION_FAILED"]), "\(outcomes)")
    }

    func testWholeRandomByteStringsAreMalformedEnvelopes() throws {
        var rng = SplitMix64(seed: 424242)
        let receiver = try self.receiver()
        for _ in 0..<1000 {
            XCTAssertEqual(outcome(receiver, rng.bytes(rng.below(600))), "MALFORMED_ENVELOPE")
        }
        // Random text made of JSON's own characters gets further into the parser.
        let alphabet = Array(#"{}[]":,.-+0123456789eEtrufalsn \u"# + "\t\n")
        for _ in 0..<1000 {
            let text = String((0..<rng.below(200)).map { _ in alphabet[rng.below(alphabet.count)] })
            XCTAssertEqual(outcome(receiver, Array(text.utf8)), "MALFORMED_ENVELOPE", text)
        }
    }

    func testNonUtf8BodiesAreMalformedEnvelopes() throws {
        let receiver = try self.receiver()
        let valid = try sealed()
        let text = String(decoding: valid, as: UTF8.self)
        let at = text.utf8.distance(from: text.startIndex, to: text.range(of: "wh_2x8mKq9vNcR4tLpW7yJhBd")!.lowerBound) + 3
        let invalid: [[UInt8]] = [
            [0xFF],                     // never valid in UTF-8
            [0x80],                     // lone continuation byte
            [0xC0, 0xAF],               // overlong '/'
            [0xED, 0xA0, 0x80],         // UTF-16 surrogate D800
            [0xE2, 0x82],               // truncated sequence
            [0xF4, 0x90, 0x80, 0x80],   // above U+10FFFF
        ]
        for bad in invalid {
            let body = Array(valid[..<at]) + bad + Array(valid[at...])
            let e = expectTypedError(["MALFORMED_ENVELOPE"], " for \(bad)") { try receiver.decrypt(body: Data(body)) }
            XCTAssertTrue(e?.detail().contains("UTF-8") ?? false, String(describing: e))
        }
        // The same envelope in another encoding, or behind a byte-order mark, is not the JSON Kompliant sends.
        let utf16 = Array(text.data(using: .utf16LittleEndian)!)
        for body in [utf16, [0xFF, 0xFE] + utf16, [0xEF, 0xBB, 0xBF] + valid] {
            expectTypedError(["MALFORMED_ENVELOPE"]) { try receiver.decrypt(body: Data(body)) }
        }
        XCTAssertEqual(outcome(receiver, valid), "ok")
    }

    func testEmptyAndBlankBodiesAreMalformedEnvelopes() throws {
        let receiver = try self.receiver()
        for body in [Data(), Data(" ".utf8), Data("\r\n\t ".utf8), Data([0]), Data("{}".utf8), Data("null".utf8)] {
            let e = expectTypedError(["MALFORMED_ENVELOPE"], " for \(Array(body))") { try receiver.decrypt(body: body) }
            XCTAssertEqual(e?.httpStatus(), 400)
            XCTAssertEqual(e?.publicMessage(), "webhook rejected")
        }
    }

    func testDeeplyNestedJsonNeverExhaustsTheStack() throws {
        let receiver = try self.receiver()
        let depth = 100_000
        let open = String(repeating: "[", count: depth), close = String(repeating: "]", count: depth)
        for body in [open, open + close, String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)] {
            expectTypedError(["MALFORMED_ENVELOPE"], " for \(body.prefix(20))…") { try receiver.decrypt(body: Data(body.utf8)) }
        }
        // Unknown envelope fields are skipped without recursion, however deep: the webhook opens.
        var extra = String(decoding: try sealed(), as: UTF8.self)
        extra.insert(contentsOf: #""extra":"# + open + close + ",", at: extra.index(after: extra.startIndex))
        XCTAssertEqual(outcome(receiver, Array(extra.utf8)), "ok")
        // An authenticated payload nested deeper than the core's limit (127 levels of arrays and
        // objects, docs/decided.md) is PAYLOAD_NOT_JSON, not a crash; at the limit it opens
        // byte-exactly, and the typed view of a payload lacking the event's fields is a schema
        // mismatch.
        let deepPayload = #"{"a":"# + open + close + "}"
        expectTypedError(["PAYLOAD_NOT_JSON"]) { try receiver.decrypt(body: Data(try sealed(deepPayload))) }
        let atLimit = #"{"a":"# + String(repeating: "[", count: 126) + String(repeating: "]", count: 126) + "}"
        XCTAssertEqual(outcome(receiver, try sealed(atLimit), expectedPayload: atLimit), "ok")
        let deep = try receiver.decrypt(body: Data(try sealed(atLimit)))
        expectTypedError(["PAYLOAD_SCHEMA_MISMATCH"]) { try deep.event() }
        // A deep value where the view expects a string.
        let deepField = payload.replacingOccurrences(of: #""u_1""#, with: open + close)
        expectTypedError(["PAYLOAD_NOT_JSON"]) { try receiver.decrypt(body: Data(try sealed(deepField))) }
        let fieldAtLimit = payload.replacingOccurrences(
            of: #""u_1""#, with: String(repeating: "[", count: 100) + String(repeating: "]", count: 100))
        let mismatched = try receiver.decrypt(body: Data(try sealed(fieldAtLimit)))
        expectTypedError(["PAYLOAD_SCHEMA_MISMATCH"]) { try mismatched.event() }
    }

    func testABodyOverTheLimitIsRefusedWithBodyTooLargeBeforeParsing() throws {
        // The default limit (8 MiB): garbage one byte over it is refused for its size, not parsed.
        let limit = 8 * 1024 * 1024
        let standard = try receiver()
        let over = Data(repeating: UInt8(ascii: "["), count: limit + 1)
        let e = expectTypedError(["BODY_TOO_LARGE"]) { try standard.decrypt(body: over) }
        XCTAssertEqual(e?.httpStatus(), 413)
        // At the limit the same garbage is parsed (and refused as malformed).
        expectTypedError(["MALFORMED_ENVELOPE"]) { try standard.decrypt(body: over.prefix(limit)) }
        expectTypedError(["BODY_TOO_LARGE"]) { try standard.decrypt(body: Data(repeating: 0xFF, count: limit + 1)) }

        // A small limit: a valid body exactly at it opens; one byte more (a valid envelope
        // still) is refused, as is an over-limit body naming a key the keyring lacks.
        let valid = try sealed()
        let small = try receiver(ReceiverOptions(maxBodyBytes: UInt64(valid.count)))
        XCTAssertEqual(outcome(small, valid), "ok")
        expectTypedError(["BODY_TOO_LARGE"]) { try small.decrypt(body: Data(valid + [0x20])) }
        let unknownKey = Array(String(decoding: valid, as: UTF8.self).replacingOccurrences(of: keyId, with: "whk_20251121_99").utf8) + [0x20]
        expectTypedError(["BODY_TOO_LARGE"]) { try small.decrypt(body: Data(unknownKey)) }
        expectTypedError(["UNKNOWN_KEY"]) { try self.receiver().decrypt(body: Data(unknownKey)) }
    }

    func testMalformedKeyringJsonIsInvalidKey() throws {
        let b64 = Data(secretBytes).base64EncodedString()
        let depth = 100_000
        let k = keyId
        let malformed: [String] = [
            "", " ", "{", "}", "[]", "null", "42", #""\#(b64)""#, #"["\#(k)","\#(b64)"]"#,
            #"{"\#(k)"}"#, #"{"\#(k)":}"#, #"{"\#(k)":5}"#, #"{"\#(k)":null}"#, #"{"\#(k)":["\#(b64)"]}"#,
            #"{"\#(k)":{"retired_at":"2025-11-21T09:30:00Z"}}"#, #"{"\#(k)":{"secret":"\#(b64)","retired_at":"yesterday"}}"#,
            #"{"\#(k)":{"secret":5}}"#, "{}", #"{"\#(k)":"\#(b64)",}"#, #"{"\#(k)":"\#(b64)"} trailing"#,
            #"{"\#(k)":"\#(b64)"}{}"#, #"{"\#(k)":"\#(b64)","\#(k)":"\#(b64)"}"#, #"{"\#(k)":"\#(b64)"#,
            #"{'\#(k)':'\#(b64)'}"#, #"{"\#(k)":"\ud800"}"#, #"{"\#(k)":"\u0000"}"#, #"{"bad key id!":"\#(b64)"}"#,
            #"{"":"\#(b64)"}"#, #"{"\#(String(repeating: "w", count: 10_000))":"\#(b64)"}"#,
            String(repeating: "[", count: depth), #"{"\#(k)":"# + String(repeating: "[", count: depth),
            String(repeating: #"{"a":"#, count: depth) + #""x""# + String(repeating: "}", count: depth),
        ]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kompliant-keyring-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (i, json) in malformed.enumerated() {
            let what = " for \(json.prefix(120))"
            if let e = (expectTypedError(["INVALID_KEY"], what) { try Keyring.fromJson(json: json) }) {
                assertNoSecret(in: renderings(e), ["secret": secretBytes])
            }
            // The same document as a file, and as the file a rotation's store adds a key to.
            let file = dir.appendingPathComponent("keys-\(i).json").path
            try json.write(toFile: file, atomically: true, encoding: .utf8)
            expectTypedError(["INVALID_KEY"], what) { try Keyring.fromFile(path: file) }
            // (A file holding `{}` is a keyring with no key yet: a writer may add the first one.)
            if json != "{}" {
                expectTypedError(["INVALID_KEY"], what) { try addToKeyringFile(path: file, keyId: "whk_20251121_02", secretBase64: b64) }
            }
        }
        // Bytes that are not UTF-8 at all, in a file: not a keyring file.
        let binary = dir.appendingPathComponent("binary.json")
        try Data([0x7B, 0xFF, 0xFE, 0x7D]).write(to: binary)
        expectTypedError(["INVALID_KEY"]) { try Keyring.fromFile(path: binary.path) }
        XCTAssertEqual(try Keyring.fromJson(json: #"{"\#(k)":"\#(b64)"}"#).keyIds(), [keyId])
    }

    func testSeededMutationsOfAKeyringJsonGiveAKeyringOrInvalidKey() throws {
        var rng = SplitMix64(seed: 20251127)
        let second = distinctiveSecret("boundary-2")
        let valid = Array(#"{"\#(keyId)":"\#(Data(secretBytes).base64EncodedString())","whk_20251121_02":"\#(Data(second).base64EncodedString())"}"#.utf8)
        var outcomes: [String: Int] = [:]
        for _ in 0..<1000 {
            var bytes = valid
            for _ in 0..<rng.between(1, 4) {
                let choice = rng.unit()
                if choice < 0.5 && !bytes.isEmpty {
                    bytes[rng.below(bytes.count)] = UInt8(rng.between(32, 127))
                } else if choice < 0.75 && !bytes.isEmpty {
                    bytes.removeSubrange(rng.below(bytes.count)...)
                } else {
                    let at = rng.below(bytes.count + 1)
                    bytes.insert(contentsOf: (0..<rng.between(1, 5)).map { _ in UInt8(rng.between(32, 127)) }, at: at)
                }
            }
            let json = String(decoding: bytes, as: UTF8.self)
            do {
                _ = try Keyring.fromJson(json: json).keyIds()
                outcomes["ok", default: 0] += 1
            } catch let error as KompliantError {
                checkTypedError(error, ["INVALID_KEY"], " for \(json)")
                assertNoSecret(in: renderings(error), ["first secret": secretBytes, "second secret": second])
                outcomes[error.code(), default: 0] += 1
            } catch {
                XCTFail("Keyring.fromJson threw \(type(of: error)) for \(json): \(error)")
            }
        }
        XCTAssertEqual(Set(outcomes.keys), ["INVALID_KEY", "ok"], "\(outcomes)")
    }
}
