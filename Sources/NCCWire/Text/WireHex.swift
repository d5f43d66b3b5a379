import NCCHashCore

/// Hash values as the wire writes them: lowercase hex, big-endian, `algorithm.hexLength` characters
/// (either case is read). Written and read through the project's one hex codec, `HexCodec`.
public enum WireHex {
    /// 64-bit words as hex, 16 characters a word, most significant first (a PDQ hash is 4 words).
    public static func text(words: some Sequence<UInt64>) -> String {
        HexCodec.encode(words: words)
    }

    /// Bytes as hex, two characters a byte (an MD5 is 16 bytes).
    public static func text(bytes: some Sequence<UInt8>) -> String {
        HexCodec.encode(bytes: bytes)
    }

    /// The bytes of the hex value `text` of `algorithm`, or `invalid_hash` saying what is wrong with the
    /// field at `path` (its length, or a character that is not a hex digit; never the value itself).
    public static func bytes(_ text: String, algorithm: WireAlgorithm, at path: String) throws(WireFieldError) -> [UInt8] {
        let count = text.utf8.count
        guard count == algorithm.hexLength else {
            throw WireFieldError(.invalidHash, "\(path): a \(algorithm.rawValue) hash is \(algorithm.hexLength) hex characters; this one has \(count).")
        }
        switch HexCodec.decodeBytes(utf8: text.utf8) {
        case .success(let bytes): return bytes
        case .failure: throw WireFieldError(.invalidHash, "\(path): a hash is written with the characters 0-9 and a-f only.")
        }
    }
}
