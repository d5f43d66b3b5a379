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
    /// What each PDQ code is of (`MatchingPolicy.queryPDQKinds`' names, `pdq` for the upload as it is), one a
    /// code; a remote match sends them as the items' `kind`, which decides what each code is compared with.
    public var pdqKinds: [String]
    /// The pHash, when known.
    public var phash: UInt64?
    /// The dHash, when known.
    public var dhash: UInt64?

    /// Makes a value from its parts; PDQ codes without kinds are each the upload as it is (`pdq`).
    public init(pdq: [UInt64] = [], pdqKinds: [String]? = nil, phash: UInt64? = nil, dhash: UInt64? = nil) {
        self.pdq = pdq
        self.pdqKinds = pdqKinds ?? Array(repeating: "pdq", count: pdq.count / 4)
        self.phash = phash
        self.dhash = dhash
    }

    /// The codes of a picture hashed now, as `policy` has a query send them.
    public init(_ hashes: ImageHashes, policy: MatchingPolicy = .standard, dihedral: Bool) {
        self.init(policy.queryPDQKinds(PDQCompanions(hashes), dihedral: dihedral), phash: hashes.phash.value, dhash: hashes.dhash.value)
    }

    /// The codes of a query's PDQ hashes with their kinds, and its pHash and dHash.
    public init(_ pdq: [KindedPDQ], phash: UInt64?, dhash: UInt64?) {
        self.init(pdq: Self.words(pdq.map(\.hash)), pdqKinds: pdq.map(\.kind), phash: phash, dhash: dhash)
    }

    /// The codes matched for `algorithm`, as flat words: every PDQ code, or the one pHash or dHash.
    public func words(for algorithm: HashListAlgorithm) -> [UInt64] {
        switch algorithm {
        case .pdq: pdq
        case .phash: phash.map { [$0] } ?? []
        case .dhash: dhash.map { [$0] } ?? []
        }
    }

    /// The codes compared with a hash list's entries, each a picture's own hash (a list holds no companions), as
    /// the service compares a query with imported hashes: for PDQ the codes whose kind reaches a picture's own
    /// hash (`MatchingPolicy.reach(ofSentKind:)`: not the masked and low-passed forms), else the pHash or dHash.
    public func wordsAgainstOwnHashes(for algorithm: HashListAlgorithm) -> [UInt64] {
        guard algorithm == .pdq, pdqKinds.contains(where: { !MatchingPolicy.reach(ofSentKind: $0).own }) else { return words(for: algorithm) }
        var kept: [UInt64] = []
        for (k, kind) in pdqKinds.enumerated() where MatchingPolicy.reach(ofSentKind: kind).own && 4 * k + 4 <= pdq.count {
            kept += pdq[(4 * k)..<(4 * k + 4)]
        }
        return kept
    }

    /// PDQ hashes as flat words, 4 a hash.
    static func words(_ hashes: [PDQHash]) -> [UInt64] {
        var words: [UInt64] = []
        words.reserveCapacity(hashes.count * 4)
        for hash in hashes { words += [hash.words.0, hash.words.1, hash.words.2, hash.words.3] }
        return words
    }
}
