import NCCHashing

/// Which hash values a real picture can produce: the server never sees pictures, so it cannot recompute a
/// hash or its quality, but it can refuse values that no real picture gives and that would match innocent
/// pictures (a flat grey picture hashes to all zeros under pHash and dHash).
///
/// The rule, measured on `../shared/corpus` (docs/service.md, "Hashes the bank refuses"):
/// - PDQ sets a bit where a coefficient exceeds the median of 256, so a real hash has close to 128 bits set;
///   fewer than `pdqMinBits` or more than `pdqMaxBits`, or four equal 64-bit words, is refused.
/// - pHash thresholds 64 coefficients at their median (about 32 bits set); dHash compares neighbours.
///   Either is refused when it has fewer than `hash64MinBits` or more than `hash64MaxBits` bits set.
/// - MD5 and SHA-256 are exact digests of a file: any value is possible; they are taken as they are.
enum HashPlausibility {
    static let pdqMinBits = 96
    static let pdqMaxBits = 160
    static let hash64MinBits = 4
    static let hash64MaxBits = 60

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
            if bits < hash64MinBits || bits > hash64MaxBits {
                return "This \(algorithm.rawValue) hash has \(bits) of 64 bits set, as a plain, flat picture gives; it would match many innocent pictures, so it was not added."
            }
        case .md5, .sha256:
            break
        }
        return nil
    }
}
