import Foundation
import Testing
@testable import NCCEvaluation
import NCCHashing
import NCCTestSupport

@Suite("Evaluation run")
struct EvaluationRunTests {
    /// Writes synthetic pictures (never real ones) as PNG files with a manifest, runs the evaluation
    /// end to end, and checks the corpus bookkeeping and the obvious figures.
    @Test("a synthetic corpus with a manifest, end to end")
    func endToEnd() async throws {
        let folder = try TemporaryDirectory(prefix: "nccmatch-eval-test")
        defer { folder.remove() }
        let images = folder.url.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        let pictures: [(String, DecodedImage)] = [
            ("a.png", TestImages.textured(width: 96, height: 72)),
            ("a-small.png", LanczosResize.resize(TestImages.textured(width: 96, height: 72), width: 48, height: 36)),
            ("b.png", Geometry.rotateQuarter(TestImages.textured(width: 72, height: 96), quarterTurns: 1)),
        ]
        for (name, picture) in pictures {
            let encoded = try InMemoryEncoder.png(picture)
            let data = encoded.withUnsafeBytes { Data($0) }
            try data.write(to: images.appendingPathComponent(name))
        }
        try "file\tscene_group\na.png\tA\na-small.png\tA\nb.png\tB\nmissing.png\tC\n"
            .write(to: folder.url.appendingPathComponent("MANIFEST.tsv"), atomically: true, encoding: .utf8)

        let corpus = try Corpus.load(directory: folder.url.path)
        #expect(corpus.map(\.file) == ["a.png", "a-small.png", "b.png", "missing.png"])
        #expect(corpus.map(\.sceneGroup) == ["A", "A", "B", "C"])

        let options = EvaluationOptions(transforms: [.original, .jpeg(quality: 90), .mirrorHorizontal], jobs: 2, minimumQuality: 0)
        let outcome = await RobustnessEvaluator.run(images: corpus, options: options)
        let report = outcome.report
        #expect(report.corpus.evaluated == 3)
        #expect(report.corpus.skipped.map(\.file) == ["missing.png"])
        #expect(report.corpus.skipped.first?.reason == "file_unreadable")
        // a and a-small share a group: only the pairs with b count (a-b, a-small-b, b-a, b-a-small).
        #expect(report.corpus.differentImagePairs == 4)
        let pdq = try #require(report.signals.first { $0.id == "pdq" })
        #expect(pdq.transforms[0].recallAtDefault == 1)
        #expect(pdq.transforms[0].histogram == [3])
        let pixels = try #require(report.signals.first { $0.id == "pdq-dihedral-bank-pixels" })
        #expect(pixels.transforms[2].recallAtDefault == 1) // an exact mirror hashes like a stored variant
        #expect(outcome.detailsCSV.split(separator: "\n").count == 1 + 3 * 3)

        let out = folder.url.appendingPathComponent("report")
        try ReportWriter.write(report, details: outcome.detailsCSV, to: out.path)
        for name in ["report.json", "report.csv", "report.html", "details.csv"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path))
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any]
        #expect((json?["signals"] as? [Any])?.count == MatchSignal.allCases.count)
    }

    @Test("a missing folder and a manifest without a file column are refused with stable codes")
    func errors() throws {
        #expect(throws: EvaluationError.self) { try Corpus.load(directory: "/nonexistent/nccmatch") }
        do { _ = try Corpus.load(directory: "/nonexistent/nccmatch") } catch { #expect(error.code == "images_not_found") }
        let folder = try TemporaryDirectory(prefix: "nccmatch-eval-test")
        defer { folder.remove() }
        try "name\tscene_group\nx.png\tA\n".write(to: folder.url.appendingPathComponent("MANIFEST.tsv"), atomically: true, encoding: .utf8)
        do { _ = try Corpus.load(directory: folder.url.path); Issue.record("no error") } catch { #expect(error.code == "manifest_invalid") }
    }
}
