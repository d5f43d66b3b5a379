import Testing
@testable import NCCEvaluation
import NCCHashing

@Suite("Statistics")
struct StatisticsTests {
    @Test("histogram: counts, cumulative, shares, median, distance for a share")
    func histogram() {
        var h = DistanceHistogram(bits: 8)
        for d in [0, 1, 1, 3, 8] { h.add(d) }
        #expect(h.total == 5)
        #expect(h.cumulative == [1, 3, 3, 4, 4, 4, 4, 4, 5])
        #expect(h.countAtOrBelow(2) == 3 && h.countAtOrBelow(-1) == 0 && h.countAtOrBelow(100) == 5)
        #expect(h.rateAtOrBelow(1) == 0.6)
        #expect(h.median == 1)               // sorted 0 1 1 3 8: the third is 1
        #expect(h.distance(forShare: 0.8) == 3)  // 4 of 5 = 80% at distance 3
        #expect(h.distance(forShare: 0.99) == 8) // all 5 only at 8
        #expect(h.smallest == 0 && h.largest == 8)
        #expect(DistanceHistogram(bits: 4).distance(forShare: 0.5) == nil)
    }

    /// A hand-checked evaluation of three pictures with pHash only (the other hashes are all zero).
    ///
    /// Pictures 0 and 1 share scene group "a"; picture 2 is in "b". Bank pHashes:
    /// b0 = 0x0, b1 = 0xFF (8 bits), b2 = 0xFFFFFFFF (32 bits). Two transforms, original and grayscale:
    ///
    ///     picture  original copy  d(own)   grayscale copy          d(own)
    ///     0        0x0            0        0x7                     3
    ///     1        0xFF           0        0x1FF                   1
    ///     2        0xFFFFFFFF     0        0xFFFFFFFF00000000      64
    ///
    /// Recall at 8: original 3/3, grayscale 2/3; distance for 99%: 0 and 64; grayscale median (lower) 3.
    /// Different-picture pairs (the pair 0-1 is excluded, same group): (0,2) (1,2) (2,0) (2,1), times 2 copies = 8:
    ///   copies of 0 vs b2: 0x0^0xFFFFFFFF = 32, 0x7^0xFFFFFFFF = 29
    ///   copies of 1 vs b2: 0xFF -> 24, 0x1FF -> 23
    ///   copies of 2 vs b0: 32, 32;  vs b1: 0xFFFFFFFF^0xFF = 24, 0xFFFFFFFF00000000^0xFF = 40
    /// Smallest false distance 23, so the recommended distance stays the default 8, with 0 false matches.
    /// Originals only: 32, 24, 32, 24 -> smallest 24.
    /// Trade-off at 24: positives <= 24 are 5 of 6; negatives <= 24 are 23, 24, 24 = 3 of 8;
    /// precision 5 / (5 + 3) = 0.625.
    @Test("a tiny corpus, checked by hand")
    func handChecked() throws {
        func sig(_ phash: UInt64) -> ImageSignature {
            let zero = PDQHash(words: (0, 0, 0, 0))
            return ImageSignature(pdq: zero, quality: 100, dihedral: Array(repeating: zero, count: 8), phash: Hash64(phash), dhash: Hash64(0))
        }
        func measurement(bank: UInt64, copies: [UInt64]) -> Result<ImageMeasurement, EvaluationError> {
            .success(ImageMeasurement(bank: BankEntry(original: sig(bank)), copies: copies.map { QueryCopy(plain: sig($0)) }))
        }
        let images = [
            CorpusImage(file: "p0", path: "", sceneGroup: "a"), CorpusImage(file: "p1", path: "", sceneGroup: "a"),
            CorpusImage(file: "p2", path: "", sceneGroup: "b"), CorpusImage(file: "broken", path: "", sceneGroup: "c"),
        ]
        let measurements = [
            measurement(bank: 0x0, copies: [0x0, 0x7]),
            measurement(bank: 0xFF, copies: [0xFF, 0x1FF]),
            measurement(bank: 0xFFFF_FFFF, copies: [0xFFFF_FFFF, 0xFFFF_FFFF_0000_0000]),
            .failure(EvaluationError(code: "corrupt_data", message: "")),
        ]
        let options = EvaluationOptions(transforms: [.original, .grayscale], cropAugmentation: [])
        let report = RobustnessEvaluator.summarize(images: images, measurements: measurements, options: options)

        #expect(report.corpus.images == 4 && report.corpus.evaluated == 3 && report.corpus.sceneGroups == 2)
        #expect(report.corpus.skipped == [.init(file: "broken", reason: "corrupt_data")])
        #expect(report.corpus.differentImagePairs == 4)

        let phash = try #require(report.signals.first { $0.id == "phash" })
        #expect(phash.recommendedDistance == 8)
        let original = phash.transforms[0], gray = phash.transforms[1]
        #expect(original.recallAtDefault == 1 && original.distanceFor99 == 0)
        #expect(abs(gray.recallAtDefault - 2.0 / 3.0) < 1e-12)
        #expect(gray.distanceFor99 == 64 && gray.medianDistance == 3 && gray.maxDistance == 64)
        #expect(phash.falseMatches.comparisons == 8 && phash.falseMatches.smallestDistance == 23)
        #expect(phash.falseMatches.countAtDefault == 0 && phash.falseMatches.countAtRecommended == 0)
        #expect(phash.falseMatchesOriginals.comparisons == 4 && phash.falseMatchesOriginals.smallestDistance == 24)
        let at24 = phash.tradeOff[24]
        #expect(abs(at24.recall - 5.0 / 6.0) < 1e-12 && at24.falseMatchRate == 3.0 / 8.0 && at24.precision == 0.625)

        // All PDQ hashes are equal (zero), so different pictures collide at 0: no distance can be recommended.
        let pdq = try #require(report.signals.first { $0.id == "pdq" })
        #expect(pdq.recommendedDistance == nil)
        #expect(pdq.falseMatches.smallestDistance == 0)

        // The writers accept it.
        let csv = ReportWriter.csv(report)
        #expect(csv.contains("phash,grayscale,3,8,0.6667,8,0.6667,64,3,64"))
        #expect(csv.contains("phash,different-images,8,8,0.0000,8,0.0000,,,23"))
        let html = HTMLReport.render(report)
        #expect(html.contains("<svg") && !html.contains("<script") && !html.contains("http://fonts"))
        _ = try ReportWriter.json(report)
    }

    @Test("pictures of a scene group are never paired; sampling is exact in size and deterministic")
    func sampler() {
        let groups = ["a", "a", "b", "c", "c", "c"]
        let all = PairSampler(groups: groups).pairs()
        // sizes 2, 1, 3 of 6: 2*4 + 1*5 + 3*3 = 22 ordered pairs
        #expect(all.count == 22 && PairSampler(groups: groups).eligibleCount == 22)
        #expect(all.allSatisfy { groups[$0.query] != groups[$0.bank] })
        let sampled = PairSampler(groups: groups, limit: 10).pairs()
        #expect(sampled.count == 10)
        #expect(sampled.allSatisfy { groups[$0.query] != groups[$0.bank] })
        #expect(Set(sampled.map { $0.query * 6 + $0.bank }).count == 10)
        #expect(sampled.map { $0.query * 6 + $0.bank } == PairSampler(groups: groups, limit: 10).pairs().map { $0.query * 6 + $0.bank })
    }
}
