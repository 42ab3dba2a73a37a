// The Swift row of scripts/bench: per-call cost of the SDK's WebhookReceiver.decrypt (one UniFFI
// call returning one buffer, read by the hand-written Webhook class) and of a hand-written
// receiver (Foundation JSONSerialization + Data(base64Encoded:) + OpenSSL EVP AES-256-GCM), in
// one process, interleaved round by round, over the fixtures of tests/bench/fixtures.py.
//
//   swift-bench --fixtures DIR --json OUT [--quick] [--swift-version V] [--leak-iterations N]
//
// Two comparisons per size: up to the payload text (the SDK's payloadJson(); the hand-written
// receiver's plaintext decoded as a String), and up to a parsed payload (both hand their bytes
// to the same JSONSerialization.jsonObject). Every implementation must first give the fixture's
// payload. Then each round times a batch (about 3 ms of the slowest implementation) of each, in
// alternating order; the per-call time is the batch's time / its length; medians and the
// 10th-90th percentiles over the rounds go to stdout and OUT. Last, a leak check: N decrypts of
// the 1 KiB fixture through the SDK (text and parsed object), resident memory after a 10%
// warm-up and at the end. No target: the figures are reported.
import COpenSSL
import Foundation
import KompliantWebhooks

#if canImport(Glibc)
import Glibc
#endif

let SIZES = ["1k", "16k", "256k", "4m"]
let FIELDS = ["id", "event_type", "timestamp", "account_id", "schema_version", "key_id"]

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("swift-bench: \(message)\n".utf8))
    exit(1)
}

func log(_ line: String) {
    FileHandle.standardError.write(Data("\(line)\n".utf8))
}

// MARK: - The hand-written receiver

/// What a competent engineer writes on Linux with Foundation and OpenSSL: the key decoded and
/// the cipher fetched once; per request the envelope parsed with JSONSerialization, `data`
/// decoded with Data(base64Encoded:), a fresh EVP_CIPHER_CTX opening it (nonce: the first 12
/// bytes, tag: the last 16, AAD: the six metadata fields joined by "|"), the plaintext as Data.
final class HandWritten {
    enum Failure: Error { case envelope, base64, openssl(String) }

    private let key: [UInt8]
    private let cipher: OpaquePointer

    init(secret: Data) {
        key = [UInt8](secret)
        guard key.count == 32, let cipher = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil) else {
            fail("OpenSSL has no AES-256-GCM (or the key is not 32 bytes)")
        }
        self.cipher = cipher
    }

    deinit { EVP_CIPHER_free(cipher) }

    func plaintext(_ body: Data) throws -> Data {
        guard let env = try JSONSerialization.jsonObject(with: body) as? [String: Any],
              let data = env["data"] as? String
        else { throw Failure.envelope }
        guard let raw = Data(base64Encoded: data), raw.count >= 12 + 16 else { throw Failure.base64 }
        var fields: [String] = []
        fields.reserveCapacity(FIELDS.count)
        for name in FIELDS {
            guard let value = env[name] as? String else { throw Failure.envelope }
            fields.append(value)
        }
        let aad = Array(fields.joined(separator: "|").utf8)

        guard let ctx = EVP_CIPHER_CTX_new() else { throw Failure.openssl("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        let length = raw.count - 12 - 16
        var plaintext = Data(count: length)
        try raw.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            let base = input.bindMemory(to: UInt8.self).baseAddress!
            var n: Int32 = 0
            guard EVP_DecryptInit_ex(ctx, cipher, nil, key, base) == 1 else { throw Failure.openssl("init") }
            guard EVP_DecryptUpdate(ctx, nil, &n, aad, Int32(aad.count)) == 1 else { throw Failure.openssl("aad") }
            if length > 0 {
                try plaintext.withUnsafeMutableBytes { (out: UnsafeMutableRawBufferPointer) in
                    let dst = out.bindMemory(to: UInt8.self).baseAddress!
                    guard EVP_DecryptUpdate(ctx, dst, &n, base + 12, Int32(length)) == 1 else {
                        throw Failure.openssl("update")
                    }
                }
            }
            let tag = UnsafeMutableRawPointer(mutating: base + 12 + length)
            guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1 else { throw Failure.openssl("tag") }
            var last = [UInt8](repeating: 0, count: 16)
            guard EVP_DecryptFinal_ex(ctx, &last, &n) == 1 else { throw Failure.openssl("tag mismatch") }
        }
        return plaintext
    }
}

// MARK: - Arguments, fixtures

var arguments = [String: String]()
var quick = false
do {
    var it = CommandLine.arguments.dropFirst().makeIterator()
    while let a = it.next() {
        switch a {
        case "--quick": quick = true
        case "--fixtures", "--json", "--swift-version", "--leak-iterations":
            guard let v = it.next() else { fail("\(a) needs a value") }
            arguments[a] = v
        default:
            fail("unknown argument \(a) (usage: swift-bench --fixtures DIR --json OUT [--quick] [--swift-version V] [--leak-iterations N])")
        }
    }
}
guard let fixtures = arguments["--fixtures"] else { fail("--fixtures DIR is required") }
guard let outPath = arguments["--json"] else { fail("--json OUT is required") }
let leakIterations = Int(arguments["--leak-iterations"] ?? (quick ? "200000" : "1000000")) ?? 1_000_000

func read(_ name: String) -> Data {
    guard let data = FileManager.default.contents(atPath: "\(fixtures)/\(name)") else { fail("cannot read \(fixtures)/\(name)") }
    return data
}

guard let keyJson = try? JSONSerialization.jsonObject(with: read("key.json")) as? [String: Any],
      let keyId = keyJson["key_id"] as? String, let secretB64 = keyJson["secret"] as? String,
      let secret = Data(base64Encoded: secretB64)
else { fail("key.json: expected {\"key_id\", \"secret\"}") }

let keyring = Keyring()
let receiver: WebhookReceiver
do {
    try keyring.add(keyId: keyId, secretBase64: secretB64)
    receiver = try WebhookReceiver(keyring: keyring)
} catch {
    fail("cannot build the SDK receiver: \(error)")
}
let hand = HandWritten(secret: secret)

// MARK: - The implementations

/// Each returns a number drawn from its result (so nothing is optimised away): the payload
/// text's UTF-8 length, or the parsed object's key count.
let implementations: [(name: String, description: String, run: (Data) throws -> Int)] = [
    ("sdk", "receiver.decrypt(body:).payloadJson() (one UniFFI call returning one buffer; the payload text)",
     { try receiver.decrypt(body: $0).payloadJson().utf8.count }),
    ("handwritten",
     "Foundation JSONSerialization.jsonObject(with: body) for the envelope, Data(base64Encoded:), OpenSSL EVP "
        + "AES-256-GCM (cipher fetched once; per call a new EVP_CIPHER_CTX, DecryptInit_ex, AAD of the six metadata "
        + "fields joined by '|', DecryptUpdate, SET_TAG with the last 16 bytes, DecryptFinal_ex), "
        + "String(decoding: plaintext, as: UTF8.self)",
     { String(decoding: try hand.plaintext($0), as: UTF8.self).utf8.count }),
    ("sdk+jsonserialization", "the SDK, then JSONSerialization.jsonObject(with: webhook.payloadBytes())",
     { (try JSONSerialization.jsonObject(with: receiver.decrypt(body: $0).payloadBytes()) as! [String: Any]).count }),
    ("handwritten+jsonserialization", "the hand-written receiver, then JSONSerialization.jsonObject(with: plaintext)",
     { (try JSONSerialization.jsonObject(with: hand.plaintext($0)) as! [String: Any]).count }),
]

func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func canonical(_ object: Any) throws -> Data {
    try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
}

/// Every implementation must give the fixture's payload: the same text, and parsed objects
/// that serialise alike (keys sorted).
func check(_ size: String, _ body: Data, _ payload: Data) throws {
    let text = String(decoding: payload, as: UTF8.self)
    guard try receiver.decrypt(body: body).payloadJson() == text else { fail("SDK payload text differs at \(size)") }
    guard String(decoding: try hand.plaintext(body), as: UTF8.self) == text else {
        fail("hand-written payload text differs at \(size)")
    }
    let expected = try canonical(JSONSerialization.jsonObject(with: payload))
    guard try canonical(JSONSerialization.jsonObject(with: receiver.decrypt(body: body).payloadBytes())) == expected else {
        fail("SDK parsed payload differs at \(size)")
    }
    guard try canonical(JSONSerialization.jsonObject(with: hand.plaintext(body))) == expected else {
        fail("hand-written parsed payload differs at \(size)")
    }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double { sorted[Int(Double(sorted.count - 1) * p)] }

var sink = 0

// MARK: - Measurement

var results: [String: [String: [Double]]] = [:]  // size -> name -> per-call µs per round
let roundsFull = ["1k": 400, "16k": 300, "256k": 150, "4m": 40]
do {
    for size in SIZES {
        let body = read("\(size).body.json")
        try check(size, body, read("\(size).payload.json"))
        // Warm-up (caches, allocator, lazy initialisation): each implementation for a while.
        for impl in implementations {
            let until = now() + (quick ? 100_000_000 : 300_000_000)
            while now() < until { sink &+= try impl.run(body) }
        }
        // Calls per batch: about 3 ms of the slowest implementation (the same for all).
        let probe = now()
        for _ in 0..<5 { sink &+= try implementations[3].run(body) }
        let perCall = Double(now() - probe) / 5
        let batch = max(1, Int(3e6 / perCall))
        let rounds = quick ? roundsFull[size]! / 5 : roundsFull[size]!
        log("swift: \(size): \(rounds) rounds of \(batch) calls")
        var samples = [String: [Double]]()
        for round in 0..<rounds {
            let order = round % 2 == 0 ? implementations : Array(implementations.reversed())
            for impl in order {
                let t0 = now()
                for _ in 0..<batch { sink &+= try impl.run(body) }
                samples[impl.name, default: []].append(Double(now() - t0) / 1e3 / Double(batch))
            }
        }
        results[size] = samples.mapValues { $0.sorted() }
    }
} catch {
    fail("decrypt failed: \(error)")
}

// MARK: - Leak check

func rssMb() -> Double {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kib = line.split(separator: " ", omittingEmptySubsequences: true)[1]
        return (Double(kib) ?? 0) / 1024
    }
    return 0
}

let leak: (after: Double, end: Double)
do {
    let body = read("1k.body.json")
    let soak = { (count: Int) throws in
        for _ in 0..<count {
            sink &+= try implementations[0].run(body)
            sink &+= try implementations[2].run(body)
        }
    }
    log("swift: leak check: \(leakIterations) decrypts of the 1 KiB fixture (text and parsed)")
    let warm = leakIterations / 10
    try soak(warm)
    let after = rssMb()
    try soak(leakIterations - warm)
    leak = (after, rssMb())
} catch {
    fail("decrypt failed in the leak check: \(error)")
}

// MARK: - Report

let swiftVersion = arguments["--swift-version"].map { "Swift \($0)" } ?? "Swift"
let opensslVersion = String(cString: OpenSSL_version(Int32(OPENSSL_VERSION)))
let language = "\(swiftVersion) (Linux, Foundation; \(opensslVersion))"
func median(_ size: String, _ name: String) -> Double { percentile(results[size]![name]!, 0.5) }
let ratioPairs = [("handwritten", "sdk"), ("handwritten+jsonserialization", "sdk+jsonserialization")]

func us(_ x: Double) -> String { String(format: "%.1f", x) }
print("\(language): median µs per call (p10-p90)")
let header = ["size"] + implementations.map(\.name) + ratioPairs.map { "\($0.0)/\($0.1)" }
print(header.joined(separator: "  "))
for size in SIZES {
    var cells = [size]
    for impl in implementations {
        let s = results[size]![impl.name]!
        cells.append("\(us(percentile(s, 0.5))) (\(us(percentile(s, 0.1)))-\(us(percentile(s, 0.9))))")
    }
    for (a, b) in ratioPairs { cells.append(String(format: "%.2fx", median(size, a) / median(size, b))) }
    print(cells.joined(separator: "  "))
}
print(String(format: "leak: %d decrypts, RSS %.1f MB after warm-up, %.1f MB at the end (%+.1f)",
             leakIterations, leak.after, leak.end, leak.end - leak.after))
guard sink != 0 else { fail("nothing was decrypted") }

// JSON in the order report.py shows (implementations as listed), written by hand: a
// Dictionary would not keep it.
func str(_ s: String) -> String {
    let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
    return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
}
func num(_ x: Double) -> String { String(format: "%.4f", x) }
func object(_ pairs: [(String, String)], indent: String = "  ") -> String {
    "{\n" + pairs.map { "\(indent)\(str($0.0)): \($0.1)" }.joined(separator: ",\n") + "\n\(indent.dropLast(2))}"
}
func stat(_ p: Double) -> String {
    object(implementations.map { impl in
        (impl.name, object(SIZES.map { ($0, num(percentile(results[$0]![impl.name]!, p))) }, indent: "      "))
    }, indent: "    ")
}
let json = object([
    ("language", str(language)),
    ("implementations", object(implementations.map { ($0.name, str($0.description)) }, indent: "    ")),
    ("sizes", "[" + SIZES.map(str).joined(separator: ", ") + "]"),
    ("median_us", stat(0.5)),
    ("p10_us", stat(0.1)),
    ("p90_us", stat(0.9)),
    ("ratios", object(ratioPairs.map { pair in
        ("\(pair.0)/\(pair.1)", object(SIZES.map { ($0, num(median($0, pair.0) / median($0, pair.1))) }, indent: "      "))
    }, indent: "    ")),
    ("leak", object([
        ("iterations", String(leakIterations)),
        ("rss_mb_after_warmup", num(leak.after)),
        ("rss_mb_end", num(leak.end)),
        ("growth_mb", num(leak.end - leak.after)),
    ], indent: "    ")),
]) + "\n"
do {
    try Data(json.utf8).write(to: URL(fileURLWithPath: outPath))
} catch {
    fail("cannot write \(outPath): \(error)")
}
