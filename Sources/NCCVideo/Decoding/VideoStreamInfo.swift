/// What a video's container and stream say about it, known once it is open.
public struct VideoStreamInfo: Sendable, Hashable {
    /// The container the file's bytes were detected as.
    public var container: VideoContainer
    /// Displayed width and height in pixels, after the rotation.
    public var width: Int
    /// Displayed height in pixels, after the rotation.
    public var height: Int
    /// Clockwise rotation applied to every frame (0, 90, 180 or 270), from the stream's display matrix; when
    /// `mirrored`, the rotation that follows the mirror.
    public var rotation: Int
    /// Whether the display matrix also mirrors the picture (as a phone's front camera may record): frames are mirrored
    /// left to right and then turned by `rotation`, as a player shows them.
    public var mirrored: Bool = false
    /// The duration the container declares, in seconds, or nil when it declares none.
    public var durationSeconds: Double?
    /// The average frame rate in frames per second, or nil when unknown.
    public var frameRate: Double?
    /// The codec's short name, e.g. "h264".
    public var codec: String
}

/// One sampled frame's luma, as the decoder hands it out.
///
/// - Warning: `luma` points into the decoder's own buffer and is valid only inside the closure it is passed to;
///   copying it out keeps decoded pixels alive outside the zeroed buffers.
public struct VideoLumaFrame {
    /// `stride * height` bytes, row-major: one byte of luma per pixel.
    public let luma: UnsafeBufferPointer<UInt8>
    /// Columns in pixels, after rotation and any downscale.
    public let width: Int
    /// Rows in pixels.
    public let height: Int
    /// Bytes from one row to the next.
    public let stride: Int
    /// Whether the luma is in the limited (video) range 16...235 rather than 0...255.
    public let limitedRange: Bool
    /// Presentation time in seconds from the start of the stream.
    public let timestamp: Double
    /// The frame's position among all frames the decoder output, from 0.
    public let frameIndex: Int
}
