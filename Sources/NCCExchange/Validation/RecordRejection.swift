/// Why one record of a page was skipped. Never carries the record's values: a hash is sensitive and a
/// malformed one is still somebody's.
public struct RecordRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable codes; their `rawValue`s are a public contract (metrics labels, `exchange fetch` output).
    public enum Code: String, Sendable, Hashable, CaseIterable, Codable {
        /// The hash has the wrong number of characters for its kind (a 32-character PDQ).
        case hashWrongLength = "hash_wrong_length"
        /// The hash has a character that is not a hex digit.
        case hashNotHex = "hash_not_hex"
        /// A hash without a fixed form is empty, too long or has characters outside printable ASCII.
        case hashUnreadable = "hash_unreadable"
        /// The status is not one of Received, Active, Withdrawn, Deleted.
        case unknownStatus = "unknown_status"
        /// The signal type is missing, not text, or one this exchange does not send.
        case unknownSignalType = "unknown_signal_type"
        /// A required field is missing.
        case missingField = "missing_field"
        /// A field has the wrong JSON or XML type (text where a number belongs, ...).
        case wrongType = "wrong_type"
        /// A field is longer than any real record's (case numbers, tags, ids): bounded, never stored.
        case fieldTooLarge = "field_too_large"
        /// A line of a file or CSV that is not `signal_type hash` / not the header's columns.
        case malformedLine = "malformed_line"
    }

    /// The stable code.
    public var code: Code
    /// The field at fault (`hashValue`, `hashStatus`, ...), never its value.
    public var field: String

    /// Makes a rejection.
    public init(_ code: Code, field: String) {
        self.code = code
        self.field = field
    }

    /// `code (field)`, safe for logs.
    public var description: String { "\(code.rawValue) (\(field))" }
}

/// How many records of a page (or a whole fetch) were skipped, by code. Safe to log: counts only.
public struct RejectionTally: Sendable, Hashable, Codable {
    /// Skipped records by code.
    public private(set) var counts: [RecordRejection.Code: Int] = [:]

    /// An empty tally.
    public init() {}

    /// Total skipped.
    public var total: Int { counts.values.reduce(0, +) }

    /// Counts one rejection.
    public mutating func add(_ rejection: RecordRejection) { counts[rejection.code, default: 0] += 1 }

    /// Adds another tally's counts.
    public mutating func merge(_ other: RejectionTally) {
        for (code, count) in other.counts { counts[code, default: 0] += count }
    }
}
