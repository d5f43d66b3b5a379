import Foundation
import NCCHashing
import NCCVideo
import NCCWire

/// A video file given to `nccmatch match --server`, hashed on this computer as `case submit` hashes one (vPDQ,
/// one frame a second, as `nccmatch hash` does; at most `WireLimits.maxFramesPerVideo` frames, evenly spaced over
/// its whole length) with its MD5 and SHA-256. Only these hashes are sent; nothing of the video leaves this computer.
struct RemoteVideoQuery: Sendable, Equatable {
    /// The sampled frames, as sent (1 to `WireLimits.maxFramesPerVideo`).
    var frames: [WireFrame]
    /// The file's digests, sent beside the frames so that an exact copy matches too.
    var digests: FileDigests

    /// Whether the file's first bytes are those of a video container (the test `case submit` uses).
    static func looksLikeVideo(path: String) -> Bool { VideoCase.looksLikeVideo(path) }

    /// Hashes the video at `path`; a failure carries the stable code and plain message of the `VideoError` or
    /// `FileReadError`, as `nccmatch hash` and `match --video` print them.
    static func hash(path: String) -> Result<RemoteVideoQuery, QueryFailure> {
        let video: VPDQVideoHash
        do throws(VideoError) {
            video = try VPDQHasher.hash(path: path)
        } catch {
            return .failure(QueryFailure(code: error.code.rawValue, message: error.message))
        }
        guard !video.frames.isEmpty else {
            // The bank refuses a video item without frames; no decodable picture means a damaged stream.
            return .failure(QueryFailure(code: VideoError.Code.corruptStream.rawValue, message: VideoError.standardMessage(for: .corruptStream)))
        }
        let digests: FileDigests
        do throws(FileReadError) {
            digests = try FileDigests.of(fileAt: path)
        } catch {
            return .failure(QueryFailure(code: error.code.rawValue, message: error.message))
        }
        let frames = VideoCase.spaced(video.frames, atMost: WireLimits.maxFramesPerVideo)
        return .success(RemoteVideoQuery(frames: frames.map { WireFrame(pdq: $0.pdq.hex, quality: $0.quality, timestamp: $0.timestamp) },
                                         digests: digests))
    }

    /// The match items of this video, all under `id`: one `vpdq` item holding the frames, then `md5` and `sha256`.
    func items(id: String) -> [MatchItem] {
        [MatchItem(id: id, videoFrames: frames),
         MatchItem(id: id, algorithm: .md5, value: digests.md5),
         MatchItem(id: id, algorithm: .sha256, value: digests.sha256)]
    }
}
