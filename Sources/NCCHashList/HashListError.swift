/// Why a hash list could not be read at all. Malformed lines are not errors: they are `HashListProblem`s,
/// skipped while the other lines are read.
public struct HashListError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable codes; their `rawValue`s appear in error output.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The file could not be opened or read.
        case unreadable = "hash_list_unreadable"
    }

    /// The stable code.
    public let code: Code
    /// What went wrong and how to fix it, without the file's name (the caller names it, escaped as its
    /// output needs) and without any of its content.
    public let message: String

    /// The error for a list that cannot be read, with the system's reason.
    static func unreadable(reason: String) -> HashListError {
        HashListError(code: .unreadable, message: "cannot be read (\(reason)); check the path and permissions.")
    }

    /// `code: message`, for logs and test output.
    public var description: String { "\(code.rawValue): \(message)" }
}

/// A malformed line of a hash list, which was skipped: where it is and what is wrong.
public struct HashListProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable codes for what is wrong with a line.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// Not valid JSON, or not a JSON object.
        case malformedJSON = "malformed_json"
        /// A value has a type other than the one `nccmatch hash` writes (a number where a hash string belongs).
        case wrongType = "wrong_type"
        /// The line has no hash of the algorithm being matched.
        case missingHash = "missing_hash"
        /// The line records a file that could not be hashed (it has an error, not a hash).
        case unhashedRecord = "unhashed_record"
        /// A hash is not hex of the algorithm's length.
        case invalidHash = "invalid_hash"
        /// A PDQ hash whose quality is below the bank's floor (`MatchingPolicy.minimumQuality`).
        case lowQuality = "low_quality"
        /// A CSV record has a different number of fields than its header.
        case wrongFieldCount = "wrong_field_count"
    }

    /// The stable code.
    public let code: Code
    /// The line (or, for CSV, the line the record starts on), counted from 1.
    public let line: Int
    /// What is wrong and how to fix it; quotes no hash or other content of the line.
    public let message: String

    /// Makes a problem from its parts.
    public init(code: Code, line: Int, message: String) {
        self.code = code
        self.line = line
        self.message = message
    }

    /// `line N: message`.
    public var description: String { "line \(line): \(message)" }
}

/// What is wrong with one line, before the line number is known.
struct LineProblem: Error {
    var code: HashListProblem.Code
    var message: String

    init(_ code: HashListProblem.Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
