import NCCHashing
import NCCWire

/// Hash values of a request read as the server needs them: the wire's text forms (`WireAlgorithm`,
/// `WireHex`) turned into NCCHashing's algorithms and big-endian words, every problem a 400.
enum HashText {
    /// The algorithm named `name`, or a 400 `unknown_algorithm` naming where.
    static func algorithm(_ name: String, at path: String) throws(APIError) -> HashAlgorithm {
        let wire: WireAlgorithm
        do {
            wire = try WireAlgorithm.named(name, at: path)
        } catch {
            throw APIError(error)
        }
        guard let algorithm = HashAlgorithm(wire) else {
            throw APIError.badRequest("frames_missing", "\(path): a vpdq item is a video's list of frames; send them in `frames`.")
        }
        return algorithm
    }

    /// The hex text of a picture hash's `value`, or a 400 `missing_field` naming where (the code a missing
    /// `value` had before videos made it optional on the wire).
    static func value(_ text: String?, at path: String) throws(APIError) -> String {
        guard let text else {
            throw APIError.badRequest("missing_field", "\(path) is missing: every hash but a video (vpdq) carries its value as hex.")
        }
        return text
    }

    /// The bytes of a hex hash of `algorithm`, or a 400 `invalid_hash` saying what is wrong (never echoing the value).
    static func bytes(_ text: String, algorithm: HashAlgorithm, at path: String) throws(APIError) -> [UInt8] {
        do {
            return try WireHex.bytes(text, algorithm: algorithm.wire, at: path)
        } catch {
            throw APIError(error)
        }
    }

    /// Big-endian bytes as 64-bit words, most significant first.
    static func words(_ bytes: [UInt8]) -> [UInt64] {
        stride(from: 0, to: bytes.count, by: 8).map { start in
            var w: UInt64 = 0
            for b in bytes[start..<min(start + 8, bytes.count)] { w = w << 8 | UInt64(b) }
            return w
        }
    }
}

extension HashAlgorithm {
    /// The algorithm the wire names so; nil for `vpdq` (a video's frames, each a PDQ). Both switches are
    /// exhaustive, so an algorithm added on one side and not the other stops the build.
    init?(_ wire: WireAlgorithm) {
        switch wire {
        case .vpdq: return nil
        case .pdq: self = .pdq
        case .phash: self = .phash
        case .dhash: self = .dhash
        case .md5: self = .md5
        case .sha256: self = .sha256
        }
    }

    /// This algorithm's name and hex length on the wire.
    var wire: WireAlgorithm {
        switch self {
        case .pdq: .pdq
        case .phash: .phash
        case .dhash: .dhash
        case .md5: .md5
        case .sha256: .sha256
        }
    }
}
