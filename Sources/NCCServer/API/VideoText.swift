import NCCHashing
import NCCVideo
import NCCWire

/// A video item of a request (`algorithm` `vpdq`) read as the server needs it: its frames checked one by one,
/// every problem a 400 or 413 with its own code, naming the field (`hashes[2].frames[7].pdq`), never a value.
enum VideoText {
    /// Whether `name` is the wire name of a video item.
    static func isVideo(_ name: String) -> Bool { name == WireAlgorithm.vpdq.rawValue }

    /// The frames of a video item at `path`: `frames_missing` when there are none, `too_many_frames` (413) over
    /// `WireLimits.maxFramesPerVideo`, `value_not_allowed` or `invalid_field` when it carries a `value` or a
    /// `quality` of its own, `invalid_hash` for a frame's PDQ, `invalid_frame` for a quality outside 0-100 or a
    /// timestamp negative (the order of the frames is not checked: matching a video uses neither time nor order).
    static func frames(_ frames: [WireFrame]?, value: String?, quality: Int?, at path: String) throws(APIError) -> [VPDQFrame] {
        if value != nil {
            throw APIError.badRequest("value_not_allowed", "\(path).value: a video (vpdq) has no value of its own; send its frames in `frames` and leave `value` out.")
        }
        if quality != nil {
            throw APIError.badRequest("invalid_field", "\(path).quality: a video's quality is given per frame; leave it out here.")
        }
        guard let frames, !frames.isEmpty else {
            throw APIError.badRequest("frames_missing", "\(path).frames is missing or empty: a video (vpdq) is sent as the list of its frames' PDQ hashes, as nccmatch hash prints them.")
        }
        guard frames.count <= WireLimits.maxFramesPerVideo else {
            throw APIError(.contentTooLarge, "too_many_frames", "\(path).frames has \(frames.count) frames; a video holds at most \(WireLimits.maxFramesPerVideo) (an hour at one frame a second). Hash a longer video at a slower rate, or send evenly spaced frames.")
        }
        var result: [VPDQFrame] = []
        result.reserveCapacity(frames.count)
        for (j, frame) in frames.enumerated() {
            let at = "\(path).frames[\(j)]"
            let bytes = try HashText.bytes(frame.pdq, algorithm: .pdq, at: "\(at).pdq")
            guard (0...100).contains(frame.quality) else {
                throw APIError.badRequest("invalid_frame", "\(at).quality is PDQ's quality score, from 0 to 100.")
            }
            guard frame.timestamp.isFinite, frame.timestamp >= 0 else {
                throw APIError.badRequest("invalid_frame", "\(at).timestamp is seconds from the start of the video: a number of at least 0.")
            }
            let w = HashText.words(bytes)
            result.append(VPDQFrame(frameNumber: j, pdq: PDQHash(words: (w[0], w[1], w[2], w[3])), quality: frame.quality, timestamp: frame.timestamp))
        }
        return result
    }

    /// A picture item's `frames` refused: only a video carries frames (`frames_not_allowed`).
    static func refuseFrames(_ frames: [WireFrame]?, at path: String) throws(APIError) {
        if frames != nil {
            throw APIError.badRequest("frames_not_allowed", "\(path).frames belongs to videos (algorithm vpdq) only; leave it out for a picture's hash.")
        }
    }

    /// Bytes of a frame's PDQ, most significant first.
    static func bytes(_ frame: VPDQFrame) -> [UInt8] {
        let w = frame.pdq.words
        return [w.0, w.1, w.2, w.3].flatMap { word in (0..<8).reversed().map { UInt8(truncatingIfNeeded: word >> (UInt64($0) * 8)) } }
    }
}
