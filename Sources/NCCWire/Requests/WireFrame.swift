/// One sampled frame of a video's vPDQ hash, as a `vpdq` item carries it (`frames` of a case hash or a match item).
///
/// Decoding is strict (unknown fields, explicit nulls and missing fields are refused with `WireFieldError`); the
/// bank checks the values themselves (`pdq` 64 hex characters, `quality` 0-100, `timestamp` at least 0) and answers a
/// bad one with its own code (`invalid_hash`, `invalid_frame`).
public struct WireFrame: Codable, Sendable, Hashable {
    /// The frame's PDQ hash as hex (`WireHex`, 64 characters).
    public var pdq: String
    /// The PDQ quality score, 0-100; frames under 50 take no part in matching (the bank drops them).
    public var quality: Int
    /// When the frame is shown, in seconds from the start of the video (at least 0). The bank checks it but does not
    /// keep it: matching a video does not use time, nor the frames' order.
    public var timestamp: Double

    /// Makes a frame.
    public init(pdq: String, quality: Int, timestamp: Double) {
        self.pdq = pdq
        self.quality = quality
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey { case pdq, quality, timestamp }

    /// Reads a frame strictly: unknown fields and explicit nulls throw `WireFieldError`.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["pdq", "quality", "timestamp"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pdq = try c.decode(String.self, forKey: .pdq)
        quality = try c.decode(Int.self, forKey: .quality)
        timestamp = try c.decode(Double.self, forKey: .timestamp)
    }
}
