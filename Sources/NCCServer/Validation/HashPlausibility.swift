import NCCHashing

/// Which hash values a real picture can produce: the server never sees pictures, so it cannot recompute a
/// hash or its quality, but it can refuse values that no real picture gives and that would match innocent
/// pictures (a flat grey picture hashes to all zeros under pHash and dHash).
///
/// The rule, measured on `../shared/corpus` (docs/service.md, "Hashes the bank refuses"):
/// - PDQ sets a bit where a coefficient exceeds the median of 256, so a hash has at most 128 bits set, and
///   exactly 128 unless coefficients tie (flat pictures). Every PDQ of the 87 corpus pictures of quality 50 or
///   more, with all their rotations, mirrors and companions, has 128; those under 50 go down to 67. Fewer than
///   `pdqMinBits` or more than `pdqMaxBits`, or four equal 64-bit words, is refused.
/// - pHash thresholds 64 coefficients at their median: at most 32 bits (exactly 32 on every corpus picture of
///   quality 50 or more; down to 6 on flat ones). Refused outside `phashMinBits...phashMaxBits`.
/// - dHash compares neighbours: 8 to 61 bits on the same pictures; refused outside `dhashMinBits...dhashMaxBits`
///   (a flat picture gives 0).
/// - MD5 and SHA-256 are exact digests of a file: any value is possible; they are taken as they are.
enum HashPlausibility {
    static let pdqMinBits = 96
    static let pdqMaxBits = 128
    static let phashMinBits = 16
    static let phashMaxBits = 32
    static let dhashMinBits = 2
    static let dhashMaxBits = 62

    /// Why `bytes` cannot come from a real picture, or nil when it can.
    static func problem(_ algorithm: HashAlgorithm, _ bytes: [UInt8]) -> String? {
        let bits = bytes.reduce(0) { $0 + $1.nonzeroBitCount }
        switch algorithm {
        case .pdq:
            let words = HashText.words(bytes)
            if words.allSatisfy({ $0 == words[0] }) {
                return "This PDQ hash repeats one pattern four times, which no real picture gives, so it was not added."
            }
            if bits < pdqMinBits || bits > pdqMaxBits {
                return "This PDQ hash has \(bits) of 256 bits set; a real picture gives between \(pdqMinBits) and \(pdqMaxBits), so it was not added."
            }
        case .phash, .dhash:
            let range = algorithm == .phash ? phashMinBits...phashMaxBits : dhashMinBits...dhashMaxBits
            if !range.contains(bits) {
                return "This \(algorithm.rawValue) hash has \(bits) of 64 bits set; a real, detailed picture gives between \(range.lowerBound) and \(range.upperBound), and hashes outside that match many innocent pictures, so it was not added."
            }
        case .md5, .sha256:
            break
        }
        return nil
    }
}
