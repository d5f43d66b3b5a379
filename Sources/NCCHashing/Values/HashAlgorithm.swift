/// The hash algorithms nccmatch computes and matches.
public enum HashAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    /// Meta's PDQ: 256 bits, 64 lowercase hex characters, matched by Hamming distance.
    case pdq
    /// DCT perceptual hash as Python `imagehash.phash` computes it: 64 bits, 16 hex characters.
    case phash
    /// Difference hash as Python `imagehash.dhash` computes it: 64 bits, 16 hex characters.
    case dhash
    /// MD5 of the file bytes: 128 bits, 32 hex characters, matched exactly.
    case md5
    /// SHA-256 of the file bytes: 256 bits, 64 hex characters, matched exactly.
    case sha256

    /// Number of bits in a hash of this algorithm.
    public var bitCount: Int {
        switch self {
        case .pdq, .sha256: 256
        case .phash, .dhash: 64
        case .md5: 128
        }
    }

    /// Number of hex characters in the text form of a hash of this algorithm.
    public var hexLength: Int { bitCount / 4 }

    /// The default match distance (inclusive): 31 for PDQ, 8 for pHash and dHash, 0 for digests.
    public var defaultMaxDistance: Int {
        switch self {
        case .pdq: 31
        case .phash, .dhash: 8
        case .md5, .sha256: 0
        }
    }
}
