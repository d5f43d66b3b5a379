import Foundation
import NCCTestSupport
import Testing

/// `nccmatch match` and `nccmatch bench` run as a user runs them (through the one shared `CLIRunner`);
/// skipped with the reason when the executable is not built, failing under `CI=true`.
@Suite(.needsCLI) struct MatchCLITests {
    @Test func matchReadsTextAndJSONLinesAndAnswersInOrder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let a = String(repeating: "0", count: 64)
        let b = String(repeating: "f", count: 64)
        let nearA = "000000000000000f" + String(repeating: "0", count: 48)  // 4 bits from a
        let bank = dir.url.appendingPathComponent("bank.csv")
        try "pdq,id\n# the bank\n\(a),case-a\n\(b)\n\n".write(to: bank, atomically: true, encoding: .utf8)
        let queries = dir.url.appendingPathComponent("queries.jsonl")
        try """
            {"path":"up.jpg","md5":"x","pdq":"\(nearA)","pdq_quality":90,"pdq_dihedral":["\(b)"],"phash":"0000000000000000"}
            {"path":"other.jpg","pdq":"\(String(repeating: "5", count: 64))","pdq_quality":90}

            """.write(to: queries, atomically: true, encoding: .utf8)
        let plain = try CLIRunner.run(["match", "--bank", bank.path, queries.path])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout == """
            {"query":"up.jpg","matches":[{"id":"case-a","distance":4}]}
            {"query":"other.jpg","matches":[]}

            """)
        let dihedral = try (CLIRunner.run(["match", "--dihedral", "--max-distance", "3", "--bank", bank.path, queries.path]))
        #expect(dihedral.stdout.hasPrefix("{\"query\":\"up.jpg\",\"matches\":[{\"id\":4,\"distance\":0}]}"), "\(dihedral.stdout)")
    }

    /// Escaped quotes and backslashes in JSON strings, in fields that are read (the path) and in fields that
    /// are skipped, are followed exactly: the string ends at its real closing quote.
    @Test func matchReadsEscapedJSONStrings() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let a = String(repeating: "0", count: 64)
        let bank = dir.url.appendingPathComponent("bank.jsonl")
        let lines = [
            #"{"path":"dir\\my \"best\" picture.jpg","note":"a \"quoted\", \\ note","pdq":"\#(a)","pdq_quality":90}"#,
            #"{"note":"ends with a backslash \\","path":"plain.jpg","pdq":"\#(String(repeating: "f", count: 64))","pdq_quality":90}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(to: bank, atomically: true, encoding: .utf8)
        let query = dir.url.appendingPathComponent("query.txt")
        try "\(a),q\n".write(to: query, atomically: true, encoding: .utf8)
        let run = try CLIRunner.run(["match", "--bank", bank.path, query.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == #"{"query":"q","matches":[{"id":"dir\\my \"best\" picture.jpg","distance":0}]}"# + "\n", "\(run.stdout)")
    }

    @Test func matchRefusesMalformedLinesWithFileAndLine() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bank = dir.url.appendingPathComponent("bank.txt")
        try "\(String(repeating: "a", count: 64))\nnot-hex-at-all-but-long\n\(String(repeating: "b", count: 63))\n".write(to: bank, atomically: true, encoding: .utf8)
        let run = try CLIRunner.run(["match", "--bank", bank.path, bank.path])
        // Bad lines are named with file and line and skipped; the rest is still matched; the status says so.
        #expect(run.status == 1)
        #expect(run.stderr.contains("bank.txt:2:") && run.stderr.contains("bank.txt:3:"), "\(run.stderr)")
        #expect(run.stdout.contains("{\"query\":1,\"matches\":[{\"id\":1,\"distance\":0}]}"), "\(run.stdout)")
    }

    @Test func benchBaselineDetectsRegressions() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let baseline = dir.url.appendingPathComponent("baseline.json")
        let args = ["bench", "--entries", "3000", "--queries", "50", "--writes", "20", "--flat-queries", "10"]
        let first = try CLIRunner.run(args + ["--output", baseline.path])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("\"recall\" : 1"))
        // Pretend the stored build was a thousand times faster: this run must be flagged.
        var text = try String(contentsOf: baseline, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"cpu_queries_per_second\" : ", with: "\"cpu_queries_per_second\" : 1000")
        try text.write(to: baseline, atomically: true, encoding: .utf8)
        let second = try (CLIRunner.run(args + ["--baseline", baseline.path]))
        #expect(second.status == 3, "\(second.stderr)")
        #expect(second.stderr.contains("index.cpu_queries_per_second"))
    }

    /// An image query also sends its hash without uniform borders: a letterboxed re-post matches the original.
    @Test(.needsShared) func matchFindsALetterboxedCopyOfABankPicture() throws {
        let shared = try TestPaths.requireShared()
        let resources = shared.appendingPathComponent("pdq-vectors/python-threatexchange/threatexchange/tests/hashing/resources")
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let bank = folder.url.appendingPathComponent("bank.txt")
        // pytx's published PDQ of sample-b.jpg (shared/pdq-vectors/expected-hashes.csv).
        try Data("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,sample-b\n".utf8).write(to: bank)
        let boxed = resources.appendingPathComponent("letterboxed_sample-b.jpg").path
        let result = try CLIRunner.run(["match", "--bank", bank.path, boxed])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let matches = try #require(try result.jsonLines().first?["matches"] as? [[String: Any]])
        #expect(matches.first?["id"] as? String == "sample-b", "the letterboxed copy matches the original: \(result.stdout)")
    }
}
