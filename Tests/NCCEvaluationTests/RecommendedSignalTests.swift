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
}
