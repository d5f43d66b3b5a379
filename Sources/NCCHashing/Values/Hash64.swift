import NCCHashCore

/// A 64-bit perceptual hash (pHash or dHash) with the text form of Python `imagehash`.
///
/// The first hex character holds the first four bits of imagehash's row-major bit array,
/// so `Hash64(hex: str(imagehash.phash(img)))` round-trips exactly.
public struct Hash64: Sendable, Hashable, Codable, CustomStringConvertible, LosslessStringConvertible {
    /// The 64 bits; the most significant bit is the first bit of imagehash's array.
    public var value: UInt64

    /// Makes a hash from its 64 bits.
    public init(_ value: UInt64) { self.value = value }

    /// Reads the 16-character hex text form (upper or lower case).
    public init(hex: some StringProtocol, algorithm: HashAlgorithm = .phash) throws(HashParsingError) {
        value = try HexCodec.words(hex, wordCount: 1, algorithm: algorithm)[0]
    }

    /// Reads the hex text form; nil when it is not 16 hex characters.
    public init?(_ description: String) {
        guard let hash = try? Hash64(hex: description) else { return nil }
        self = hash
    }

    /// The 16 lowercase hex characters.
    public var hex: String { HexCodec.encode(words: CollectionOfOne(value)) }

    public var description: String { hex }

    /// Number of differing bits (0...64).
    public func distance(to other: Hash64) -> Int { (value ^ other.value).nonzeroBitCount }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try Hash64(hex: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
