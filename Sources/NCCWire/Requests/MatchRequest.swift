/// One item of `POST /v1/match`: a hash of one upload. Items sharing an `id` are hashes of the same upload
/// (its PDQ codes, pHash, dHash): the bank counts a pHash or dHash match only beside a PDQ of that upload.
///
/// A video upload is one item with `algorithm` `vpdq` and its sampled frames in `frames` (no `value`), matched
/// against the bank's videos as a whole (both shares answered); its MD5 and SHA-256 go as `md5` and `sha256`
/// items with the same `id`.
public struct MatchItem: Codable, Sendable, Hashable {
    /// The platform's own id of the upload, echoed in the result.
    public var id: String
    /// The algorithm's wire name (`pdq`, `phash`, `dhash`, `md5`, `sha256`, `vpdq`).
    public var algorithm: String
    /// The hash as hex (`WireHex`); required for every algorithm but `vpdq` (the bank answers `missing_field`).
    public var value: String?
    /// A video's sampled frames, for `vpdq` only (1 to `WireLimits.maxFramesPerVideo`; the bank answers
    /// `frames_missing`, `frames_not_allowed` or `too_many_frames`). Each frame counts as one item against
    /// `WireLimits.maxItemsPerRequest`.
    public var frames: [WireFrame]?
    /// For a `pdq` item, what the hash is of, as `nccmatch hash --set query` names it: `pdq` (the upload as it is,
    /// also when left out), `unletterboxed`, `caption-masked-top`, `caption-masked-bottom`, `low-passed`,
    /// `corner-masked-bottom-right`, `photo-region`, `photo-region-corner-masked`, `collage-tile-1`... or a
    /// DCT-domain variant (`dct-rotate90`...). It decides what the hash is compared with: the masked and low-passed
    /// forms only with a picture's stored companions, within 21 bits; the others with its own hash too, at the full
    /// distance (`MatchingPolicy.reach(ofSentKind:)`). At most `WireLimits.maxKindLength` characters; the bank
    /// refuses kinds it does not know (`invalid_field`) and a kind on any other algorithm (`kind_not_allowed`).
    /// - Warning: Sending companions without their kinds makes each cost a full search, about twice the work.
    public var kind: String?

    /// Makes an item.
    public init(id: String, algorithm: WireAlgorithm, value: String, kind: String? = nil) {
        self.init(id: id, algorithmName: algorithm.rawValue, value: value, kind: kind)
    }

    /// Makes an item with any algorithm name (the bank refuses names it does not know).
    public init(id: String, algorithmName: String, value: String, kind: String? = nil) {
        self.id = id
        self.algorithm = algorithmName
        self.value = value
        self.frames = nil
        self.kind = kind
    }

    /// Makes a video item: the upload's vPDQ frames (algorithm `vpdq`).
    public init(id: String, videoFrames: [WireFrame]) {
        self.id = id
        self.algorithm = WireAlgorithm.vpdq.rawValue
        self.value = nil
        self.frames = videoFrames
        self.kind = nil
    }

    /// Number of items this one counts for against `WireLimits.maxItemsPerRequest`: its frames for a video
    /// (at least 1), 1 otherwise.
    public var hashCount: Int { max(1, frames?.count ?? 1) }

    enum CodingKeys: String, CodingKey { case id, algorithm, value, frames, kind }

    /// Reads an item strictly: unknown fields and explicit nulls throw `WireFieldError`.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["id", "algorithm", "value", "frames", "kind"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        algorithm = try c.decode(String.self, forKey: .algorithm)
        value = try c.decodeAbsentOrValue(String.self, forKey: .value)
        frames = try c.decodeAbsentOrValue([WireFrame].self, forKey: .frames)
        kind = try c.decodeAbsentOrValue(String.self, forKey: .kind)
    }
}

/// Body of `POST /v1/match`: at most `WireLimits.maxItemsPerRequest` items, each video frame counting as one
/// (`MatchItem.hashCount`).
public struct MatchRequest: Codable, Sendable, Hashable {
    /// The hashes to look up.
    public var items: [MatchItem]
    /// A stricter distance than the default (PDQ 31, 23 or 15; pHash and dHash 8, 6 or 4); left out when nil.
    public var maxDistance: Int?
    /// Restricts matching to the banks with these names (1 to `WireLimits.maxBanksPerRequest`); nil matches every
    /// enabled bank. A name the bank does not have is refused (422 `unknown_bank`). An allow-list bank applies
    /// whatever the list says: an upload near one of its hashes gets no matches.
    public var banks: [String]?

    /// Makes a request.
    public init(items: [MatchItem], maxDistance: Int? = nil, banks: [String]? = nil) {
        self.items = items
        self.maxDistance = maxDistance
        self.banks = banks
    }

    enum CodingKeys: String, CodingKey {
        case items
        case maxDistance = "max_distance"
        case banks
    }

    /// Reads a request strictly: unknown fields and explicit nulls throw `WireFieldError`.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["items", "max_distance", "banks"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        items = try c.decode([MatchItem].self, forKey: .items)
        maxDistance = try c.decodeAbsentOrValue(Int.self, forKey: .maxDistance)
        banks = try c.decodeAbsentOrValue([String].self, forKey: .banks)
    }
}
