/// A 256-bit PDQ hash as four 64-bit words, most significant first (`words.0` holds the first 16 hex
/// characters of the text form, the reference's bits 255...192).
public struct PDQWords: Sendable, Equatable {
    /// The four words, most significant first.
    public var words: (UInt64, UInt64, UInt64, UInt64)

    /// Makes a hash from four words, most significant first.
    public init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    /// The all-zero hash the reference gives pictures too small to hash.
    public static let zero = PDQWords(words: (0, 0, 0, 0))

    public static func == (lhs: PDQWords, rhs: PDQWords) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
    }
}

/// PDQ of one picture: the hash, its quality and, when asked, the eight DCT-domain dihedral hashes.
///
/// `hash` and `quality` equal `pdqhash.compute` for the same RGB pixels, `dihedral` equals
/// `pdqhash.compute_dihedral` (original, rotate90, rotate180, rotate270, flipX, flipY, flipPlus1, flipMinus1).
public struct PDQOutcome: Sendable, Equatable {
    /// The 256-bit hash of the picture as given.
    public var hash: PDQWords
    /// PDQ's quality, 0...100.
    ///
    /// - Warning: Below 50 the hash is not reliable; such hashes must not go into the bank.
    public var quality: Int
    /// The eight dihedral hashes from the same DCT, in the reference's order; empty when not asked for.
    public var dihedral: [PDQWords]

    /// Makes an outcome from its parts.
    public init(hash: PDQWords, quality: Int, dihedral: [PDQWords] = []) {
        self.hash = hash
        self.quality = quality
        self.dihedral = dihedral
    }
}
