/// Why a hash's text form could not be read.
public struct HashParsingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable machine-readable code, such as `hash_wrong_length` or `hash_not_hex`.
    public let code: String
    /// A message that says what was wrong and how to fix it; never contains the hash itself.
    public let message: String

    /// The text had the wrong number of characters.
    public static func wrongLength(expected: Int, found: Int, algorithm: HashAlgorithm) -> HashParsingError {
        HashParsingError(
            code: "hash_wrong_length",
            message: "A \(algorithm.rawValue) hash has \(expected) hex characters, this one has \(found)."
        )
    }

    /// The text had a character that is not a hex digit.
    public static func notHex(position: Int, algorithm: HashAlgorithm) -> HashParsingError {
        HashParsingError(
            code: "hash_not_hex",
            message: "A \(algorithm.rawValue) hash is written with the hex digits 0-9 and a-f only; character \(position) is not one."
        )
    }

    public var description: String { "\(code): \(message)" }
}

/// Reads hex text into big-endian 64-bit words (the first hex character is the most significant).
@usableFromInline
func parseHexWords(_ text: some StringProtocol, wordCount: Int, algorithm: HashAlgorithm) throws(HashParsingError) -> [UInt64] {
    let utf8 = Array(text.utf8)
    guard utf8.count == wordCount * 16 else {
        throw .wrongLength(expected: wordCount * 16, found: utf8.count, algorithm: algorithm)
    }
    var words = [UInt64](repeating: 0, count: wordCount)
    for (index, byte) in utf8.enumerated() {
        let nibble: UInt64
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt64(byte &- UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt64(byte &- UInt8(ascii: "a") &+ 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = UInt64(byte &- UInt8(ascii: "A") &+ 10)
        default: throw .notHex(position: index + 1, algorithm: algorithm)
        }
        words[index / 16] = (words[index / 16] << 4) | nibble
    }
    return words
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// Writes big-endian 64-bit words as lowercase hex, 16 characters a word.
@usableFromInline
func hexString(words: some Sequence<UInt64>) -> String {
    var bytes: [UInt8] = []
    for word in words {
        for shift in stride(from: 60, through: 0, by: -4) {
            bytes.append(hexDigits[Int((word >> UInt64(shift)) & 0xF)])
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}
