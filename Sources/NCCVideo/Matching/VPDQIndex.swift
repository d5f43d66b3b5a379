import NCCHashing
import NCCIndex

/// A bank of videos' vPDQ hashes, searched frame by frame through one `HammingIndex` over every usable frame.
///
/// Frames are grouped by video: each indexed frame knows its video, so a query's frames are looked up once each (in
/// one batched index search) and the hits are tallied per video. The result is exactly `VPDQMatcher.compare` against
/// every bank video, at index speed rather than by brute force. Immutable once built; `Sendable`.
public final class VPDQIndex: Sendable {
    /// The policy the bank was built with (its quality floor decided which frames were indexed).
    public let policy: VPDQMatchPolicy
    /// The videos' ids, in the order given.
    public let videoIDs: [UInt64]
    private let usableCounts: [Int]
    private let frameVideo: [UInt32]
    private let frames: PDQIndex

    /// Indexes `videos`; each video's frames are deduplicated and filtered by `policy.minimumQuality` first.
    ///
    /// - Precondition: fewer than 2^32 videos and frames.
    public init(videos: [(id: UInt64, frames: [VPDQFrame])], policy: VPDQMatchPolicy = .init()) {
        self.policy = policy
        var ids: [UInt64] = [], words: [UInt64] = [], owner: [UInt32] = [], counts: [Int] = []
        for (slot, video) in videos.enumerated() {
            let usable = policy.usableFrames(video.frames)
            counts.append(usable.count)
            for frame in usable {
                ids.append(UInt64(owner.count))
                owner.append(UInt32(slot))
                let w = frame.pdq.words
                words.append(contentsOf: [w.0, w.1, w.2, w.3])
            }
        }
        videoIDs = videos.map(\.id)
        usableCounts = counts
        frameVideo = owner
        frames = PDQIndex(ids: ids, words: words, options: IndexOptions(designDistance: policy.frameDistance))
    }

    /// Number of indexed (usable) frames.
    public var frameCount: Int { frameVideo.count }

    /// Every bank video at least one of whose frames matches a frame of `query`, with both shares and the verdict,
    /// sorted by query share, then bank share (both descending), then id.
    public func search(_ query: [VPDQFrame]) -> [(videoID: UInt64, result: VPDQMatchResult)] {
        let usable = policy.usableFrames(query)
        guard !usable.isEmpty else { return [] }
        let hits = frames.search(usable.map(\.pdq), within: policy.frameDistance)
        var queryHits: [UInt32: Int] = [:]
        var bankFrames: [UInt32: Set<UInt64>] = [:]
        for frameHits in hits {
            var videosOfThisFrame = Set<UInt32>()
            for hit in frameHits {
                let video = frameVideo[Int(hit.id)]
                videosOfThisFrame.insert(video)
                bankFrames[video, default: []].insert(hit.id)
            }
            for video in videosOfThisFrame { queryHits[video, default: 0] += 1 }
        }
        var results: [(videoID: UInt64, result: VPDQMatchResult)] = []
        for (video, count) in queryHits {
            let qp = Double(count) * 100 / Double(usable.count)
            let bp = Double(bankFrames[video]?.count ?? 0) * 100 / Double(usableCounts[Int(video)])
            results.append((videoIDs[Int(video)], VPDQMatchResult(
                queryMatchPercent: qp, bankMatchPercent: bp,
                isMatch: policy.isMatch(queryPercent: qp, bankPercent: bp, usableOnBothSides: true))))
        }
        return results.sorted {
            ($0.result.queryMatchPercent, $0.result.bankMatchPercent, $1.videoID)
                > ($1.result.queryMatchPercent, $1.result.bankMatchPercent, $0.videoID)
        }
    }

    /// The bank videos that match `query` under the policy (the entries of `search` whose verdict is a match).
    public func matches(_ query: [VPDQFrame]) -> [(videoID: UInt64, result: VPDQMatchResult)] {
        search(query).filter(\.result.isMatch)
    }
}
