import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NCCTestSupport

/// A `nccmatch serve` child process on a free loopback port and a data directory.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let data: URL
    /// The PostgreSQL bank's URL when the server runs on one (`--database`).
    let database: String?
    private(set) var base: URL!
    private let output = Pipe()

    /// Starts the server (the built `nccmatch`, or `binary`) and waits until it is ready.
    init(data: URL, database: String? = nil, extra: [String] = [], startLimit: Double = 600, binary: URL = CLIRunner.binary) throws {
        self.data = data
        self.database = database
        process.executableURL = binary
        // Every test client is 127.0.0.1: the per-client limits are opened wide here and narrowed by the
        // tests of those limits (a later option wins).
        process.arguments = ["serve", "--data", data.path, "--port", "0", "--secret-rounds", "1000", "--log-level", "warning",
                             "--cases-per-hour", "3600000", "--case-burst", "1000", "--secret-failures", "1000"]
            + (database.map { ["--database", $0] } ?? []) + extra
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // A server that never says it listens is killed after `startLimit` seconds, so this never blocks forever.
        let process = self.process
        let listening = ListeningFlag()
        DispatchQueue.global().asyncAfter(deadline: .now() + startLimit) {
            if !listening.isSet, process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        }
        defer { listening.set() }
        // The first line is "listening on http://127.0.0.1:PORT".
        var line = Data()
        let fd = output.fileHandleForReading.fileDescriptor
        var byte: UInt8 = 0
        while true {
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw ServiceTestError("the server exited before listening") }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "http://") else { throw ServiceTestError("unexpected first line: \(text)") }
        base = URL(string: String(text[range.lowerBound...]))!
        for _ in 0..<400 {
            if let answer = try? HTTP.sendSync("GET", base.appendingPathComponent("readyz")), answer.status == 200 { return }
            usleep(25_000)
        }
        throw ServiceTestError("the server never became ready")
    }

    /// SIGKILL, no goodbye.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM and wait.
    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited within `seconds`; returns whether it exited by itself.
    @discardableResult
    func stop(within seconds: Double) -> Bool {
        guard process.isRunning else { return true }
        process.terminate()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill()
            return false
        }
        return true
    }

    func url(_ path: String) -> URL { base.appendingPathComponent(path) }

    /// Adds a platform with the CLI and returns its key.
    func addPlatform(_ name: String) throws -> String {
        let result = try CLIRunner.run(["admin", "platform", "add", name, "--data", data.path] + (database.map { ["--database", $0] } ?? []))
        guard result.status == 0, let key = result.lines.first else { throw ServiceTestError("platform add failed: \(result.stderr)") }
        return key
    }
}

/// Set once the server said it listens.
private final class ListeningFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

struct ServiceTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// An HTTP answer: status, headers, body parsed as JSON when it is.
struct Answer: @unchecked Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String? { (json["error"] as? [String: Any])?["message"] as? String }
    var text: String { String(decoding: body, as: UTF8.self) }
}

enum HTTP {
    static func send(_ method: String, _ url: URL, body: Data? = nil, bearer: String? = nil, headers: [String: String] = [:], timeout: Double = 60) async throws -> Answer {
        var request = URLRequest(url: url)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = timeout
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (k, v) in http.allHeaderFields { headers[String(describing: k).lowercased()] = String(describing: v) }
        return Answer(status: http.statusCode, headers: headers, body: data)
    }

    static func send(_ method: String, _ url: URL, json: Any, bearer: String? = nil, headers: [String: String] = [:], timeout: Double = 60) async throws -> Answer {
        try await send(method, url, body: try JSONSerialization.data(withJSONObject: json), bearer: bearer, headers: headers, timeout: timeout)
    }

    static func sendSync(_ method: String, _ url: URL) throws -> Answer {
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 2
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let http = response as? HTTPURLResponse, error == nil {
                box.answer = Answer(status: http.statusCode, headers: [:], body: data ?? Data())
            }
            done.signal()
        }.resume()
        done.wait()
        guard let answer = box.answer else { throw ServiceTestError("no answer") }
        return answer
    }

    private final class Box: @unchecked Sendable { var answer: Answer? }
}

/// Random hashes for tests.
enum Fake {
    /// Random hex with exactly half its bits set, as a real PDQ (128 of 256) or pHash (32 of 64) has: the
    /// bank refuses values no real picture gives (see `HashPlausibility`).
    static func hex(_ chars: Int) -> String {
        var bits = [Bool](repeating: false, count: chars * 4)
        for i in 0..<(chars * 2) { bits[i] = true }
        bits.shuffle()
        return String((0..<chars).map { d in
            let value = (0..<4).reduce(0) { $0 << 1 | (bits[d * 4 + $1] ? 1 : 0) }
            return "0123456789abcdef"[String.Index(utf16Offset: value, in: "0123456789abcdef")]
        })
    }

    /// A PDQ hash `bits` bits away from `hex`.
    static func flip(_ hex: String, bits: Int) -> String {
        var digits = Array(hex)
        for i in 0..<bits {
            let position = (i * 3) % digits.count // one bit in each of `bits` different digits (3 is coprime with 64)
            let value = Int(String(digits[position]), radix: 16)! ^ 1
            digits[position] = Character(String(value, radix: 16))
        }
        return String(digits)
    }

    /// A case body: one picture with a good PDQ, pHash, dHash, MD5, SHA-256.
    static func picture(_ image: Int = 0, pdq: String = hex(64)) -> [[String: Any]] {
        [
            ["algorithm": "pdq", "value": pdq, "quality": 90, "image": image],
            ["algorithm": "phash", "value": hex(16), "image": image],
            ["algorithm": "dhash", "value": hex(16), "image": image],
            ["algorithm": "md5", "value": hex(32), "image": image],
            ["algorithm": "sha256", "value": hex(64), "image": image],
        ]
    }
}
