import Foundation
import Hummingbird
import NCCBank

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

    /// The JSON body.
    var body: String {
        "{\"error\":{\"code\":\(JSONText.quote(code)),\"message\":\(JSONText.quote(message))}}"
    }

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

    /// The answer for a store error: the client's fault (404/409) or the service's (503).
    static func from(_ error: BankError) -> APIError {
        switch error.code {
        case "case_not_found": APIError(.notFound, error.code, error.message)
        case "case_withdrawn": APIError(.conflict, error.code, error.message)
        case "match_ref_not_found": APIError(.notFound, error.code, error.message)
        case "database_unavailable": APIError(.serviceUnavailable, "database_unavailable", "The bank's database is not reachable just now, so this change was not made; matching still works. Try again in a few seconds.", retryAfter: 2)
        case "database_commit_unknown": APIError(.serviceUnavailable, "database_unavailable", "The bank's database stopped answering while this change was being saved, so it may or may not have been made; matching still works. In a few seconds, check whether it was made before repeating it (repeating a withdrawal is always safe).", retryAfter: 2)
        default: APIError(.serviceUnavailable, "store_unavailable", "The bank could not complete the request and changed nothing; try again shortly.", retryAfter: 5)
        }
    }
}

/// Minimal JSON text helpers for hand-written bodies (the server's and the CLI's JSON lines).
public enum JSONText {
    /// A JSON string literal with the escapes RFC 8259 requires.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20: out += String(format: "\\u%04x", c.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
