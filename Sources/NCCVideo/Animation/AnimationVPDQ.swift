import NCCHashing

/// The vPDQ of an animated GIF or WebP: the PDQ of its frames sampled at a steady rate by when each is shown.
public struct AnimationVPDQHash: Sendable, Hashable {
    /// The sampled frames, in order; `timestamp` is the sum of the delays before the frame, `frameNumber` its place
    /// among all the file's frames.
    public var frames: [VPDQFrame]
    /// `.gif` or `.webp`.
    public var format: ImageFormat
    /// Canvas width in pixels.
    public var width: Int
    /// Canvas height in pixels.
    public var height: Int
    /// Frames in the file (all read, sampled or not).
    public var frameCount: Int
    /// How long the animation runs once, in seconds (the sum of every frame's delay).
    public var durationSeconds: Double
}

extension VPDQHasher {
    /// Hashes an animated GIF or WebP held in memory as a video: every frame is composited on its canvas (as
    /// browsers show it) and a frame is sampled whenever its timestamp reaches the next multiple of
    /// `secondsPerSample` (the rule `VideoDecoder` samples videos by); each sampled frame gets the PDQ of its RGB, as
    /// Meta's vPDQ hashes a frame.
    ///
    /// A still GIF or WebP gives one frame. Frame 0's PDQ equals the picture's `exact` PDQ.
    /// - Parameters:
    ///   - bytes: the whole file; copied once, the copy wiped afterwards.
    ///   - secondsPerSample: seconds between sampled frames (default 1); 0 samples every frame.
    ///   - limits: canvas size, frame count and pixels over all frames, each checked before what it bounds.
    /// - Throws: `ImageDecodingError`: `.tooManyFrames` past the frame or pixel budget, `.tooManyPixels` for a canvas
    ///   over the limit, `.truncated` / `.corruptData` for a damaged file, `.unsupportedFormat` for neither GIF nor
    ///   WebP.
    public static func hashAnimation(
        bytes: UnsafeRawBufferPointer, secondsPerSample: Double = 1, limits: AnimationLimits = .init()
    ) throws(ImageDecodingError) -> AnimationVPDQHash {
        let decoder = try AnimationDecoder(bytes: bytes, limits: limits)
        var frames: [VPDQFrame] = []
        var lastSlot = -1
        var count = 0, duration = 0.0, width = decoder.width, height = decoder.height
        while let sampled = try decoder.nextFrame({ frame -> VPDQFrame? in
            count += 1
            duration = frame.timestamp + frame.duration
            width = frame.width
            height = frame.height
            if secondsPerSample > 0 {
                let slot = Int((frame.timestamp / secondsPerSample + 1e-6).rounded(.down))
                guard slot > lastSlot else { return nil }
                lastSlot = slot
            }
            let result = frame.pdq()
            return VPDQFrame(frameNumber: frame.index, pdq: result.hash, quality: result.quality, timestamp: frame.timestamp)
        }) {
            if let sampled { frames.append(sampled) }
        }
        return AnimationVPDQHash(frames: frames, format: decoder.format, width: width, height: height,
                                 frameCount: count, durationSeconds: duration)
    }
}
