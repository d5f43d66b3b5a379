/// A failure of the bank's storage or of a request against it, with a typed code.
public struct BankError: Error, Sendable, CustomStringConvertible {
    /// Which failure this is: a closed set, so a caller's `switch` over it is exhaustive and a new code
    /// cannot slip past the mapping to an HTTP status or an exit status.
    public enum Code: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// No case has this id.
        case caseNotFound = "case_not_found"
        /// The case was withdrawn, so it takes no changes (and needs no feedback).
        case caseWithdrawn = "case_withdrawn"
        /// The match reference is not one this platform received.
        case matchRefNotFound = "match_ref_not_found"
        /// A platform with this name exists already.
        case platformExists = "platform_exists"
        /// No platform has this name.
        case platformNotFound = "platform_not_found"
        /// The store cannot be opened or reached (folder, file or permissions).
        case storeUnavailable = "store_unavailable"
        /// The store refused or failed an operation; nothing was changed.
        case storeFailed = "store_failed"
        /// The bank's file or rows are damaged.
        case storeCorrupt = "store_corrupt"
        /// `bank.sqlite` is 0 bytes long.
        case storeEmpty = "store_empty"
        /// The file is another database, or not a regular file.
        case storeNotABank = "store_not_a_bank"
        /// The data directory cannot be made private.
        case storePermissions = "store_permissions"
        /// Another `serve` holds the data directory.
        case storeLocked = "store_locked"
        /// The bank was written by a newer nccmatch.
        case storeTooNew = "store_too_new"
        /// The bank's database server did not answer in time, or cannot be reached.
        case databaseUnavailable = "database_unavailable"
        /// The database stopped answering while a change was being committed: it may or may not be made.
        case databaseCommitUnknown = "database_commit_unknown"
        /// The `postgres://` URL cannot be used.
        case invalidDatabaseURL = "invalid_database_url"
        /// An export file cannot be written.
        case exportFailed = "export_failed"
        /// An import file cannot be read.
        case importUnreadable = "import_unreadable"
        /// An import file is not a complete, unchanged export.
        case importInvalid = "import_invalid"
        /// An import file was written by a newer nccmatch.
        case importTooNew = "import_too_new"
        /// No bank has this name.
        case bankNotFound = "bank_not_found"
        /// A bank with this name exists already.
        case bankExists = "bank_exists"
        /// The bank cannot be removed: an exchange fills it, or it is the operator's own bank.
        case bankInUse = "bank_in_use"
        /// A bank's or an exchange's settings are not usable (name, endpoint, interval).
        case bankInvalid = "bank_invalid"
        /// A bank's match distance is wider than the signal's safe default without the operator's override.
        case distanceTooWide = "distance_too_wide"
        /// No exchange has this name.
        case exchangeNotFound = "exchange_not_found"
        /// An exchange with this name exists already.
        case exchangeExists = "exchange_exists"
        /// The matched hash was withdrawn or deleted by its exchange since the match: no feedback is needed.
        case hashWithdrawn = "hash_withdrawn"

        /// The stable text of the code (`case_not_found`), as logs and API answers show it.
        public var description: String { rawValue }

        /// Whether the bank's database server is away (unreachable, or silent during a commit): a replica
        /// keeps matching from memory meanwhile.
        public var isDatabaseAway: Bool {
            switch self {
            case .databaseUnavailable, .databaseCommitUnknown: true
            case .caseNotFound, .caseWithdrawn, .matchRefNotFound, .platformExists, .platformNotFound,
                 .storeUnavailable, .storeFailed, .storeCorrupt, .storeEmpty, .storeNotABank, .storePermissions,
                 .storeLocked, .storeTooNew, .invalidDatabaseURL, .exportFailed, .importUnreadable, .importInvalid,
                 .importTooNew, .bankNotFound, .bankExists, .bankInUse, .bankInvalid, .distanceTooWide, .exchangeNotFound,
                 .exchangeExists, .hashWithdrawn: false
            }
        }

        /// Whether the failure is the service's own (its store or database), not the caller's request: the
        /// service logs these for its operator.
        public var isStoreFault: Bool {
            switch self {
            case .storeUnavailable, .storeFailed, .storeCorrupt, .storeEmpty, .storeNotABank, .storePermissions,
                 .storeLocked, .storeTooNew, .databaseUnavailable, .databaseCommitUnknown: true
            case .caseNotFound, .caseWithdrawn, .matchRefNotFound, .platformExists, .platformNotFound,
                 .invalidDatabaseURL, .exportFailed, .importUnreadable, .importInvalid, .importTooNew, .bankNotFound,
                 .bankExists, .bankInUse, .bankInvalid, .distanceTooWide, .exchangeNotFound, .exchangeExists,
                 .hashWithdrawn: false
            }
        }
    }

    /// Which failure this is.
    public let code: Code
    /// What happened and what to do about it, in plain words.
    public let message: String
    /// The underlying error (database, file system), when there is one.
    public let underlying: (any Error & Sendable)?

    /// Makes an error.
    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
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
