import NCCHashing

/// The hashes that can be matched in a hash list: PDQ, pHash or dHash.
public enum HashListAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// PDQ: 256 bits, 4 words.
    case pdq
    /// pHash: 64 bits, 1 word.
    case phash
    /// dHash: 64 bits, 1 word.
    case dhash

    /// The algorithm in the hashing library's terms.
    public var hashAlgorithm: HashAlgorithm {
        switch self {
        case .pdq: .pdq
        case .phash: .phash
        case .dhash: .dhash
        }
    }

    /// 64-bit words per hash.
    public var wordCount: Int { hashAlgorithm.bitCount / 64 }
}

/// Every hash a query entry carries: its PDQ codes (in the order `MatchingPolicy.queryPDQ` gives them: the
/// plain one first), and its pHash and dHash when known. An image query and a hash-list line written by
/// `nccmatch hash --match-variants` give the same set, so a hash list matches exactly as the images it was
/// made from.
public struct QueryCodes: Sendable, Equatable {
    /// PDQ codes, 4 words each, most significant first; empty when the entry has no PDQ.
    public var pdq: [UInt64]
    /// The pHash, when known.
    public var phash: UInt64?
    /// The dHash, when known.
    public var dhash: UInt64?

    /// Makes a value from its parts.
    public init(pdq: [UInt64] = [], phash: UInt64? = nil, dhash: UInt64? = nil) {
        self.pdq = pdq
        self.phash = phash
        self.dhash = dhash
    }

    /// The codes of a picture hashed now, as `policy` has a query send them.
    public init(_ hashes: ImageHashes, policy: MatchingPolicy = .standard, dihedral: Bool) {
        self.init(pdq: Self.words(policy.queryPDQ(PDQCompanions(hashes), dihedral: dihedral)),
                  phash: hashes.phash.value, dhash: hashes.dhash.value)
    }

    /// The codes matched for `algorithm`, as flat words: every PDQ code, or the one pHash or dHash.
    public func words(for algorithm: HashListAlgorithm) -> [UInt64] {
        switch algorithm {
        case .pdq: pdq
        case .phash: phash.map { [$0] } ?? []
        case .dhash: dhash.map { [$0] } ?? []
        }
    }

    /// PDQ hashes as flat words, 4 a hash.
    static func words(_ hashes: [PDQHash]) -> [UInt64] {
        var words: [UInt64] = []
        words.reserveCapacity(hashes.count * 4)
        for hash in hashes { words += [hash.words.0, hash.words.1, hash.words.2, hash.words.3] }
        return words
    }
}
