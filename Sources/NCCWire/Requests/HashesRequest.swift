/// One hash of a case, in `POST /v1/cases` and `POST /v1/cases/{id}/hashes`: a picture's hash (`value`), or a
/// whole video (`algorithm` `vpdq`, its sampled frames in `frames`, no `value` or `quality`).
///
/// A video's MD5 and SHA-256 are ordinary `md5` and `sha256` hashes with the video's `image` number; a picture
/// number holds either a picture's hashes or one video, never both. Decoding is strict, as the bank reads it:
/// unknown fields and explicit nulls are refused (`WireFieldError`). Encoding leaves out the fields that are nil.
public struct CaseHash: Codable, Sendable, Hashable {
    /// The algorithm's wire name (`pdq`, `phash`, `dhash`, `md5`, `sha256`, `vpdq`); kept as text so that the
    /// bank can say which item named an unknown one.
    public var algorithm: String
    /// The hash as hex (`WireHex`); required for every algorithm but `vpdq` (the bank answers `missing_field`).
    public var value: String?
    /// PDQ's quality score, 0-100; required by the bank for PDQ (under 50 it is refused).
    public var quality: Int?
    /// The picture (or video) this hash belongs to, 0 to `WireLimits.maxImageNumber`; hashes of one picture share it.
    public var image: Int?
    /// A video's sampled frames, for `vpdq` only (1 to `WireLimits.maxFramesPerVideo`; the bank answers
    /// `frames_missing`, `frames_not_allowed` or `too_many_frames`). Each frame counts as one hash against
    /// `WireLimits.maxItemsPerRequest`.
    public var frames: [WireFrame]?

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
        self.frames = nil
    }

    /// Makes a video's hash: its vPDQ frames (algorithm `vpdq`), under picture number `image`.
    public init(videoFrames: [WireFrame], image: Int? = nil) {
        self.algorithm = WireAlgorithm.vpdq.rawValue
        self.value = nil
        self.quality = nil
        self.image = image
        self.frames = videoFrames
    }

    /// Number of hashes this entry counts for against `WireLimits.maxItemsPerRequest`: its frames for a video
    /// (at least 1), 1 otherwise.
    public var hashCount: Int { max(1, frames?.count ?? 1) }

    enum CodingKeys: String, CodingKey { case algorithm, value, quality, image, frames }

    /// Reads a hash strictly: unknown fields and explicit nulls throw `WireFieldError`.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["algorithm", "value", "quality", "image", "frames"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        algorithm = try c.decode(String.self, forKey: .algorithm)
        value = try c.decodeAbsentOrValue(String.self, forKey: .value)
        quality = try c.decodeAbsentOrValue(Int.self, forKey: .quality)
        image = try c.decodeAbsentOrValue(Int.self, forKey: .image)
        frames = try c.decodeAbsentOrValue([WireFrame].self, forKey: .frames)
    }
}

/// Body of `POST /v1/cases` and `POST /v1/cases/{id}/hashes`: at most `WireLimits.maxItemsPerRequest` hashes,
/// each video frame counting as one (`CaseHash.hashCount`).
public struct HashesRequest: Codable, Sendable, Hashable {
    /// The hashes, of one or more pictures and videos.
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
