import Foundation
import NCCEvaluation
import NCCHashing
import NCCTestSupport
import Testing

/// A platform's hash lists: `nccmatch match` over a list written by `hash --match-variants` sends the companion
/// hashes exactly as an image query does, and a bad line is reported and skipped, never aborting the rest.
@Suite(.needsCLI) struct ClientHashListTests {
    let samples = TestPaths.packageRoot.appendingPathComponent("Samples/images")

    /// A letterboxed copy of `name`, written as JPEG into `dir`.
    func letterboxed(_ name: String, in dir: URL) throws -> URL {
        let original = samples.appendingPathComponent(name)
        let decoded = try Data(contentsOf: original).withUnsafeBytes { try ImageDecoder.decode($0, options: DecodeOptions()) }
        let encoded = try InMemoryEncoder.jpeg(try ImageTransform.letterbox(percent: 20).apply(to: decoded), quality: 90)
        let copy = dir.appendingPathComponent("letterboxed.jpg")
        try encoded.withUnsafeBytes { try Data($0).write(to: copy) }
        return copy
    }

    @Test func aHashListWithCompanionsMatchesLikeTheImage() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-variants")
        defer { dir.remove() }
        let name = "scikit-image__astronaut.png"
        let bank = dir.url.appendingPathComponent("bank.jsonl")
        try Data(try CLIRunner.run(["hash", "--format", "jsonl", samples.appendingPathComponent(name).path]).stdout.utf8).write(to: bank)
        let copy = try letterboxed(name, in: dir.url)

        let asImage = try CLIRunner.run(["match", "--bank", bank.path, copy.path])
        #expect(asImage.status == 0, "\(asImage.stderr)")
        let imageMatches = try #require(try asImage.jsonLines().first?["matches"] as? [[String: Any]])
        #expect(imageMatches.count == 1, "the image query finds the letterboxed copy: \(asImage.stdout)")

        for (format, flags) in [("jsonl", ["--match-variants"]), ("jsonl", ["--unletterbox"]), ("csv", ["--match-variants"])] {
            let list = dir.url.appendingPathComponent("uploads.\(format)")
            try Data(try CLIRunner.run(["hash", "--format", format] + flags + [copy.path]).stdout.utf8).write(to: list)
            let asList = try CLIRunner.run(["match", "--bank", bank.path, list.path])
            #expect(asList.status == 0, "\(asList.stderr)")
            let listMatches = try #require(try asList.jsonLines().first?["matches"] as? [[String: Any]])
            #expect(listMatches.map { $0["distance"] as? Int } == imageMatches.map { $0["distance"] as? Int },
                    "\(flags): the hash list matches as the image does: \(asList.stdout) vs \(asImage.stdout)")
        }

        // Without companions the plain hash alone misses it: the check above is not vacuous.
        let plain = dir.url.appendingPathComponent("plain.jsonl")
        try Data(try CLIRunner.run(["hash", "--format", "jsonl", copy.path]).stdout.utf8).write(to: plain)
        let missed = try CLIRunner.run(["match", "--bank", bank.path, plain.path])
        #expect((try missed.jsonLines().first?["matches"] as? [Any])?.isEmpty == true, "\(missed.stdout)")
    }

    /// `hash --format csv` output reads back as a hash list, by its header's column names; a quoted path with a
    /// comma, a quote and a line break stays one id.
    @Test func theHashCSVReadsBackAsAHashList() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-csvlist")
        defer { dir.remove() }
        let odd = dir.url.appendingPathComponent("a,b\"c\nd.jpg")
        try FileManager.default.copyItem(at: samples.appendingPathComponent("scikit-image__rocket.jpg"), to: odd)
        let csv = dir.url.appendingPathComponent("hashes.csv"), jsonl = dir.url.appendingPathComponent("hashes.jsonl")
        try Data(try CLIRunner.run(["hash", "--format", "csv", odd.path, samples.path]).stdout.utf8).write(to: csv)
        try Data(try CLIRunner.run(["hash", "--format", "jsonl", odd.path, samples.path]).stdout.utf8).write(to: jsonl)
        for algorithm in ["pdq", "phash"] {
            let fromCSV = try CLIRunner.run(["match", "--algorithm", algorithm, "--bank", jsonl.path, csv.path])
            let fromJSON = try CLIRunner.run(["match", "--algorithm", algorithm, "--bank", csv.path, jsonl.path])
            #expect(fromCSV.status == 0 && fromJSON.status == 0, "\(fromCSV.stderr) \(fromJSON.stderr)")
            #expect(fromCSV.stdout == fromJSON.stdout, "the same entries, ids and matches either way")
            #expect(try fromCSV.jsonLines().first?["query"] as? String == odd.path)
        }
    }

    @Test func aBadLineIsReportedAndSkippedAndTheRestMatched() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-badline")
        defer { dir.remove() }
        let a = String(repeating: "a", count: 64), b = String(repeating: "b", count: 64)
        let bank = dir.url.appendingPathComponent("bank.txt")
        try "\(a),A\nnot-hex-at-all-but-long\n\(b),B\n".write(to: bank, atomically: true, encoding: .utf8)
        let queries = dir.url.appendingPathComponent("queries.jsonl")
        try """
            {"path":"one.jpg","pdq":"\(a)"}
            {"path":"broken.jpg","pdq":"xyz"}
            {"path":"two.jpg","pdq":"\(b)","pdq_caption_masked":{"top":"nothex"}}
            {"path":"three.jpg","pdq":"\(b)"}

            """.write(to: queries, atomically: true, encoding: .utf8)
        let run = try CLIRunner.run(["match", "--bank", bank.path, queries.path])
        #expect(run.status == 1, "a skipped line makes the status 1 at the end")
        #expect(run.stderr.contains("bank.txt:2:"), "\(run.stderr)")
        #expect(run.stderr.contains("queries.jsonl:2:") && run.stderr.contains("queries.jsonl:3:"), "\(run.stderr)")
        let lines = try run.jsonLines()
        #expect(lines.map { $0["query"] as? String } == ["one.jpg", "three.jpg"], "\(run.stdout)")
        #expect((lines.last?["matches"] as? [[String: Any]])?.first?["id"] as? String == "B", "the bank's later lines are kept")

        // A query file that cannot be read is reported; the other queries are still matched.
        let missing = dir.url.appendingPathComponent("missing.txt").path
        let partial = try CLIRunner.run(["match", "--bank", bank.path, missing, queries.path])
        #expect(partial.status == 1 && partial.stderr.contains("missing.txt"))
        #expect(try partial.jsonLines().count == 2)
    }
}
