import Foundation
import Hummingbird
import NCCBank
import NCCWire

/// An error answered to a client: an HTTP status and `{"error": {"code", "message"}}`.
///
/// Codes are stable (clients branch on them); messages say what is wrong and what to do, in plain words,
/// and never blame. No message carries a hash value or a secret.
public struct APIError: HTTPResponseError, Sendable, CustomStringConvertible {
    /// The HTTP status this error answers with.
    public let status: HTTPResponse.Status
    /// Stable, machine-readable code.
    public let code: String
    /// What is wrong and how to fix it.
    public let message: String
    /// Seconds before trying again, for 429 and 503 (sent as `Retry-After`).
    public let retryAfter: Int?
    /// The methods the path accepts, for 405 (sent as `Allow`).
    public let allow: String?

    /// Makes an error.
    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, retryAfter: Int? = nil, allow: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.allow = allow
    }

    /// `status code: message`, for logs.
    public var description: String { "\(status.code) \(code): \(message)" }

    /// The JSON body, the wire contract's `ErrorResponse`: `{"error":{"code":"…","message":"…"}}`.
    var body: String { ErrorResponse(code: code, message: message).jsonText }

    /// The JSON error response, with `Retry-After` when set.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if let allow { headers[.allow] = allow }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

extension APIError {
    static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code, message) }

    static let busy = APIError(.serviceUnavailable, "busy", "The bank is busy checking other requests just now and did not start on this one; nothing was changed. Please try again in a few seconds.", retryAfter: 2)

    static let notReady = APIError(.serviceUnavailable, "not_ready", "The service is still loading the bank; try again in a few seconds.", retryAfter: 2)

    /// The 400 for a body that breaks the contract's field rules (`unknown_field`, `invalid_field`,
    /// `unknown_algorithm`, `invalid_hash`).
    init(_ error: WireFieldError) {
        self.init(.badRequest, error.code.rawValue, error.message)
    }

    /// The answer for a store error: the client's fault (404/409) or the service's (503).
    ///
    /// Exhaustive over `BankError.Code`, so a new store failure gets its answer decided here, not a default.
    static func from(_ error: BankError) -> APIError {
        switch error.code {
        case .caseNotFound, .matchRefNotFound:
            APIError(.notFound, error.code.rawValue, error.message)
        case .caseWithdrawn, .hashWithdrawn:
            APIError(.conflict, error.code.rawValue, error.message)
        case .databaseUnavailable:
            APIError(.serviceUnavailable, "database_unavailable", "The bank's database is not reachable just now, so this change was not made; matching still works. Try again in a few seconds.", retryAfter: 2)
        case .databaseCommitUnknown:
            APIError(.serviceUnavailable, "database_unavailable", "The bank's database stopped answering while this change was being saved, so it may or may not have been made; matching still works. In a few seconds, check whether it was made before repeating it (repeating a withdrawal is always safe).", retryAfter: 2)
        case .storeUnavailable, .storeFailed, .storeCorrupt, .storeEmpty, .storeNotABank, .storePermissions, .storeLocked,
             .storeTooNew, .invalidDatabaseURL, .exportFailed, .importUnreadable, .importInvalid, .importTooNew,
             .platformExists, .platformNotFound, .bankNotFound, .bankExists, .bankInUse, .bankInvalid, .distanceTooWide,
             .exchangeNotFound, .exchangeExists:
            // Failures of the service's own storage, and those of operator tools (platforms, export, import) that
            // no endpoint reaches: the client learns only that nothing was changed.
            APIError(.serviceUnavailable, "store_unavailable", "The bank could not complete the request and changed nothing; try again shortly.", retryAfter: 5)
        }
    }
}
