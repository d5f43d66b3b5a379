/// The project's one hex codec: lowercase on output, either case on input, big-endian within a word
/// (the first hex character is the most significant nibble).
///
/// Foundation-free so that the WebAssembly build of the hashing core, the wire contract and the
/// stores all read and write hex the same way.
public enum HexCodec {
    /// Lowercase hex digits by nibble value.
    @usableFromInline
    static let digits: StaticString = "0123456789abcdef"

    /// The value of one hex digit (`0-9`, `a-f`, `A-F`), or nil for any other byte.
    @inlinable
    public static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte &- UInt8(ascii: "A") &+ 10
        default: return nil
        }
    }

    /// Bytes as lowercase hex, two characters a byte.
    public static func encode(bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        digits.withUTF8Buffer { table in
            for byte in bytes {
                out.append(table[Int(byte >> 4)])
                out.append(table[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// 64-bit words as lowercase hex, 16 characters a word, most significant nibble first.
    public static func encode(words: some Sequence<UInt64>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(words.underestimatedCount * 16)
        digits.withUTF8Buffer { table in
            for word in words {
                var shift: UInt64 = 60
                while true {
                    out.append(table[Int((word >> shift) & 0xF)])
                    if shift == 0 { break }
                    shift -= 4
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Where hex text could not be read.
    public enum Failure: Error, Equatable, Sendable {
        /// The text had `found` characters where `expected` were needed.
        case wrongLength(expected: Int, found: Int)
        /// The character at `position` (1-based) is not a hex digit.
        case notHex(position: Int)
    }

    /// Reads exactly `wordCount * 16` hex characters into big-endian 64-bit words.
    ///
    /// - Returns: the words, or the first problem found (length first, then the first non-hex character).
    public static func decodeWords(utf8 text: some Collection<UInt8>, wordCount: Int) -> Result<[UInt64], Failure> {
        guard text.count == wordCount * 16 else {
            return .failure(.wrongLength(expected: wordCount * 16, found: text.count))
        }
        var words = [UInt64](repeating: 0, count: wordCount)
        var index = 0
        for byte in text {
            guard let value = nibble(byte) else { return .failure(.notHex(position: index + 1)) }
            words[index / 16] = (words[index / 16] << 4) | UInt64(value)
            index += 1
        }
        return .success(words)
    }

    /// Appends the `wordCount` big-endian 64-bit words written in exactly `wordCount * 16` hex characters:
    /// the bulk path of hash-list readers, which decode millions of hashes straight from a file's bytes.
    ///
    /// - Returns: false, with nothing appended, when `text` is not exactly that many hex characters (ask
    ///   `decodeWords(utf8:wordCount:)` for which problem it is).
    @inlinable
    public static func appendWords(utf8 text: UnsafeBufferPointer<UInt8>, wordCount: Int, to words: inout [UInt64]) -> Bool {
        guard text.count == wordCount &* 16 else { return false }
        let start = words.count
        var position = 0
        for _ in 0..<wordCount {
            var word: UInt64 = 0
            for _ in 0..<16 {
                guard let value = nibble(text[position]) else {
                    words.removeSubrange(start...)
                    return false
                }
                word = word << 4 | UInt64(value)
                position &+= 1
            }
            words.append(word)
        }
        return true
    }

    /// Reads an even number of hex characters into bytes.
    ///
    /// - Returns: the bytes, or the first problem found (an odd length, then the first non-hex character).
    public static func decodeBytes(utf8 text: some Collection<UInt8>) -> Result<[UInt8], Failure> {
        guard text.count % 2 == 0 else {
            return .failure(.wrongLength(expected: text.count + 1, found: text.count))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 2)
        var high: UInt8 = 0
        var index = 0
        for byte in text {
            guard let value = nibble(byte) else { return .failure(.notHex(position: index + 1)) }
            if index % 2 == 0 { high = value } else { bytes.append(high << 4 | value) }
            index += 1
        }
        return .success(bytes)
    }
}
