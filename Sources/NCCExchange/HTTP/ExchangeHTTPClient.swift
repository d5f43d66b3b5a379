import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// HTTP/1.1 for the exchanges, over SwiftNIO (one connection per request, `Connection: close`, https with the
/// system's trust roots and hostname verification), with every cost bounded: a whole answer (connect, request
/// and response) within `deadline`, at most `maxResponseBytes` read, no redirects followed (credentials never
/// leave the configured host), no cookies or cache. Waiting on an exchange that never answers costs no CPU.
/// Idempotent requests (GET, PUT, HEAD) are retried on transient failures.
public struct ExchangeHTTPClient: Sendable {
    /// One answer.
    public struct Response: Sendable {
        /// The HTTP status.
        public var status: Int
        /// The body (at most `maxResponseBytes`).
        public var body: Data
    }

    /// Longest a whole answer may take, in seconds (60 as pytx's clients).
    public var deadline: TimeInterval
    /// Largest body read, in bytes; a larger answer is `responseTooLarge`. 64 MiB by default: an 800-record
    /// StopNCII page is about 300 KiB, a 1,000-entry NCMEC page about 1 MiB.
    public var maxResponseBytes: Int
    /// Tries per idempotent request (4 as pytx's clients), with `retryDelay` doubling between them.
    public var attempts: Int
    /// The first wait between tries, in seconds.
    public var retryDelay: TimeInterval
    /// The exchange's name in messages.
    public var exchangeName: String

    /// Makes a client with pytx's limits.
    public init(exchangeName: String, deadline: TimeInterval = 60, maxResponseBytes: Int = 64 << 20,
                attempts: Int = 4, retryDelay: TimeInterval = 0.2) {
        self.exchangeName = exchangeName
        self.deadline = deadline
        self.maxResponseBytes = maxResponseBytes
        self.attempts = max(1, attempts)
        self.retryDelay = retryDelay
    }

    /// Sends `request`, retrying transient failures when the method is idempotent (GET, PUT).
    /// - Throws: `ExchangeError` for a status other than 2xx, a time-out, an answer too large, no connection.
    public func send(_ request: URLRequest) async throws(ExchangeError) -> Response {
        let idempotent = ["GET", "PUT", "HEAD"].contains(request.httpMethod ?? "GET")
        var delay = retryDelay
        var attempt = 1
        while true {
            do throws(ExchangeError) {
                let response = try await sendOnce(request)
                guard (200..<300).contains(response.status) else {
                    throw ExchangeError.forStatus(response.status, exchange: exchangeName)
                }
                return response
            } catch {
                guard idempotent, error.isTransient, attempt < attempts, !Task.isCancelled else { throw error }
                attempt += 1
                try? await Task.sleep(for: .seconds(delay))
                delay *= 2
            }
        }
    }

    /// One try, no retry, any status returned (a redirect is returned as its 3xx status, never followed).
    /// - Throws: `ExchangeError` for a time-out, an answer too large, no connection, a cancellation.
    public func sendOnce(_ request: URLRequest) async throws(ExchangeError) -> Response {
        let name = exchangeName
        switch await Self.exchangeOverNIO(request, deadline: deadline, limit: maxResponseBytes) {
        case .success(let response): return response
        case .failure(let failure):
            throw ExchangeError(failure.code, failure.message.replacingOccurrences(of: "$EXCHANGE", with: name), status: failure.status)
        }
    }
}
