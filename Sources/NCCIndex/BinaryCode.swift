import NCCHashing

/// A fixed-length binary code the index can search by Hamming distance.
///
/// `PDQHash` (256 bits) and `Hash64` (pHash, dHash: 64 bits) conform. The index stores a code as
/// `wordCount` 64-bit words, most significant first, exactly as the hash value types hold them.
public protocol BinaryCode: Sendable, Hashable {
    /// Number of 64-bit words in a code: 4 for PDQ, 1 for the 64-bit hashes.
    static var wordCount: Int { get }
    /// The default match distance (inclusive) for this kind of code.
    static var defaultMaxDistance: Int { get }
    /// The code's words, most significant first.
    var codeWords: [UInt64] { get }
    /// Makes a code from its words, most significant first (`words.count == wordCount`).
    init(codeWords words: some Collection<UInt64>)
}

extension BinaryCode {
    /// Number of bits in a code (256 or 64).
    public static var bitCount: Int { wordCount * 64 }
}

extension PDQHash: BinaryCode {
    public static var wordCount: Int { 4 }
    public static var defaultMaxDistance: Int { HashAlgorithm.pdq.defaultMaxDistance }
    public var codeWords: [UInt64] { [words.0, words.1, words.2, words.3] }
    public init(codeWords words: some Collection<UInt64>) {
        let w = Array(words)
        precondition(w.count == 4, "a PDQ code has 4 words")
        self.init(words: (w[0], w[1], w[2], w[3]))
    }
}

extension Hash64: BinaryCode {
    public static var wordCount: Int { 1 }
    public static var defaultMaxDistance: Int { HashAlgorithm.phash.defaultMaxDistance }
    public var codeWords: [UInt64] { [value] }
    public init(codeWords words: some Collection<UInt64>) {
        precondition(words.count == 1, "a 64-bit code has 1 word")
        self.init(words.first!)
    }
}

/// One entry found by a search.
public struct IndexMatch: Sendable, Hashable, Codable {
    /// The entry's id, as given to the index.
    public let id: UInt64
    /// Hamming distance between the query and the entry, in bits.
    public let distance: Int

    /// A match of entry `id` at `distance` bits.
    public init(id: UInt64, distance: Int) {
        self.id = id
        self.distance = distance
    }
}

extension IndexMatch: Comparable {
    /// The one order of search results: closer first, then the smaller id (so equal distances come out in
    /// bank order and every run gives the same list).
    public static func < (a: IndexMatch, b: IndexMatch) -> Bool {
        a.distance < b.distance || (a.distance == b.distance && a.id < b.id)
    }
}

/// How the index answers a query at a given distance.
public enum SearchStrategy: Sendable, Hashable, CustomStringConvertible {
    /// Every code is compared with the SIMD scan kernel.
    case flat
    /// Multi-index hashing over `substrings` tables; `probes` buckets are read per query.
    case multiIndex(substrings: Int, probes: Int)

    public var description: String {
        switch self {
        case .flat: "flat"
        case let .multiIndex(substrings, probes): "multi-index(\(substrings) substrings, \(probes) probes)"
        }
    }
}

/// Why an index operation failed.
public struct IndexError: Error, Sendable, CustomStringConvertible {
    /// Stable codes; their `rawValue`s appear in error output.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The snapshot file could not be created or written (disk full, permissions).
        case snapshotUnwritable = "snapshot_unwritable"
        /// The snapshot file could not be opened, sized or mapped.
        case snapshotUnreadable = "snapshot_unreadable"
        /// The file is not an nccmatch index snapshot.
        case snapshotForeign = "snapshot_foreign"
        /// The snapshot is shorter than its header says: it was cut short.
        case snapshotTruncated = "snapshot_truncated"
        /// A checksum or a header value does not hold: the snapshot was damaged.
        case snapshotDamaged = "snapshot_damaged"
        /// The snapshot was written by a newer format version.
        case snapshotUnsupportedVersion = "snapshot_unsupported_version"
        /// The snapshot holds codes of another size (PDQ against 64-bit hashes).
        case snapshotWrongCodeType = "snapshot_wrong_code_type"
    }

    /// The stable code.
    public let code: Code
    /// What went wrong and what to do about it.
    public let message: String
    /// The underlying error, if any (for example the system error of a failed read).
    public let underlying: (any Error & Sendable)?

    /// An error with its stable code, message and cause.
    public init(code: Code, message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// `code: message (cause)`, for logs and test output.
    public var description: String {
        if let underlying { return "\(code.rawValue): \(message) (\(underlying))" }
        return "\(code.rawValue): \(message)"
    }
}
