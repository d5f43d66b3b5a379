import Foundation
import NCCBank
import NCCHashing

/// Largest number of hashes in one case request or items in one match request.
public let maxItemsPerRequest = 10_000

/// Largest picture number (`image`) a case hash may carry.
public let maxImageNumber = 1_000_000

/// One hash of `POST /v1/cases` and `POST /v1/cases/{id}/hashes`.
struct HashInput: Decodable, Sendable {
    var algorithm: String
    var value: String
    var quality: Int?
    var image: Int?

    enum CodingKeys: String, CodingKey { case algorithm, value, quality, image }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["algorithm", "value", "quality", "image"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        algorithm = try c.decode(String.self, forKey: .algorithm)
        value = try c.decode(String.self, forKey: .value)
        quality = try c.decodeAbsentOrValue(Int.self, forKey: .quality)
        image = try c.decodeAbsentOrValue(Int.self, forKey: .image)
    }
}

/// Body of `POST /v1/cases` and `POST /v1/cases/{id}/hashes`.
struct HashesRequest: Decodable, Sendable {
    var hashes: [HashInput]

    enum CodingKeys: String, CodingKey { case hashes }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["hashes"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hashes = try c.decode([HashInput].self, forKey: .hashes)
    }
}

/// One item of `POST /v1/match`.
struct MatchItem: Decodable, Sendable {
    var id: String
    var algorithm: String
    var value: String

    enum CodingKeys: String, CodingKey { case id, algorithm, value }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["id", "algorithm", "value"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        algorithm = try c.decode(String.self, forKey: .algorithm)
        value = try c.decode(String.self, forKey: .value)
    }
}

/// Body of `POST /v1/match`.
struct MatchRequest: Decodable, Sendable {
    var items: [MatchItem]
    var maxDistance: Int?

    enum CodingKeys: String, CodingKey {
        case items
        case maxDistance = "max_distance"
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["items", "max_distance"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        items = try c.decode([MatchItem].self, forKey: .items)
        maxDistance = try c.decodeAbsentOrValue(Int.self, forKey: .maxDistance)
    }
}

/// Body of `POST /v1/feedback`.
struct FeedbackRequest: Decodable, Sendable {
    var matchRef: String
    var outcome: String
    var contentID: String?

    enum CodingKeys: String, CodingKey {
        case matchRef = "match_ref"
        case outcome
        case contentID = "content_id"
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["match_ref", "outcome", "content_id"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        matchRef = try c.decode(String.self, forKey: .matchRef)
        outcome = try c.decode(String.self, forKey: .outcome)
        contentID = try c.decodeAbsentOrValue(String.self, forKey: .contentID)
    }
}

/// Parsing and checking hash values given as text.
enum HashText {
    /// The algorithm named `name`, or a 400 `unknown_algorithm` naming where.
    static func algorithm(_ name: String, at path: String) throws -> HashAlgorithm {
        guard let algorithm = HashAlgorithm(rawValue: name) else {
            throw APIError.badRequest("unknown_algorithm", "\(path): \"\(name.prefix(32))\" is not an algorithm the bank knows; use pdq, phash, dhash, md5 or sha256.")
        }
        return algorithm
    }

    /// The bytes of a hex hash of `algorithm`, or a 400 `invalid_hash` saying what is wrong (never echoing the value).
    static func bytes(_ text: String, algorithm: HashAlgorithm, at path: String) throws -> [UInt8] {
        let utf8 = Array(text.utf8)
        guard utf8.count == algorithm.hexLength else {
            throw APIError.badRequest("invalid_hash", "\(path): a \(algorithm.rawValue) hash is \(algorithm.hexLength) hex characters; this one has \(utf8.count).")
        }
        var out = [UInt8](repeating: 0, count: utf8.count / 2)
        for i in 0..<out.count {
            guard let hi = nibble(utf8[2 * i]), let lo = nibble(utf8[2 * i + 1]) else {
                throw APIError.badRequest("invalid_hash", "\(path): a hash is written with the characters 0-9 and a-f only.")
            }
            out[i] = hi << 4 | lo
        }
        return out
    }

    @inline(__always)
    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
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
