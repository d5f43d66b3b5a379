/// A failure of the bank's storage or of a request against it, with a stable code.
public struct BankError: Error, Sendable, CustomStringConvertible {
    /// Stable, machine-readable code, e.g. `case_not_found`, `platform_exists`, `store_unavailable`.
    ///
    /// Refusals to open a SQLite bank (see `SQLiteBankStore.openForServing`): `store_empty` (a 0-byte
    /// `bank.sqlite`), `store_corrupt` (a damaged file or damaged rows), `store_not_a_bank` (another
    /// database, or not a regular file), `store_permissions` (the directory cannot be made private),
    /// `store_locked` (another `serve` holds the directory), `store_too_new`.
    public let code: String
    /// What happened and what to do about it, in plain words.
    public let message: String
    /// The underlying error (database, file system), when there is one.
    public let underlying: (any Error & Sendable)?

    /// Makes an error.
    public init(code: String, message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// `code: message (underlying)`, for logs and the operator.
    public var description: String {
        if let underlying { return "\(code): \(message) (\(underlying))" }
        return "\(code): \(message)"
    }
}
