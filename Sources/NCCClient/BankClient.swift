import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NCCWire

/// A failure talking to a bank server, with a stable code.
public struct BankClientError: Error, Sendable, CustomStringConvertible {
    /// `invalid_server`, `insecure_server`, `server_unreachable`, `server_error` or the server's own error code
    /// (its `ErrorResponse`).
    public var code: String
    /// What happened, in plain words.
    public var message: String
    /// HTTP status, when the server answered.
    public var status: Int?

    /// Makes an error.
    public init(code: String, message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    /// The message.
    public var description: String { message }
}

/// A small JSON client for the bank's HTTP API, over FoundationNetworking's URLSession.
///
/// URLSession (libcurl underneath) keeps the CLI build light: async-http-client would add swift-nio-ssl
/// and BoringSSL to every build of the tool. Only hashes and credentials go over the wire.
public struct BankClient: Sendable {
    /// The server's base URL, e.g. `http://127.0.0.1:8080`.
    public var base: URL
    /// Seconds to wait for an answer.
    public var timeout: TimeInterval = 120

    /// Checks the address: `https://`, or `http://` on this computer (loopback), or any `http://` when
    /// `allowInsecureHTTP` is set.
    ///
    /// Over plain HTTP to another host, anyone on the way (a shared Wi-Fi, say) could read a case secret
    /// or an API key, and change what is sent, so it is refused unless explicitly allowed.
    /// - Throws: `BankClientError` `invalid_server` or `insecure_server`.
    public init(server: String, allowInsecureHTTP: Bool = false) throws {
        guard let url = URL(string: server.hasSuffix("/") ? String(server.dropLast()) : server),
              let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), let host = url.host, !host.isEmpty else {
            throw BankClientError(code: "invalid_server", message: "\(server) is not a server address; give one like https://bank.example.org or http://127.0.0.1:8080.")
        }
        if scheme == "http" && !allowInsecureHTTP && !Self.isLoopback(host) {
            throw BankClientError(
                code: "insecure_server",
                message: "\(server) uses plain http:// to another computer, so the secret and the hashes could be read or changed on the way. Use the bank's https:// address. If you are sure the network between you and the bank is private, add --allow-insecure-http.")
        }
        base = url
    }

    /// Whether `host` is this computer: `localhost`, an address in 127.0.0.0/8, or `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if name == "localhost" { return true }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, name, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { bytes in bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1 }
        }
        var v4 = in_addr()
        // inet_pton accepts only the dotted-quad form, so "127.1" or "0x7f.1" are not taken for loopback.
        if inet_pton(AF_INET, name, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        return false
    }

    /// Sends a request and returns the status and body; throws for transport failures and for error answers.
    ///
    /// Reads and withdrawals (GET, DELETE: repeating them changes nothing more) are tried up to three
    /// times when the server cannot be reached or answers 503, a second apart: a busy or restarting
    /// server then does not turn into an error for the person. Other methods are sent once.
    public func send(_ method: String, _ path: String, json body: Data? = nil, bearer: String? = nil) throws -> (status: Int, body: Data) {
        let attempts = ["GET", "DELETE"].contains(method) ? 3 : 1
        for attempt in 1...attempts {
            do {
                return try sendOnce(method, path, json: body, bearer: bearer)
            } catch let error as BankClientError where attempt < attempts && (error.code == "server_unreachable" || error.status == 503) {
                Thread.sleep(forTimeInterval: 1)
            }
        }
        return try sendOnce(method, path, json: body, bearer: bearer)
    }

    private func sendOnce(_ method: String, _ path: String, json body: Data?, bearer: String?) throws -> (status: Int, body: Data) {
        var request = URLRequest(url: base.appendingPathComponent(path))
        request.httpMethod = method
        request.timeoutInterval = timeout
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                box.result = .failure(BankClientError(code: "server_unreachable", message: "The server at \(base.absoluteString) could not be reached (\(error.localizedDescription)). Check the address and that it is running."))
            } else {
                box.result = .success(((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()))
            }
            done.signal()
        }
        task.resume()
        done.wait()
        let (status, data) = try box.result!.get()
        if status >= 400 {
            if let answer = try? JSONDecoder().decode(ErrorResponse.self, from: data) {
                throw BankClientError(code: answer.error.code, message: answer.error.message, status: status)
            }
            throw BankClientError(code: "server_error", message: "The server answered \(status) without an explanation.", status: status)
        }
        return (status, data)
    }

    /// Sends `body` as JSON and decodes the answer as `Answer`, one of the wire contract's types.
    /// - Throws: `BankClientError`: the server's own error, `server_unreachable`, or `server_error` when the
    ///   answer is not the JSON the contract describes.
    public func send<Answer: Decodable>(_ method: String, _ path: String, json body: some Encodable, bearer: String? = nil,
                                        answer: Answer.Type) throws -> Answer {
        let data: Data
        do {
            data = try JSONEncoder().encode(body)
        } catch {
            throw BankClientError(code: "invalid_request", message: "The request could not be written as JSON (\(error)).")
        }
        return try Self.decode(Answer.self, from: send(method, path, json: data, bearer: bearer))
    }

    /// Sends a request without a body (GET, DELETE) and decodes the answer as `Answer`.
    /// - Throws: `BankClientError`, as the method above.
    public func send<Answer: Decodable>(_ method: String, _ path: String, bearer: String? = nil, answer: Answer.Type) throws -> Answer {
        try Self.decode(Answer.self, from: send(method, path, json: nil, bearer: bearer))
    }

    private static func decode<Answer: Decodable>(_ type: Answer.Type, from reply: (status: Int, body: Data)) throws -> Answer {
        do {
            return try JSONDecoder().decode(Answer.self, from: reply.body)
        } catch {
            throw BankClientError(code: "server_error", message: "The server's answer was not the JSON expected.", status: reply.status)
        }
    }
}

private final class ResultBox: @unchecked Sendable {
    // Written once by the session's callback before the semaphore is signalled; read after.
    var result: Result<(Int, Data), BankClientError>?
}
