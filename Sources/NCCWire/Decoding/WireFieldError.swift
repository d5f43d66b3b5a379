/// A request body that is valid JSON but not what the contract allows: the bank answers it with HTTP 400
/// and `{"error": {"code", "message"}}`, `code` being `code.rawValue`.
///
/// Messages name the field (`items[3].value`) and say how to fix it; they never echo a hash value.
public struct WireFieldError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which rule was broken; its raw value is the stable error code on the wire.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A field the endpoint does not know.
        case unknownField = "unknown_field"
        /// A field with an explicit `null`, the wrong type or a value out of range.
        case invalidField = "invalid_field"
        /// An algorithm name the bank does not know.
        case unknownAlgorithm = "unknown_algorithm"
        /// A hash of the wrong length or with characters other than hex digits.
        case invalidHash = "invalid_hash"
    }

    /// Which rule was broken.
    public let code: Code
    /// What is wrong and how to fix it.
    public let message: String

    /// Makes an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
