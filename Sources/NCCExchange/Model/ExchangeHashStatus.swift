/// Where a hash stands upstream, in StopNCII's words (`hashStatus`, and per case in `caseNumbers`).
public enum ExchangeHashStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// The hash arrived; StopNCII's first state.
    case received = "Received"
    /// The hash is in force.
    case active = "Active"
    /// The person withdrew it: it must stop matching at once.
    case withdrawn = "Withdrawn"
    /// The exchange deleted it: it must stop matching at once.
    case deleted = "Deleted"

    /// Whether a record in this state removes its hash instead of storing it.
    public var removesHash: Bool { self == .withdrawn || self == .deleted }
}
