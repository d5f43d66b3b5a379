import Foundation
import NCCTestSupport
import NCCVideo
import Testing

/// With the default one frame a second and pytx's thresholds: each sample video matches itself and its grey, sepia
/// and small-logo versions; the three scenes (chair, pattern, doorknob) never match one another.
@Suite("vPDQ matching of Meta's sample videos")
struct VPDQSampleMatchingTests {
    static let versions: [(original: String, copies: [String])] = [
        ("chair-orig-22-sd-bar", ["chair-22-sd-grey-bar", "chair-22-sd-sepia-bar", "chair-22-with-small-logo-bar"]),
        // The pattern scene's SD versions have no ungraded SD original (pattern-hd-no-bar is framed differently):
        // its grey and small-logo versions must match each other.
        ("pattern-sd-grey-bar", ["pattern-sd-with-small-logo-bar"]),
    ]

    static func scene(_ name: String) -> String { String(name.prefix { $0 != "-" }) }

    @Test("itself and its grey, sepia and small-logo versions match; different scenes never do", .needsShared)
    func versionsMatchScenesDoNot() throws {
        var hashes: [String: [VPDQFrame]] = [:]
        for name in try VideoSamples.names() {
            hashes[name] = try VPDQHasher.hash(path: VideoSamples.videoPath(name)).frames
        }
        let policy = VPDQMatchPolicy()
        for (name, frames) in hashes {
            let itself = VPDQMatcher.compare(query: frames, bank: frames, policy: policy)
            #expect(itself.isMatch && itself.queryMatchPercent == 100, "\(name) does not match itself")
        }
        for (original, copies) in Self.versions {
            for copy in copies {
                for (query, bank) in [(original, copy), (copy, original)] {
                    let result = VPDQMatcher.compare(query: try #require(hashes[query]), bank: try #require(hashes[bank]), policy: policy)
                    #expect(result.isMatch, "\(query) against \(bank): \(result)")
                }
            }
        }
        // Index search agrees with the pairwise comparison, and no scene matches another.
        let names = hashes.keys.sorted()
        let index = VPDQIndex(videos: names.enumerated().map { (UInt64($0.offset), hashes[$0.element]!) }, policy: policy)
        for query in names {
            let found = index.search(hashes[query]!)
            for (bankSlot, bank) in names.enumerated() {
                let pair = VPDQMatcher.compare(query: hashes[query]!, bank: hashes[bank]!, policy: policy)
                let viaIndex = found.first { $0.videoID == UInt64(bankSlot) }?.result
                    ?? VPDQMatchResult(queryMatchPercent: 0, bankMatchPercent: 0, isMatch: false)
                if pair.queryMatchPercent > 0 { #expect(viaIndex == pair, "\(query) against \(bank)") } else { #expect(viaIndex.queryMatchPercent == 0) }
                if Self.scene(query) != Self.scene(bank) {
                    #expect(!pair.isMatch, "different scenes matched: \(query) against \(bank): \(pair)")
                }
            }
        }
    }
}
