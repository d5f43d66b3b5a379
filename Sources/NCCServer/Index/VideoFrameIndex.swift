import NCCBank
import NCCHashing
import NCCIndex
import NCCVideo
import Synchronization

/// The bank's videos, matched as `VPDQIndex` matches them (the same tally, the same `VPDQMatchPolicy`), over a
/// `HammingIndex` that takes videos in and out while readers search (`VPDQIndex` is built once and immutable).
///
/// Each stored frame is indexed under its own hash id, so a search can count which frames of a bank video were
/// matched (the bank share), and a video's id names all its frames, so a withdrawal drops every frame at once.
/// A video's stored frames are its usable frames (the service keeps no other), so they are the bank share's
/// denominator.
///
/// - Warning: holds bank hash values; nothing here may be logged or served.
final class VideoFrameIndex: Sendable {
    /// pytx's defaults, which every video match of the service uses.
    let policy = VPDQMatchPolicy()
    private let frames: PDQIndex
    private struct Owners {
        var videoOfFrame: [UInt64: Int64] = [:]
        var framesOfVideo: [Int64: [UInt64]] = [:]
    }
    private let owners = Mutex(Owners())

    init() {
        frames = PDQIndex(ids: [], words: [], options: IndexOptions(designDistance: VPDQMatchPolicy().frameDistance))
    }

    /// Number of indexed frames.
    var count: Int { owners.withLock { $0.videoOfFrame.count } }

    /// Adds video frames (PDQ hashes of video items); other hashes are ignored. A frame already present is skipped,
    /// so a change applied twice (locally, then from the change feed) is harmless.
    func insert(_ hashes: [StoredHash]) {
        var ids: [UInt64] = [], words: [UInt64] = []
        owners.withLock { state in
            for hash in hashes where hash.kind == .video && hash.algorithm == .pdq {
                let id = UInt64(hash.id)
                guard state.videoOfFrame[id] == nil else { continue }
                state.videoOfFrame[id] = hash.imageID
                state.framesOfVideo[hash.imageID, default: []].append(id)
                ids.append(id)
                words.append(contentsOf: HashText.words(hash.value))
            }
        }
        if !ids.isEmpty { frames.insert(ids: ids, words: words) }
    }

    /// Drops every frame of these videos; ids that are not videos here are ignored (so it may run twice).
    func removeVideos(_ imageIDs: Set<Int64>) {
        let gone: [UInt64] = owners.withLock { state in
            var gone: [UInt64] = []
            for video in imageIDs {
                guard let ids = state.framesOfVideo.removeValue(forKey: video) else { continue }
                for id in ids { state.videoOfFrame[id] = nil }
                gone += ids
            }
            return gone
        }
        for id in gone { _ = frames.remove(id: id) }
    }

    /// One bank video a query matched (or came near): both shares in percent, and the verdict.
    struct Hit: Sendable, Hashable {
        var videoID: Int64
        var queryPercent: Double
        var bankPercent: Double
        var isMatch: Bool
        /// Whether the verdict would be "no match" without the query frames whose nearest frame of this video is
        /// `probeBand` bits away or more: then the answer tells something about those boundary frames (a walk
        /// reading a stored frame out pads known frames with one probe), and `ProbeGuard` counts it.
        var hingesOnOuterFrames: Bool
        /// The words of one such outer frame (the guard's anchor), when there is one.
        var outerFrameWords: [UInt64]?
    }

    /// Every bank video at least one of whose frames is within the policy's distance of a usable query frame,
    /// with its shares and verdict; sorted by query share, bank share (descending), then id. Frames under the
    /// policy's quality and repeated hashes of the query are left out first, as `VPDQIndex.search` does.
    ///
    /// - Parameter probeBand: the distance from which a frame's match counts as near the boundary (`MatchPolicy`).
    func search(_ query: [VPDQFrame], probeBand: Int = Int.max) -> [Hit] {
        let usable = policy.usableFrames(query)
        guard !usable.isEmpty else { return [] }
        let found = frames.search(usable.map(\.pdq), within: policy.frameDistance)
        return owners.withLock { state in
            var queryHits: [Int64: Int] = [:]
            var innerHits: [Int64: Int] = [:]
            var outerFrame: [Int64: Int] = [:]
            var bankHits: [Int64: Set<UInt64>] = [:]
            for (f, frameHits) in found.enumerated() {
                var nearest: [Int64: Int] = [:]
                for hit in frameHits {
                    // A frame removed since the search began is no longer counted.
                    guard let video = state.videoOfFrame[hit.id] else { continue }
                    nearest[video] = min(nearest[video] ?? Int.max, hit.distance)
                    bankHits[video, default: []].insert(hit.id)
                }
                for (video, distance) in nearest {
                    queryHits[video, default: 0] += 1
                    if distance < probeBand { innerHits[video, default: 0] += 1 } else if outerFrame[video] == nil { outerFrame[video] = f }
                }
            }
            var hits: [Hit] = []
            for (video, n) in queryHits {
                let total = state.framesOfVideo[video]?.count ?? 0
                guard total > 0 else { continue }
                let qp = Double(n) * 100 / Double(usable.count)
                let bp = Double(bankHits[video]?.count ?? 0) * 100 / Double(total)
                let isMatch = policy.isMatch(queryPercent: qp, bankPercent: bp, usableOnBothSides: true)
                let innerPercent = Double(innerHits[video] ?? 0) * 100 / Double(usable.count)
                let hinges = isMatch && !policy.isMatch(queryPercent: innerPercent, bankPercent: bp, usableOnBothSides: true)
                let words = outerFrame[video].map { f -> [UInt64] in let w = usable[f].pdq.words; return [w.0, w.1, w.2, w.3] }
                hits.append(Hit(videoID: video, queryPercent: qp, bankPercent: bp, isMatch: isMatch,
                                hingesOnOuterFrames: hinges, outerFrameWords: hinges ? words : nil))
            }
            return hits.sorted { ($0.queryPercent, $0.bankPercent, $1.videoID) > ($1.queryPercent, $1.bankPercent, $0.videoID) }
        }
    }
}

extension VideoFrameIndex {
    /// The frames of a video the bank keeps: its usable frames under pytx's policy (each distinct hash once, quality
    /// 50 or more) whose hashes a real frame can give (`HashPlausibility`).
    static func usable(_ frames: [VPDQFrame]) -> [VPDQFrame] {
        VPDQMatchPolicy().usableFrames(frames).filter { HashPlausibility.problem(.pdq, VideoText.bytes($0)) == nil }
    }
}
