import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import KompliantWebhooks

/// The repository root (this file is bindings/uniffi/swift/Tests/KompliantWebhooksTests/…).
let repoRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<6 { url.deleteLastPathComponent() }
    return url
}()

/// Runs `body` and returns the `KompliantError` it throws, failing the test otherwise.
func expectError<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> KompliantError? {
    do {
        _ = try body()
        XCTFail("expected a KompliantError, got a result", file: file, line: line)
    } catch let error as KompliantError {
        return error
    } catch {
        XCTFail("expected a KompliantError, got \(error)", file: file, line: line)
    }
    return nil
}

/// As `expectError`, for async calls.
func expectError<T>(_ body: () async throws -> T, file: StaticString = #filePath, line: UInt = #line) async -> KompliantError? {
    do {
        _ = try await body()
        XCTFail("expected a KompliantError, got a result", file: file, line: line)
    } catch let error as KompliantError {
        return error
    } catch {
        XCTFail("expected a KompliantError, got \(error)", file: file, line: line)
    }
    return nil
}

/// A `kompliant sim` process on a free loopback port, with the credentials it wrote.
final class Simulator {
    let process = Process()
    let env: [String: String]

    init() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kompliant-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let envFile = dir.appendingPathComponent("sim.env")
        process.executableURL = repoRoot.appendingPathComponent("target/debug/kompliant")
        process.arguments = ["sim", "--listen", "127.0.0.1:0", "--retry-base-ms", "20", "--env-file", envFile.path, "--quiet"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while true {
            if let text = try? String(contentsOf: envFile, encoding: .utf8), text.contains("KOMPLIANT_AUTH_TOKEN=") {
                var values: [String: String] = [:]
                for line in text.split(separator: "\n") {
                    guard let eq = line.firstIndex(of: "=") else { continue }
                    values[String(line[..<eq])] = String(line[line.index(after: eq)...])
                }
                env = values
                return
            }
            if Date() > deadline || !process.isRunning {
                process.terminate()
                throw NSError(domain: "Simulator", code: 1, userInfo: [NSLocalizedDescriptionKey: "kompliant sim did not start"])
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    var baseUrl: String { env["KOMPLIANT_BASE_URL"]! }
    var accountId: String { env["KOMPLIANT_ACCOUNT_ID"]! }

    func client(_ options: ClientOptions? = nil) throws -> KompliantClient {
        try KompliantClient(
            apiKey: env["KOMPLIANT_API_KEY"]!, secretKey: env["KOMPLIANT_SECRET_KEY"]!,
            authToken: env["KOMPLIANT_AUTH_TOKEN"]!, options: options ?? ClientOptions(baseUrl: baseUrl))
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

/// One HTTP request as a `LoopbackServer` read it.
struct HTTPRequest {
    /// The request target, e.g. `/meta.checkVersion`.
    let path: String
    /// Header values by lower-cased name.
    let headers: [String: String]
    let body: Data
}

/// A minimal blocking HTTP/1.1 server on loopback (Glibc sockets: Foundation on Linux has no
/// server API), answering each request with `handler`'s status and body.
final class LoopbackServer: @unchecked Sendable {
    private let fd: Int32
    let port: UInt16
    private let handler: (HTTPRequest) -> (UInt16, String)

    init(handler: @escaping (HTTPRequest) -> (UInt16, String)) {
        self.handler = handler
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, len) } }
        listen(sock, 16)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) } }
        fd = sock
        port = UInt16(bigEndian: addr.sin_port)
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    var baseUrl: String { "http://127.0.0.1:\(port)" }

    private func serve() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return }
            handle(client)
        }
    }

    private func handle(_ client: Int32) {
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int? = nil
        var contentLength = 0
        var path = ""
        var headers: [String: String] = [:]
        while true {
            let n = read(client, &chunk, chunk.count)
            if n <= 0 { break }
            buffer.append(contentsOf: chunk[0..<n])
            if headerEnd == nil, let range = Data(buffer).range(of: Data("\r\n\r\n".utf8)) {
                headerEnd = range.upperBound
                let lines = String(decoding: buffer[0..<range.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
                let requestLine = lines.first?.split(separator: " ") ?? []
                if requestLine.count > 1 { path = String(requestLine[1]) }
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                contentLength = Int(headers["content-length"] ?? "") ?? 0
            }
            if let end = headerEnd, buffer.count >= end + contentLength { break }
        }
        var status: UInt16 = 400
        var text = ""
        if let end = headerEnd {
            let body = Data(buffer[end..<min(buffer.count, end + contentLength)])
            (status, text) = handler(HTTPRequest(path: path, headers: headers, body: body))
        }
        let answer = "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(text.utf8.count)\r\nConnection: close\r\n\r\n\(text)"
        _ = answer.withCString { write(client, $0, strlen($0)) }
        close(client)
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}

/// Decrypts every POSTed body with `receiver`, as an application would.
final class TestReceiver: @unchecked Sendable {
    private let receiver: WebhookReceiver
    private let lock = NSLock()
    private var received: [Webhook] = []
    private var refusedErrors: [KompliantError] = []
    private let arrived = DispatchSemaphore(value: 0)
    private var server: LoopbackServer!

    init(receiver: WebhookReceiver) {
        self.receiver = receiver
        server = LoopbackServer { [unowned self] request in (self.decrypt(request.body), "") }
    }

    var url: String { "\(server.baseUrl)/webhooks" }

    var refused: [KompliantError] {
        lock.lock(); defer { lock.unlock() }
        return refusedErrors
    }

    private func decrypt(_ body: Data) -> UInt16 {
        do {
            let webhook = try receiver.decrypt(body: body)
            lock.lock(); received.append(webhook); lock.unlock()
            arrived.signal()
            return 200
        } catch let error as KompliantError {
            lock.lock(); refusedErrors.append(error); lock.unlock()
            return error.httpStatus()
        } catch {
            return 500
        }
    }

    /// The next decrypted webhook, waiting up to 10 s.
    func next() -> Webhook? {
        guard arrived.wait(timeout: .now() + 10) == .success else { return nil }
        lock.lock(); defer { lock.unlock() }
        return received.removeFirst()
    }

    func stop() { server.stop() }
}

/// The forms in which a secret's bytes could reach a log line: the raw bytes read as latin-1
/// text, standard base64 (padded and not), URL-safe base64 (padded and not), and hex in lower
/// and upper case. Every secret check of the suite goes through here (see `secretLeaks`).
enum SecretForms {
    /// Each form of `secret`, named.
    static func of(_ secret: [UInt8]) -> [(name: String, text: String)] {
        let b64 = Data(secret).base64EncodedString()
        let url = b64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        let unpadded = { (s: String) in String(s.reversed().drop(while: { $0 == "=" }).reversed()) }
        let digits = Array("0123456789abcdef")
        let hex = String(secret.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
        return [
            ("raw bytes as latin-1", String(String.UnicodeScalarView(secret.map { Unicode.Scalar($0) }))),
            ("standard base64", b64),
            ("standard base64 without padding", unpadded(b64)),
            ("URL-safe base64", url),
            ("URL-safe base64 without padding", unpadded(url)),
            ("hex (lower case)", hex),
            ("hex (upper case)", hex.uppercased()),
        ]
    }

    /// The names of the forms of `secret` that `text` contains.
    static func found(in text: String, _ secret: [UInt8]) -> [String] {
        of(secret).filter { contains(text, $0.text) }.map(\.name)
    }

    /// A byte-wise search: `String.contains` compares grapheme clusters, so a form starting
    /// with "\n" after a "\r" in the text would not be found.
    static func contains(_ text: String, _ needle: String) -> Bool {
        let haystack = Array(text.utf8), bytes = Array(needle.utf8)
        guard !bytes.isEmpty else { return true }
        guard haystack.count >= bytes.count else { return false }
        for start in 0...(haystack.count - bytes.count) where haystack[start] == bytes[0] {
            if haystack[start..<(start + bytes.count)].elementsEqual(bytes) { return true }
        }
        return false
    }
}

/// A 32-byte test secret that cannot turn up in a text by chance: printable ASCII (so its
/// latin-1 form is text a log line could really hold), starting `kw>zq?` so that its standard
/// base64 holds both `+` and `/` and differs from the URL-safe one, then `label`.
func distinctiveSecret(_ label: String) -> [UInt8] {
    Array(("kw>zq?\(label)-" + String(repeating: "#", count: 32)).utf8.prefix(32))
}

/// Every leak of a form of one of `secrets` (name → bytes) in `texts` (what → text).
func secretLeaks(in texts: [(what: String, text: String)], _ secrets: [String: [UInt8]]) -> [String] {
    var leaks: [String] = []
    for (what, text) in texts {
        for (name, bytes) in secrets.sorted(by: { $0.key < $1.key }) {
            for form in SecretForms.found(in: text, bytes) { leaks.append("\(name) (\(form)) in \(what): \(text)") }
        }
    }
    return leaks
}

/// Fails unless no text of `texts` holds any form of any of `secrets`.
func assertNoSecret(in texts: [(what: String, text: String)], _ secrets: [String: [UInt8]],
                    file: StaticString = #filePath, line: UInt = #line) {
    let leaks = secretLeaks(in: texts, secrets)
    XCTAssertTrue(leaks.isEmpty, "secrets leaked:\n" + leaks.joined(separator: "\n"), file: file, line: line)
}

/// Every text a program can make of `value` without asking for a secret on purpose:
/// `String(describing:)`, `String(reflecting:)`, interpolation, `print`, `debugPrint`,
/// `dump`, `description` / `debugDescription` where declared; for an `Error` its
/// `localizedDescription` and `LocalizedError` texts; for a `KompliantError` its methods; and
/// the renderings of every `Mirror` child, recursively.
func renderings(_ value: Any, depth: Int = 0) -> [(what: String, text: String)] {
    var out: [(what: String, text: String)] = [
        ("String(describing:)", String(describing: value)),
        ("String(reflecting:)", String(reflecting: value)),
        ("interpolation", "\(value)"),
    ]
    var printed = ""
    print(value, to: &printed)
    var debugPrinted = ""
    debugPrint(value, to: &debugPrinted)
    var dumped = ""
    dump(value, to: &dumped)
    out += [("print", printed), ("debugPrint", debugPrinted), ("dump", dumped)]
    if let v = value as? CustomStringConvertible { out.append(("description", v.description)) }
    if let v = value as? CustomDebugStringConvertible { out.append(("debugDescription", v.debugDescription)) }
    if let e = value as? Error {
        out.append(("localizedDescription", e.localizedDescription))
        if let l = e as? LocalizedError {
            out += [("errorDescription", l.errorDescription ?? ""), ("failureReason", l.failureReason ?? ""),
                    ("recoverySuggestion", l.recoverySuggestion ?? "")]
        }
        if let ns = value as? NSError {
            out += [("NSError description", ns.description), ("NSError userInfo", String(describing: ns.userInfo))]
        }
    }
    if let e = value as? KompliantError {
        out += [("code()", e.code()), ("detail()", e.detail()), ("publicMessage()", e.publicMessage())]
        if let api = e.api() { out += renderings(api, depth: depth + 1).map { ("api() \($0.what)", $0.text) } }
    }
    if depth < 4 {
        for child in Mirror(reflecting: value).children {
            out += renderings(child.value, depth: depth + 1).map { ("Mirror child \(child.label ?? "_") \($0.what)", $0.text) }
        }
    }
    return out
}

/// The stable code a `KompliantError` case stands for (`InvalidKey` → `INVALID_KEY`).
func variantCode(_ e: KompliantError) -> String {
    let name = Mirror(reflecting: e).children.first?.label ?? "\(e)"
    var out = ""
    for (i, c) in name.enumerated() {
        if c.isUppercase && i > 0 { out.append("_") }
        out += c.uppercased()
    }
    return out
}

/// The HTTP status docs/errors.md gives each code for a webhook receiver's answer.
func documentedStatus(_ code: String) -> UInt16 {
    switch code {
    case "UNKNOWN_KEY": return 503
    case "BODY_TOO_LARGE": return 413
    case "MALFORMED_ENVELOPE", "DECRYPTION_FAILED", "PAYLOAD_NOT_JSON", "TIMESTAMP_OUT_OF_RANGE", "PAYLOAD_SCHEMA_MISMATCH": return 400
    default: return 500
    }
}

/// The consistency of a typed error: a known code, the case of that code, its documented status.
func checkTypedError(_ e: KompliantError, _ codes: Set<String>, _ what: String = "",
                     file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertTrue(codes.contains(e.code()), "code \(e.code()) not in \(codes.sorted())\(what): \(e)", file: file, line: line)
    XCTAssertEqual(variantCode(e), e.code(), "case of \(e)", file: file, line: line)
    XCTAssertEqual(e.httpStatus(), documentedStatus(e.code()), "status of \(e)", file: file, line: line)
    XCTAssertTrue(e.api() != nil || String(describing: e).hasPrefix(e.code()), "log line of \(e)", file: file, line: line)
    XCTAssertFalse(e.publicMessage().isEmpty, file: file, line: line)
}

/// Runs `body`, which must throw a `KompliantError` whose code is one of `codes`, and returns
/// it; anything else (a result, UniFFI's internal error for a Rust panic, another `Error`)
/// fails the test.
@discardableResult
func expectTypedError<T>(_ codes: Set<String>, _ what: String = "", file: StaticString = #filePath, line: UInt = #line,
                         _ body: () throws -> T) -> KompliantError? {
    do {
        let result = try body()
        XCTFail("expected one of \(codes.sorted())\(what), got a result: \(result)", file: file, line: line)
    } catch let error as KompliantError {
        checkTypedError(error, codes, what, file: file, line: line)
        return error
    } catch {
        XCTFail("expected a KompliantError\(what), got \(type(of: error)): \(error)", file: file, line: line)
    }
    return nil
}

/// A small, explicit, seedable generator (SplitMix64): the system generator cannot be
/// seeded, and a failing case must replay exactly.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<n` (n > 0).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    /// Uniform in `low..<high`.
    mutating func between(_ low: Int, _ high: Int) -> Int { low + below(high - low) }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in byte() } }
}

/// Runs `body` with `vars` set in the process environment (nil unsets) and every other
/// variable starting with one of `clearPrefixes` unset, then restores what was there.
func withProcessEnv<T>(_ vars: [String: String?], clearPrefixes: [String] = [], _ body: () throws -> T) rethrows -> T {
    let cleared = ProcessInfo.processInfo.environment.keys.filter { name in
        clearPrefixes.contains { name.hasPrefix($0) } && vars[name] == nil
    }
    let names = Array(vars.keys) + cleared
    let saved = names.map { name in (name, getenv(name).map { String(cString: $0) }) }
    for name in names {
        if let value = vars[name] ?? nil { setenv(name, value, 1) } else { unsetenv(name) }
    }
    defer {
        for (name, value) in saved {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
    }
    return try body()
}
