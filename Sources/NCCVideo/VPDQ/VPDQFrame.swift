import NCCHashing

/// One sampled frame's vPDQ feature: its PDQ hash, the hash's quality and when the frame is shown.
public struct VPDQFrame: Sendable, Hashable, Codable {
    /// The frame's position among all the video's frames, from 0 (Meta's text form calls it the frame number).
    public var frameNumber: Int
    /// PDQ of the frame (Meta's PDQ of its luma at the decoded size).
    public var pdq: PDQHash
    /// PDQ quality 0...100; frames under `VPDQMatchPolicy.minimumQuality` (50) are left out of matching.
    public var quality: Int
    /// Presentation time in seconds from the start of the video.
    public var timestamp: Double

    /// Makes a feature.
    public init(frameNumber: Int, pdq: PDQHash, quality: Int, timestamp: Double) {
        self.frameNumber = frameNumber
        self.pdq = pdq
        self.quality = quality
        self.timestamp = timestamp
    }
}

/// A video's vPDQ: its sampled frames' features, in presentation order, and what its stream declared.
public struct VPDQVideoHash: Sendable, Hashable {
    /// The sampled frames.
    public var frames: [VPDQFrame]
    /// The stream the frames came from.
    public var info: VideoStreamInfo
    /// Packets refused as damaged while decoding (0 for an intact file).
    public var corruptPackets: Int
}
