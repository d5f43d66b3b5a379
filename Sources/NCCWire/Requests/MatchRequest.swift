/// One item of `POST /v1/match`: a hash of one upload. Items sharing an `id` are hashes of the same upload
/// (its PDQ codes, pHash, dHash): the bank counts a pHash or dHash match only beside a PDQ of that upload.
public struct MatchItem: Codable, Sendable, Hashable {
    /// The platform's own id of the upload, echoed in the result.
    public var id: String
    /// The algorithm's wire name.
    public var algorithm: String
    /// The hash as hex (`WireHex`).
    public var value: String

    /// Makes an item.
    public init(id: String, algorithm: WireAlgorithm, value: String) {
        self.init(id: id, algorithmName: algorithm.rawValue, value: value)
    }

    /// Makes an item with any algorithm name (the bank refuses names it does not know).
    public init(id: String, algorithmName: String, value: String) {
        self.id = id
        self.algorithm = algorithmName
        self.value = value
    }

    enum CodingKeys: String, CodingKey { case id, algorithm, value }

    /// Reads an item strictly: unknown fields and explicit nulls throw `WireFieldError`.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["id", "algorithm", "value"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        algorithm = try c.decode(String.self, forKey: .algorithm)
        value = try c.decode(String.self, forKey: .value)
    }
}

/// Body of `POST /v1/match`: at most `WireLimits.maxItemsPerRequest` items.
public struct MatchRequest: Codable, Sendable, Hashable {
    /// The hashes to look up.
    public var items: [MatchItem]
    /// A stricter distance than the default (PDQ 31, 23 or 15; pHash and dHash 8, 6 or 4); left out when nil.
    public var maxDistance: Int?

    /// Makes a request.
    public init(items: [MatchItem], maxDistance: Int? = nil) {
        self.items = items
        self.maxDistance = maxDistance
    }

    enum CodingKeys: String, CodingKey {
        case items
        case maxDistance = "max_distance"
    }

    /// Reads a request strictly: unknown fields and explicit nulls throw `WireFieldError`.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["items", "max_distance"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        items = try c.decode([MatchItem].self, forKey: .items)
        maxDistance = try c.decodeAbsentOrValue(Int.self, forKey: .maxDistance)
    }
}
