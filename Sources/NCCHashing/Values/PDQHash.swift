import NCCHashCore

/// A 256-bit PDQ hash, stored as four big-endian 64-bit words.
///
/// `words.0` holds the first 16 hex characters of the text form (the reference's bits 255...192),
/// so the text form round-trips exactly and Hamming distance is a popcount of the XOR of the words.
public struct PDQHash: Sendable, Hashable, Codable, CustomStringConvertible, LosslessStringConvertible {
    /// The four 64-bit words, most significant first.
    public var words: (UInt64, UInt64, UInt64, UInt64)

    /// Makes a hash from four words, most significant first.
    public init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    /// Reads the 64-character hex text form (upper or lower case).
    public init(hex: some StringProtocol) throws(HashParsingError) {
        let w = try HexCodec.words(hex, wordCount: 4, algorithm: .pdq)
        words = (w[0], w[1], w[2], w[3])
    }

    /// Reads the hex text form; nil when it is not 64 hex characters.
    public init?(_ description: String) {
        guard let hash = try? PDQHash(hex: description) else { return nil }
        self = hash
    }

    /// Reference bit `index` (0...255), where bit 0 is the least significant bit of the last word.
    public func bit(_ index: Int) -> Bool {
        precondition((0..<256).contains(index), "PDQ bit index out of range")
        let word: UInt64
        switch index >> 6 {
        case 0: word = words.3
        case 1: word = words.2
        case 2: word = words.1
        default: word = words.0
        }
        return (word >> UInt64(index & 63)) & 1 == 1
    }

    /// The 64 lowercase hex characters.
    public var hex: String { HexCodec.encode(words: [words.0, words.1, words.2, words.3]) }

    public var description: String { hex }

    /// Number of differing bits (0...256).
    public func distance(to other: PDQHash) -> Int {
        (words.0 ^ other.words.0).nonzeroBitCount + (words.1 ^ other.words.1).nonzeroBitCount
            + (words.2 ^ other.words.2).nonzeroBitCount + (words.3 ^ other.words.3).nonzeroBitCount
    }

    public static func == (lhs: PDQHash, rhs: PDQHash) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0); hasher.combine(words.1); hasher.combine(words.2); hasher.combine(words.3)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try PDQHash(hex: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
