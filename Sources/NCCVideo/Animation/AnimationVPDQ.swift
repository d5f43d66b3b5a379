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
    /// browsers show it) and a frame is sampled when it is on screen at a multiple of `secondsPerSample` (its
    /// timestamp, the sum of the delays before it, at or before that moment and its end after it); each sampled frame
    /// gets the PDQ of its RGB, as Meta's vPDQ hashes a frame.
    ///
    /// Frame 0 is always sampled; a frame held over several multiples is sampled once, so there are never more
    /// samples than frames. On an animation of steady delays this picks the frames Meta's vPDQ picks (frame numbers
    /// multiple of the rounded-down frames per sample); on uneven delays vPDQ assumes a steady rate and picks
    /// others. A still GIF or WebP gives one frame. Frame 0's PDQ equals the picture's `exact` PDQ.
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
        try hashAnimation(decoder: AnimationDecoder(bytes: bytes, limits: limits), secondsPerSample: secondsPerSample)
    }

    /// Hashes the frames of an open animation (see `hashAnimation(bytes:secondsPerSample:limits:)`), from the first.
    public static func hashAnimation(decoder: AnimationDecoder, secondsPerSample: Double = 1) throws(ImageDecodingError) -> AnimationVPDQHash {
        var frames: [VPDQFrame] = []
        var count = 0, duration = 0.0, width = decoder.width, height = decoder.height
        while let sampled = try decoder.nextFrame({ frame -> VPDQFrame? in
            count += 1
            duration = frame.timestamp + frame.duration
            width = frame.width
            height = frame.height
            if secondsPerSample > 0 && frame.index > 0 {
                // Sampled when it is on screen at a multiple of secondsPerSample: t <= k * s < t + duration.
                let k = (frame.timestamp / secondsPerSample - 1e-6).rounded(.up)
                guard k * secondsPerSample < frame.timestamp + frame.duration - 1e-9 else { return nil }
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
