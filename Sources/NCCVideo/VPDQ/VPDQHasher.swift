import NCCHashing

/// vPDQ, Meta's video hash: the PDQ of frames sampled at a steady rate, each with its quality and timestamp.
///
/// Agrees with Meta's vPDQ (ThreatExchange `vpdq/`, PyPI `vpdq`), which converts each frame to RGB and hashes the
/// RGB's luma `0.299 R + 0.587 G + 0.114 B` with PDQ. Converting limited-range video to RGB and back to that luma
/// gives `(Y - 16) * 255 / 219` (clipped to 0...255) for every pixel whose colour needs no clipping, so nccmatch hashes
/// the decoded luma plane directly and skips the RGB conversion; docs/video.md gives the measured agreement.
public enum VPDQHasher {
    /// Hashes the video file at `path`.
    ///
    /// - Parameter options: sampling (default one frame a second; 0 for every frame) and limits.
    /// - Throws: `VideoError` (see its codes); never crashes on damaged input.
    public static func hash(path: String, options: VideoDecodingOptions = .init()) throws(VideoError) -> VPDQVideoHash {
        try hash(decoder: VideoDecoder(path: path, options: options))
    }

    /// Hashes a video held in memory.
    public static func hash(bytes: some Collection<UInt8>, options: VideoDecodingOptions = .init()) throws(VideoError) -> VPDQVideoHash {
        try hash(decoder: VideoDecoder(bytes: bytes, options: options))
    }

    /// Hashes every frame the decoder hands out.
    public static func hash(decoder: VideoDecoder) throws(VideoError) -> VPDQVideoHash {
        var frames: [VPDQFrame] = []
        var plane = FloatPlane()
        defer { plane.release() }
        while let frame = try decoder.nextFrame({ hashFrame($0, plane: &plane) }) {
            frames.append(frame)
        }
        return VPDQVideoHash(frames: frames, info: decoder.info, corruptPackets: decoder.corruptPackets)
    }

    /// The float luma Meta's pipeline sees for each byte of limited-range luma: `(y - 16) * 255 / 219`, clipped.
    static let limitedRangeLuma: [Float] = (0..<256).map { Float(min(max((Double($0) - 16) * 255 / 219, 0), 255)) }
    /// The float luma for each byte of full-range luma.
    static let fullRangeLuma: [Float] = (0..<256).map { Float($0) }

    static func hashFrame(_ frame: VideoLumaFrame, plane: inout FloatPlane) -> VPDQFrame {
        let count = frame.width * frame.height
        let buffer = plane.reserve(count)
        let table = frame.limitedRange ? limitedRangeLuma : fullRangeLuma
        table.withUnsafeBufferPointer { t in
            for y in 0..<frame.height {
                let row = frame.luma.baseAddress! + y * frame.stride
                let out = buffer.baseAddress! + y * frame.width
                for x in 0..<frame.width { out[x] = t[Int(row[x])] }
            }
        }
        let result = PDQHasher.hash(luma: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]), width: frame.width,
                                    height: frame.height, dihedral: false)
        return VPDQFrame(frameNumber: frame.frameIndex, pdq: result.hash, quality: result.quality, timestamp: frame.timestamp)
    }
}

/// A reusable float luma plane, zeroed before it is freed or replaced (it holds a picture of a frame).
struct FloatPlane {
    private var storage: UnsafeMutableBufferPointer<Float>?

    mutating func reserve(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
        if let storage, storage.count >= count { return storage }
        release()
        let fresh = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        fresh.initialize(repeating: 0)
        storage = fresh
        return fresh
    }

    mutating func release() {
        guard let storage else { return }
        storage.update(repeating: 0)
        storage.deallocate()
        self.storage = nil
    }
}
