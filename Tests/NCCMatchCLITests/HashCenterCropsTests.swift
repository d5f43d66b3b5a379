import Foundation
import NCCTestSupport
import Testing

/// `nccmatch hash --center-crops`: the platform aspect-ratio crops a case stores (issue 14).
@Suite(.needsCLI) struct HashCenterCropsTests {
    let samples = TestPaths.packageRoot.appendingPathComponent("Samples/images")

    @Test func jsonLinesListTheCropsAndASquarePictureGetsNoSquareCrop() throws {
        let square = samples.appendingPathComponent("scikit-image__astronaut.png").path // 512x512
        let wide = samples.appendingPathComponent("scikit-image__chelsea.png").path // 451x300
        let result = try CLIRunner.run(["hash", "--format", "jsonl", "--center-crops", square, wide])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let records = try result.jsonLines()
        #expect(records.count == 2)
        func crops(_ record: [String: Any]) throws -> [[String: Any]] { try #require(record["pdq_center_crops"] as? [[String: Any]]) }
        #expect(try crops(records[0]).map { $0["aspect"] as? String } == ["4:5", "9:16", "16:9"])
        #expect(try crops(records[1]).map { $0["aspect"] as? String } == ["1:1", "4:5", "9:16", "16:9"])
        for crop in try crops(records[0]) + crops(records[1]) {
            let pdq = try #require(crop["pdq"] as? String)
            #expect(pdq.count == 64 && pdq.allSatisfy { "0123456789abcdef".contains($0) })
            #expect((0...100).contains(try #require(crop["quality"] as? Int)))
            #expect(pdq != records[0]["pdq"] as? String && pdq != records[1]["pdq"] as? String)
        }
        let plain = try CLIRunner.run(["hash", "--format", "jsonl", square, wide]).jsonLines()
        for (with, without) in zip(records, plain) {
            #expect(without["pdq_center_crops"] == nil, "only asked for")
            for key in ["pdq", "pdq_quality", "phash", "dhash"] {
                #expect(with[key].map { String(describing: $0) } == without[key].map { String(describing: $0) }, "\(key) unchanged")
            }
        }
    }

    @Test func csvPutsTheCropsInTheLastColumn() throws {
        let square = samples.appendingPathComponent("scikit-image__astronaut.png").path
        let result = try CLIRunner.run(["hash", "--format", "csv", "--center-crops", square])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let header = result.lines[0].split(separator: ",", omittingEmptySubsequences: false)
        #expect(header.last == "pdq_center_crops")
        let row = result.lines[1].split(separator: ",", omittingEmptySubsequences: false)
        #expect(row.count == header.count)
        let cells = row.last!.split(separator: " ").map { $0.split(separator: "/") }
        #expect(cells.map { String($0[0]) } == ["4:5", "9:16", "16:9"])
        #expect(cells.allSatisfy { $0.count == 3 && $0[1].count == 64 })
    }
}
