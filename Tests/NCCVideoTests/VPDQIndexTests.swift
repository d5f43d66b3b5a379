import Foundation
import NCCHashing
import NCCVideo
import Testing

/// The frame index gives exactly the pairwise (brute-force) comparison, and is fast on a large bank.
@Suite("vPDQ index")
struct VPDQIndexTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func randomHash(_ g: inout Generator) -> PDQHash { PDQHash(words: (g.next(), g.next(), g.next(), g.next())) }

    /// `hash` with `bits` distinct random bits flipped.
    static func flipped(_ hash: PDQHash, bits: Int, _ g: inout Generator) -> PDQHash {
        var w = [hash.words.0, hash.words.1, hash.words.2, hash.words.3]
        var chosen = Set<Int>()
        while chosen.count < bits { chosen.insert(Int(g.next() % 256)) }
        for bit in chosen { w[bit / 64] ^= 1 << UInt64(bit % 64) }
        return PDQHash(words: (w[0], w[1], w[2], w[3]))
    }

    static func video(_ hashes: [PDQHash], quality: (Int) -> Int = { _ in 90 }) -> [VPDQFrame] {
        hashes.enumerated().map { VPDQFrame(frameNumber: $0.offset * 30, pdq: $0.element, quality: quality($0.offset), timestamp: Double($0.offset)) }
    }

    /// A bank where every fifth video is a noisy copy of the query (some frames near, some far), a few frames of low
    /// quality, and duplicate frames; the index's shares must equal the pairwise ones for every video.
    @Test("index search equals brute force, video by video")
    func equalsBruteForce() {
        var g = Generator(state: 7)
        let query = (0..<40).map { _ in Self.randomHash(&g) }
        var videos: [(id: UInt64, frames: [VPDQFrame])] = []
        for v in 0..<300 {
            var hashes = (0..<30).map { _ in Self.randomHash(&g) }
            if v % 5 == 0 {
                for i in 0..<hashes.count where Int(g.next() % 3) != 0 {
                    hashes[i] = Self.flipped(query[Int(g.next() % 40)], bits: Int(g.next() % 40), &g)
                }
                hashes.append(hashes[0])  // a duplicate frame counts once
            }
            videos.append((UInt64(1000 + v), Self.video(hashes, quality: { $0 % 11 == 3 ? 40 : 90 })))
        }
        let policy = VPDQMatchPolicy(queryMatchPercent: 30, bankMatchPercent: 10)
        let index = VPDQIndex(videos: videos, policy: policy)
        let found = index.search(Self.video(query))
        var matched = 0
        for video in videos {
            let pair = VPDQMatcher.compare(query: Self.video(query), bank: video.frames, policy: policy)
            let viaIndex = found.first { $0.videoID == video.id }?.result
            if pair.queryMatchPercent == 0 {
                #expect(viaIndex == nil, "video \(video.id) listed without a matching frame")
            } else {
                #expect(viaIndex == pair, "video \(video.id): index \(String(describing: viaIndex)) vs pairwise \(pair)")
            }
            if pair.isMatch { matched += 1 }
        }
        #expect(matched > 10, "the bank should hold matching videos")
        #expect(found.filter(\.result.isMatch).count == matched)
    }

    @Test("frames under quality 50 and duplicates do not count; empty videos never match")
    func qualityAndDuplicates() {
        var g = Generator(state: 11)
        let a = Self.randomHash(&g), b = Self.randomHash(&g)
        let query = [VPDQFrame(frameNumber: 0, pdq: a, quality: 100, timestamp: 0), VPDQFrame(frameNumber: 1, pdq: a, quality: 100, timestamp: 1),
                     VPDQFrame(frameNumber: 2, pdq: b, quality: 20, timestamp: 2)]
        let bank = [VPDQFrame(frameNumber: 0, pdq: Self.flipped(a, bits: 31, &g), quality: 60, timestamp: 0)]
        let result = VPDQMatcher.compare(query: query, bank: bank)
        #expect(result == VPDQMatchResult(queryMatchPercent: 100, bankMatchPercent: 100, isMatch: true))
        let far = [VPDQFrame(frameNumber: 0, pdq: Self.flipped(a, bits: 32, &g), quality: 60, timestamp: 0)]
        #expect(!VPDQMatcher.compare(query: query, bank: far).isMatch)
        let lowQuality = [VPDQFrame(frameNumber: 0, pdq: a, quality: 49, timestamp: 0)]
        #expect(!VPDQMatcher.compare(query: query, bank: lowQuality).isMatch)
        #expect(VPDQIndex(videos: [(1, lowQuality)]).search(query).isEmpty)
    }

    /// 10,000 videos of 60 frames; a 60-frame query that is a noisy copy of one of them. The figure that counts is
    /// the release build's (docs/video.md); a debug build only checks the result.
    @Test("10,000 videos x 60 frames: a 60-frame query finds its video")
    func largeBank() {
        var g = Generator(state: 42)
        var videos: [(id: UInt64, frames: [VPDQFrame])] = []
        videos.reserveCapacity(10_000)
        for v in 0..<10_000 { videos.append((UInt64(v), Self.video((0..<60).map { _ in Self.randomHash(&g) }))) }
        let index = VPDQIndex(videos: videos)
        let query = Self.video(videos[4321].frames.map { Self.flipped($0.pdq, bits: Int(g.next() % 20), &g) })
        let clock = ContinuousClock()
        var found: [(videoID: UInt64, result: VPDQMatchResult)] = []
        let elapsed = clock.measure { for _ in 0..<5 { found = index.matches(query) } }
        print("vPDQ index: 10,000 videos x 60 frames, 60-frame query: \(elapsed / 5) per query")
        #expect(found.map(\.videoID) == [4321])
        #expect(found.first?.result.queryMatchPercent == 100)
        #if !DEBUG
        #expect(elapsed / 5 <= .milliseconds(20))
        #endif
    }
}
