/// The hash algorithms as the wire names them (`"algorithm": "pdq"`), with the length of their hex values.
///
/// The names and lengths are those of NCCHashing's `HashAlgorithm` (a test holds them equal), plus `vpdq`: a
/// whole video, whose value is its list of frames (`WireFrame`), each a PDQ hash. This module stays free of the
/// hashing library so that any client can speak the contract.
public enum WireAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    /// PDQ: 256 bits, 64 hex characters, with a quality score from 0 to 100.
    case pdq
    /// pHash: 64 bits, 16 hex characters.
    case phash
    /// dHash: 64 bits, 16 hex characters.
    case dhash
    /// MD5 of the file bytes: 128 bits, 32 hex characters.
    case md5
    /// SHA-256 of the file bytes: 256 bits, 64 hex characters.
    case sha256
    /// A video's vPDQ: its sampled frames (`frames`), each a PDQ hash of 64 hex characters with its quality.
    case vpdq

    /// Number of hex characters of a value of this algorithm (for `vpdq`, of each frame's PDQ).
    public var hexLength: Int {
        switch self {
        case .pdq, .sha256, .vpdq: 64
        case .phash, .dhash: 16
        case .md5: 32
        }
    }

    /// The algorithm named `name`, or `unknown_algorithm` naming the field at `path` and the names allowed.
    public static func named(_ name: String, at path: String) throws(WireFieldError) -> WireAlgorithm {
        guard let algorithm = WireAlgorithm(rawValue: name) else {
            throw WireFieldError(.unknownAlgorithm, "\(path): \"\(name.prefix(32))\" is not an algorithm the bank knows; use pdq, phash, dhash, md5, sha256 or vpdq.")
        }
        return algorithm
    }
}
