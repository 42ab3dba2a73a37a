// Hand-written (not generated): a decrypt returns one buffer (metadata, retry count and
// payload; the layout is `to_wire` in bindings/uniffi/src/webhook.rs) that this class reads,
// so a decrypt is one call into the library instead of one per field (docs/decided.md).
import Foundation

/// A decrypted, verified webhook: every metadata value has been verified through the GCM tag.
/// `description` shows the metadata and the payload's size, never its content (it may hold
/// personal data). Immutable.
public final class Webhook: CustomStringConvertible, Sendable {
    /// The buffer this webhook was read from (UniFFI's custom-type conversion).
    public let wire: Data
    private let fields: [String]
    private let retry: UInt64
    private let payloadStart: Data.Index

    /// Reads the buffer of `to_wire`: a big-endian `UInt64` retry count, six `UInt64` field
    /// lengths, the six fields' UTF-8 bytes, then the payload to the end. Only the library
    /// makes one (a short buffer reads as empty fields rather than trapping).
    public init(wire: Data) {
        self.wire = wire
        var at = wire.startIndex
        func next() -> UInt64 {
            guard wire.endIndex - at >= 8 else { return 0 }
            let value = wire[at..<at + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            at += 8
            return value
        }
        retry = next()
        let lengths = (0..<6).map { _ in next() }
        var fields: [String] = []
        for length in lengths {
            let end = at + Int(clamping: min(length, UInt64(wire.endIndex - at)))
            fields.append(String(decoding: wire[at..<end], as: UTF8.self))
            at = end
        }
        self.fields = fields
        payloadStart = at
    }

    /// The verified metadata.
    public func metadata() -> WebhookMetadata {
        WebhookMetadata(
            id: fields[0], eventType: fields[1], timestamp: fields[2],
            accountId: fields[3], schemaVersion: fields[4], keyId: fields[5])
    }

    /// Unique message id (`wh_…`): deduplicate on it (delivery is at-least-once).
    public func id() -> String { fields[0] }

    /// Event type, e.g. `WORKFLOW_CREATED`.
    public func eventType() -> String { fields[1] }

    /// Event time as sent (ISO 8601 UTC).
    public func timestamp() -> String { fields[2] }

    /// Account id (`lv_…` or `sb_…`).
    public func accountId() -> String { fields[3] }

    /// Envelope schema version (`YYYY-MM-DD`).
    public func schemaVersion() -> String { fields[4] }

    /// Id of the key that decrypted it.
    public func keyId() -> String { fields[5] }

    /// Delivery attempt number, 0 on the first. NOT authenticated: use it for logging and
    /// metrics only, never for decisions.
    public func retryCount() -> UInt64 { retry }

    /// The payload's exact decrypted text (a JSON object), byte for byte as sent.
    public func payloadJson() -> String {
        String(decoding: wire[payloadStart...], as: UTF8.self)
    }

    /// The payload's exact decrypted bytes (UTF-8 JSON).
    public func payloadBytes() -> Data { Data(wire[payloadStart...]) }

    /// The payload as a typed view: `workflow` for `WORKFLOW_*` events,
    /// `subjectRecordDataUpdated`, or `other` for event types without a view (read
    /// `payloadJson()` then). Throws `PAYLOAD_SCHEMA_MISMATCH` if a known event's payload
    /// lacks a required field, has one of the wrong type, or has an unsupported major version.
    public func event() throws -> Event {
        try parseEvent(eventType: eventType(), payloadJson: payloadJson())
    }

    public var description: String {
        "Webhook(metadata: \(metadata()), retryCount: \(retry), payload: <\(wire.endIndex - payloadStart) bytes>)"
    }
}
