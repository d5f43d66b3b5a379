/// Why a page could not be fetched or a feedback could not be delivered. Never holds credentials, hashes
/// or response bodies.
public struct ExchangeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable codes; their `rawValue`s are a public contract (`exchange fetch` output, delivery states).
    public enum Code: String, Sendable, Hashable, CaseIterable, Codable {
        /// 401 or 403: the keys are wrong or revoked.
        case unauthorized = "exchange_unauthorized"
        /// 429: the exchange asks us to slow down.
        case rateLimited = "exchange_rate_limited"
        /// 5xx: the exchange failed; worth retrying.
        case serverError = "exchange_server_error"
        /// Another status the exchange should not answer (400, 404, a redirect, ...).
        case unexpectedStatus = "exchange_unexpected_status"
        /// No whole answer within the deadline.
        case timedOut = "exchange_timed_out"
        /// The answer was larger than the limit.
        case responseTooLarge = "exchange_response_too_large"
        /// The exchange could not be reached (DNS, refused, TLS).
        case unreachable = "exchange_unreachable"
        /// The answer is not the page format at all (not JSON, not XML, fields of the page itself missing).
        case malformedPage = "exchange_malformed_page"
        /// The stored checkpoint belongs to another kind of exchange.
        case checkpointMismatch = "exchange_checkpoint_mismatch"
        /// A local file could not be read.
        case fileUnreadable = "exchange_file_unreadable"
        /// The configuration cannot work (no key for an endpoint, no negative reason chosen, ...).
        case misconfigured = "exchange_misconfigured"
    }

    /// The stable code.
    public var code: Code
    /// What happened and what to do, for the operator.
    public var message: String
    /// The HTTP status, when there was one.
    public var status: Int?

    /// Makes an error.
    public init(_ code: Code, _ message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    /// Whether trying again later may succeed (5xx, 429, time-outs, unreachable).
    public var isTransient: Bool {
        switch code {
        case .rateLimited, .serverError, .timedOut, .unreachable: true
        default: false
        }
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The error for an HTTP status that is not success.
    static func forStatus(_ status: Int, exchange: String) -> ExchangeError {
        switch status {
        case 401, 403:
            ExchangeError(.unauthorized, "\(exchange) refused our credentials (HTTP \(status)); check the keys configured for it.", status: status)
        case 429:
            ExchangeError(.rateLimited, "\(exchange) asked us to slow down (HTTP 429); the next try waits longer.", status: status)
        case 500...599:
            ExchangeError(.serverError, "\(exchange) failed to answer (HTTP \(status)); it will be tried again.", status: status)
        default:
            ExchangeError(.unexpectedStatus, "\(exchange) answered HTTP \(status), which its API does not use here; check its base URL.", status: status)
        }
    }
}
