import Foundation
import NCCVideo
import NCCWire

/// A video given to `case submit` or `case add`: hashed here with vPDQ into one `vpdq` case hash holding its
/// frames, as dense as the bank keeps them (every frame of a video up to 3,600 frames, else 3,600 evenly spaced:
/// `VPDQMatchPolicy.bankSecondsPerSample`), so trimmed copies sampled at one frame a second still find their frames.
/// Nothing of the video leaves this computer.
enum VideoCase {
    /// What is sent for a video, and how it reads in the summary.
    struct Hashes {
        /// The `vpdq` case hash with the frames (at most `WireLimits.maxFramesPerVideo`).
        var hash: CaseHash
        /// The kind of hash, in words.
        var kind: String
        /// Why only exact copies can be found, when no frame has enough detail.
        var exactOnlyReason: String?
    }

    /// Whether the file's first bytes are those of a video container NCCVideo reads.
    static func looksLikeVideo(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: VideoContainer.detectionPrefixLength)) ?? Data()
        return VideoContainer.detect([UInt8](head)) != nil
    }

    /// The video's frames as a case hash, sampled as densely as `WireLimits.maxFramesPerVideo` allows over the
    /// container's duration; a video whose container understates its length keeps that many, evenly spaced over
    /// its whole length (so the bank still covers all of it).
    static func hashes(path: String) -> Result<Hashes, VideoError> {
        let video: VPDQVideoHash
        do throws(VideoError) {
            // The header alone gives the duration; the frames are decoded by the second decoder.
            let duration = try VideoDecoder(path: path).info.durationSeconds
            let options = VideoDecodingOptions(secondsPerSample: VPDQMatchPolicy.bankSecondsPerSample(
                durationSeconds: duration, maxFrames: WireLimits.maxFramesPerVideo))
            video = try VPDQHasher.hash(path: path, options: options)
        } catch {
            return .failure(error)
        }
        let frames = spaced(video.frames, atMost: WireLimits.maxFramesPerVideo)
        let wire = frames.map { WireFrame(pdq: $0.pdq.hex, quality: $0.quality, timestamp: $0.timestamp) }
        let usable = VPDQMatchPolicy().usableFrames(frames).count
        let reason = usable == 0
            ? "None of this video's frames has enough detail to be recognised by its look (it is very dark or plain). This is not a problem with what you did."
            : nil
        let seconds = frames.last.map { String(format: "%.0f", $0.timestamp) } ?? "0"
        return .success(Hashes(hash: CaseHash(videoFrames: wire, image: nil),
                               kind: "vPDQ of \(frames.count) frames over \(seconds) s (\(usable) with enough detail to match), so that re-encoded, resized or trimmed copies match too",
                               exactOnlyReason: reason))
    }

    /// At most `limit` of `frames`, evenly spaced, first and order kept.
    static func spaced<T>(_ frames: [T], atMost limit: Int) -> [T] {
        guard frames.count > limit, limit > 0 else { return frames }
        return (0..<limit).map { frames[$0 * frames.count / limit] }
    }
}
