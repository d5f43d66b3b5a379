import Foundation
import NCCEvaluation
import NCCHashing
import NCCTestSupport
import Testing

/// What the recommended matching buys on the corpus pictures it was chosen for: the copies plain PDQ
/// misses come back within the match distance, through the public evaluation API.
@Suite("Recommended signal")
struct RecommendedSignalTests {
    func measure(_ file: String, _ transforms: [ImageTransform]) throws -> ImageMeasurement {
        let path = try #require(TestPaths.shared).appendingPathComponent("corpus/images/\(file)").path
        let options = EvaluationOptions(transforms: transforms, jobs: 1, cropAugmentation: [])
        switch RobustnessEvaluator.measure(path: path, options: options) {
        case .success(let m): return m
        case .failure(let e): Issue.record("\(file): \(e.code)"); throw e
        }
    }

    /// A fine texture blurred with sigma 3 (50 bits away in plain PDQ) matches through the low-passed hashes.
    @Test(.enabled(if: TestPaths.runSharedTests, "needs ../shared beside the checkout")) func aBlurredFineTextureMatches() throws {
        _ = try TestPaths.requireShared()
        let m = try measure("scikit-image__brick.png", [.blur(tenths: 30)])
        let copy = try #require(m.copies[0])
        let plain = MatchSignal.pdqPixelsUnletterbox.distance(copy, m.bank)
        let recommended = MatchSignal.pdqRecommended.distance(copy, m.bank)
        #expect(plain > 31, "plain: \(plain) bits")
        #expect(recommended <= 31, "recommended: \(recommended) bits")
        let lowPassed = try #require(copy.lowPassed), stored = try #require(m.bank.lowPassed)
        #expect(lowPassed.distance(to: stored) == recommended, "the low-passed pair is the one that matches")
    }

    /// Caption bars over the top or the bottom match through the caption masks.
    @Test(.enabled(if: TestPaths.runSharedTests, "needs ../shared beside the checkout"), arguments: [ImageTransform.captionBar(percent: 15), .captionBar(percent: 25), .captionBarBottom(percent: 15)])
    func aCaptionedCopyMatches(_ transform: ImageTransform) throws {
        _ = try TestPaths.requireShared()
        let m = try measure("mate-backgrounds__Wood.jpg", [transform])
        let copy = try #require(m.copies[0])
        #expect(MatchSignal.pdqPixelsUnletterbox.distance(copy, m.bank) > 31)
        #expect(MatchSignal.pdqRecommended.distance(copy, m.bank) <= 16)
        #expect(m.bank.captionMasked.count == 2 && copy.captionMasked.count == 2)
    }
    /// What the service's index counts: the picture's own stored PDQ (the first) at any distance, another stored
    /// hash only within `companionMaxDistance`; the smallest such distance wins.
    @Test func aCompanionCountsOnlyWithinItsDistance() {
        func flipped(_ base: PDQHash, _ bits: Int) -> PDQHash {
            var w = [base.words.0, base.words.1, base.words.2, base.words.3]
            for b in 0..<bits { w[b / 64] ^= 1 << UInt64(b % 64) }
            return PDQHash(words: (w[0], w[1], w[2], w[3]))
        }
        let own = PDQHash(words: (0, 0, 0, 0)), companion = PDQHash(words: (~0, ~0, 0, 0))  // 128 bits apart
        let policy = MatchingPolicy.standard, limit = MatchingPolicy.companionMaxDistance
        #expect(policy.matchDistance(sent: [flipped(own, 30)], stored: [own, companion]) == 30)
        #expect(policy.matchDistance(sent: [flipped(companion, limit)], stored: [own, companion]) == limit)
        // One bit further the companion no longer counts: only the own hash answers, 128 - (limit + 1) bits away.
        #expect(policy.matchDistance(sent: [flipped(companion, limit + 1)], stored: [own, companion]) == 128 - limit - 1)
        // The same hash stored first is the picture's own and counts at any distance.
        #expect(policy.matchDistance(sent: [flipped(companion, limit + 1)], stored: [companion, own]) == limit + 1)
        // Every sent hash is tried; the smallest counted distance wins.
        #expect(policy.matchDistance(sent: [flipped(own, 40), flipped(companion, 3)], stored: [own, companion]) == 3)
        #expect(policy.matchDistance(sent: [PDQHash](), stored: [own]) == 256)
    }

    /// Each sent hash reaches as its kind does: the masked and low-passed forms only the stored companions (within
    /// `companionMaxDistance`), the upload and the regions found in it the own PDQ at the full distance too; every
    /// kind `queryPDQKinds` gives is one the service accepts.
    @Test func aSentHashReachesAsItsKindDoes() throws {
        let policy = MatchingPolicy.standard
        let own = PDQHash(words: (0, 0, 0, 0)), companion = PDQHash(words: (~0, ~0, 0, 0))
        func flipped(_ base: PDQHash, _ bits: Int) -> PDQHash {
            var w = [base.words.0, base.words.1, base.words.2, base.words.3]
            for b in 0..<bits { w[b / 64] ^= 1 << UInt64(b % 64) }
            return PDQHash(words: (w[0], w[1], w[2], w[3]))
        }
        func sent(_ kind: String, _ hash: PDQHash) -> [KindedPDQ] { [KindedPDQ(kind: kind, hash: hash)] }
        #expect(policy.matchDistance(sent: sent("caption-masked-top", flipped(own, 2)), stored: [own, companion]) == 256)
        #expect(policy.matchDistance(sent: sent("low-passed", flipped(companion, 21)), stored: [own, companion]) == 21)
        #expect(policy.matchDistance(sent: sent("photo-region", flipped(own, 30)), stored: [own, companion]) == 30)
        #expect(policy.matchDistance(sent: sent("collage-tile-3", flipped(own, 30)), stored: [own, companion]) == 30)
        for kind in MatchingPolicy.companionOnlyKinds { #expect(!MatchingPolicy.reach(ofSentKind: kind).own, "\(kind)") }
        #expect(MatchingPolicy.reach(ofSentKind: nil) == .full)

        var picture = PDQCompanions(pdq: own)
        picture.dihedral = (0..<8).map { flipped(own, $0) }
        picture.unletterboxed = flipped(own, 40)
        picture.unletterboxedDihedral = (0..<8).map { flipped(own, 40 + $0) }
        picture.captionMasked = [flipped(own, 50), flipped(own, 51)]
        picture.lowPassed = flipped(own, 52)
        picture.cornerMasked = flipped(own, 53)
        picture.photoRegion = flipped(own, 54)
        picture.photoRegionCornerMasked = flipped(own, 55)
        picture.collageTiles = [flipped(own, 56), flipped(own, 57), flipped(own, 58)]
        let kinds = policy.queryPDQKinds(picture, dihedral: true).map(\.kind)
        #expect(kinds.count == 25)
        for kind in kinds { #expect(MatchingPolicy.isQueryKind(kind), "\(kind)") }
        for kind in ["", "PDQ", "pixel-rotate90", "center-crop-1:1", "dct-identity", "collage-tile-0", "collage-tile-x", "caption-masked"] {
            #expect(!MatchingPolicy.isQueryKind(kind), "\(kind)")
        }
    }
}
