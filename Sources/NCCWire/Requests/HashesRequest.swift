/// One hash of a case, in `POST /v1/cases` and `POST /v1/cases/{id}/hashes`.
///
/// Decoding is strict, as the bank reads it: unknown fields and explicit nulls are refused
/// (`WireFieldError`). Encoding leaves out `quality` and `image` when they are nil.
public struct CaseHash: Codable, Sendable, Hashable {
    /// The algorithm's wire name (`pdq`, `phash`, `dhash`, `md5`, `sha256`); kept as text so that the bank
    /// can say which item named an unknown one.
    public var algorithm: String
    /// The hash as hex (`WireHex`).
    public var value: String
    /// PDQ's quality score, 0-100; required by the bank for PDQ (under 50 it is refused).
    public var quality: Int?
    /// The picture this hash belongs to, 0 to `WireLimits.maxImageNumber`; hashes of one picture share it.
    public var image: Int?

    /// Makes a hash to send.
    public init(algorithm: WireAlgorithm, value: String, quality: Int? = nil, image: Int? = nil) {
        self.init(algorithmName: algorithm.rawValue, value: value, quality: quality, image: image)
    }

    /// Makes a hash with any algorithm name (the bank refuses names it does not know).
    public init(algorithmName: String, value: String, quality: Int? = nil, image: Int? = nil) {
        self.algorithm = algorithmName
        self.value = value
        self.quality = quality
        self.image = image
    }

    enum CodingKeys: String, CodingKey { case algorithm, value, quality, image }

    /// Reads a hash strictly: unknown fields and explicit nulls throw `WireFieldError`.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["algorithm", "value", "quality", "image"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        algorithm = try c.decode(String.self, forKey: .algorithm)
        value = try c.decode(String.self, forKey: .value)
        quality = try c.decodeAbsentOrValue(Int.self, forKey: .quality)
        image = try c.decodeAbsentOrValue(Int.self, forKey: .image)
    }
}

/// Body of `POST /v1/cases` and `POST /v1/cases/{id}/hashes`: at most `WireLimits.maxItemsPerRequest` hashes.
public struct HashesRequest: Codable, Sendable, Hashable {
    /// The hashes, of one or more pictures.
    public var hashes: [CaseHash]

    /// Makes a request.
    public init(hashes: [CaseHash]) { self.hashes = hashes }

    enum CodingKeys: String, CodingKey { case hashes }

    /// Reads a request strictly: unknown fields and explicit nulls throw `WireFieldError`.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["hashes"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hashes = try c.decode([CaseHash].self, forKey: .hashes)
    }
}
