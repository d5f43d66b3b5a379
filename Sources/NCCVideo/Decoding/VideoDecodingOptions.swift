/// How frames are sampled from a video and the limits that bound what decoding it may cost.
public struct VideoDecodingOptions: Sendable, Hashable {
    /// Seconds between sampled frames, by presentation time: each sample is the first frame at or after a multiple
    /// of this. 0 samples every frame. Default 1 (Meta's vPDQ default).
    public var secondsPerSample: Double
    /// Largest allowed frame width or height in pixels. Default 16384.
    public var maxDimension: Int
    /// Largest allowed frame area in pixels. Default 36,000,000 (8K UHD fits).
    public var maxPixels: Int
    /// Longest video accepted, in seconds, whether declared by the container or reached while decoding.
    /// Default 7200 (two hours).
    public var maxDurationSeconds: Double
    /// Most frames decoded in total (sampled or not), a guard against containers that lie about their duration.
    /// Default 1,000,000 (over two hours at 120 frames a second).
    public var maxFrames: Int
    /// When set, every sampled frame's luma is scaled down (area averaging) so neither side exceeds this many pixels
    /// before hashing; nil hashes the decoded size (Meta's vPDQ). A smaller size is faster but moves hashes a few
    /// bits (see docs/video.md).
    public var maxHashedSide: Int?

    /// The defaults: one frame a second, decoded size, the limits above.
    public init(
        secondsPerSample: Double = 1, maxDimension: Int = 16384, maxPixels: Int = 36_000_000,
        maxDurationSeconds: Double = 7200, maxFrames: Int = 1_000_000, maxHashedSide: Int? = nil
    ) {
        self.secondsPerSample = secondsPerSample
        self.maxDimension = maxDimension
        self.maxPixels = maxPixels
        self.maxDurationSeconds = maxDurationSeconds
        self.maxFrames = maxFrames
        self.maxHashedSide = maxHashedSide
    }

    /// Whether every value is in range (`VideoDecoder` refuses others with `.invalidOptions`).
    public var isValid: Bool {
        secondsPerSample.isFinite && secondsPerSample >= 0 && maxDimension > 0 && maxDimension <= Int(Int32.max)
            && maxPixels > 0 && maxDurationSeconds.isFinite && maxDurationSeconds > 0 && maxFrames > 0
            && (maxHashedSide.map { $0 >= 5 && $0 <= Int(Int32.max) } ?? true)
    }
}
