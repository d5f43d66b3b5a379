extension VPDQMatchPolicy {
    /// Seconds between the frames a bank keeps of a video `durationSeconds` long when it has room for `maxFrames`
    /// frames: as dense as the room allows (every frame of a video shorter than `maxFrames` frames), while queries
    /// keep Meta's one frame a second.
    ///
    /// Why: a copy trimmed or cut at another point samples its frames between the original's. With one frame a
    /// second on both sides, trimmed copies of Meta's fast-moving samples matched 0% (frames 0.1 s apart are a median
    /// 64 bits apart); with the bank's frames dense, every query frame has a bank frame close in time, and they
    /// matched 100%, with no false match between different videos (docs/video.md). The bank share falls, but its
    /// threshold is 0, as pytx's.
    ///
    /// - Parameters:
    ///   - durationSeconds: the container's duration; nil or not positive when unknown (then every frame, and the
    ///     caller keeps `maxFrames` evenly spaced).
    ///   - maxFrames: the most frames the bank keeps of one video (`WireLimits.maxFramesPerVideo`, 3,600).
    /// - Returns: a `VideoDecodingOptions.secondsPerSample` value: 0 (every frame) or `duration / maxFrames`.
    public static func bankSecondsPerSample(durationSeconds: Double?, maxFrames: Int) -> Double {
        guard let duration = durationSeconds, duration.isFinite, duration > 0, maxFrames > 0 else { return 0 }
        return duration / Double(maxFrames)
    }
}
