// Every conformance vector through the distributable Swift package (the same checks as
// bindings/uniffi/swift's VectorsTests). Usage: dist-vectors <webhooks.json>. Prints one line
// per failed case and "vectors: P/N passed"; exits 1 unless every case passed.
import Foundation
import KompliantWebhooks

func open(_ c: [String: Any]) throws -> Webhook {
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
        return try receiver.decryptAt(body: body, now: ISO8601DateFormatter().date(from: now)!)
    }
    return try receiver.decrypt(body: body)
}

/// nil when the case behaves as the file says, else what differed.
func problem(_ c: [String: Any]) -> String? {
    let expect = c["expect"] as! [String: Any]
    let outcome = Result { try open(c) }
    switch (expect["error"] as? String, outcome) {
    case let (code?, .failure(error)):
        guard let e = error as? KompliantError else { return "expected \(code), got \(error)" }
        return e.code() == code ? nil : "expected \(code), got \(e.code())"
    case let (code?, .success):
        return "expected \(code), decrypted"
    case let (nil, .failure(error)):
        return "expected success, got \(error)"
    case let (nil, .success(webhook)):
        let m = expect["metadata"] as! [String: String]
        let want = WebhookMetadata(
            id: m["id"]!, eventType: m["event_type"]!, timestamp: m["timestamp"]!,
            accountId: m["account_id"]!, schemaVersion: m["schema_version"]!, keyId: m["key_id"]!)
        if webhook.metadata() != want { return "metadata \(webhook.metadata())" }
        if webhook.retryCount() != (expect["retry_count"] as! NSNumber).uint64Value { return "retry count \(webhook.retryCount())" }
        let payload = Data(base64Encoded: expect["payload_b64"] as! String)!
        if webhook.payloadBytes() != payload { return "payload bytes differ" }
        if Data(webhook.payloadJson().utf8) != payload { return "payload JSON text differs" }
        return nil
    }
}

let args = CommandLine.arguments
guard args.count == 2 else {
    FileHandle.standardError.write("usage: dist-vectors <webhooks.json>\n".data(using: .utf8)!)
    exit(2)
}
let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: args[1]))) as! [String: Any]
let cases = doc["cases"] as! [[String: Any]]
var passed = 0
for c in cases {
    if let p = problem(c) { print("FAIL \(c["name"] as! String): \(p)") } else { passed += 1 }
}
print("vectors: \(passed)/\(cases.count) passed")

// The package's hand-written extensions ship too: Keyring.watch(path:) with its default
// (stderr) listener, over the first case's keyring written to a file.
let keyringFile = FileManager.default.temporaryDirectory.appendingPathComponent("dist-vectors-\(getpid()).json")
try JSONSerialization.data(withJSONObject: cases[0]["keyring"] as! [String: Any]).write(to: keyringFile)
defer { try? FileManager.default.removeItem(at: keyringFile) }
let watched = try Keyring.watch(path: keyringFile.path)
guard watched.keyIds() == (cases[0]["keyring"] as! [String: Any]).keys.sorted() else {
    print("FAIL Keyring.watch(path:) holds \(watched.keyIds())")
    exit(1)
}
exit(passed == cases.count ? 0 : 1)
