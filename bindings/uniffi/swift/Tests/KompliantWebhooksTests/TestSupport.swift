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
