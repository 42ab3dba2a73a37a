// swift-decrypt: opens a captured Kompliant webhook body, as a receiver would.
//
//   swift-decrypt --keys keys.json body.json
//
// keys.json is a keyring file ({"whk_20251121_01": "<base64 secret>", ...}); without --keys
// the KOMPLIANT_WEBHOOK_SECRET_<YYYYMMDD>_<NN> environment variables are used. On success it
// prints the verified metadata, the typed view and the exact payload, and exits 0; otherwise
// it prints the error's code and operator message, the HTTP answer a receiver would send, and
// exits 1.
import Foundation
import KompliantWebhooks

var args = Array(CommandLine.arguments.dropFirst())
var keysPath: String? = nil
if let i = args.firstIndex(of: "--keys"), i + 1 < args.count {
    keysPath = args[i + 1]
    args.removeSubrange(i...(i + 1))
}
guard args.count == 1 else {
    FileHandle.standardError.write(Data("usage: swift-decrypt [--keys keys.json] body.json\n".utf8))
    exit(2)
}

do {
    let keyring = try keysPath.map { try Keyring.fromFile(path: $0) } ?? Keyring.fromEnv()
    let receiver = try WebhookReceiver(keyring: keyring)
    // The body bytes exactly as received: an altered, truncated or re-encoded body fails.
    let body = try Data(contentsOf: URL(fileURLWithPath: args[0]))
    let webhook = try receiver.decrypt(body: body)
    print("id: \(webhook.id())  (deduplicate on it)")
    print("event: \(webhook.eventType()) at \(webhook.timestamp()), account \(webhook.accountId()), key \(webhook.keyId()), retry \(webhook.retryCount())")
    switch try webhook.event() {
    case .workflow(let w):
        print("view: workflow \(w.workflowId) (\(w.workflowType)) on \(w.subjectRecordId) by \(w.userContext.userId)")
    case .subjectRecordDataUpdated(let u):
        print("view: \(u.subjectRecordId) updated, \(u.entities.persons.count) person(s), \(u.entities.business.count) business(es)")
    case .other(let eventType):
        print("view: none for \(eventType); read the payload")
    }
    print("payload: \(webhook.payloadJson())")
} catch let error as KompliantError {
    print("refused: \(error)")
    print("answer: HTTP \(error.httpStatus()) \(error.publicMessage())")
    exit(1)
} catch {
    print("error: \(error)")
    exit(1)
}
