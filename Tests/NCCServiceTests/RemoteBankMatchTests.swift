import Foundation
import NCCTestSupport
import Testing

/// `nccmatch match --server` across named banks: each match printed with the bank that matched, `--bank NAME`
/// restricting the request, an unknown name refused with the bank's code. The exchange bank is filled from a
/// pytx `local_file` by `nccmatch exchange fetch` while `serve` runs, as an operator would.
@Suite(.needsCLI) struct RemoteBankMatchTests {
    @Test func eachMatchIsPrintedWithItsBankAndBankRestrictsTheRequest() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-remotebanks")
        defer { dir.remove() }
        let dataPath = dir.url.appendingPathComponent("data")
        let data = ["--data", dataPath.path]
        let server = try ServerProcess(data: dataPath)
        defer { server.stop() }
        let key = try server.addPlatform("p")
        let url = server.base.absoluteString

        let imported = Fake.hex(64)
        let feed = dir.url.appendingPathComponent("feed.txt")
        try Data("pdq \(imported)\n".utf8).write(to: feed)
        for arguments in [["bank", "add", "shared-list"], ["exchange", "add", "file-feed", "--kind", "local_file", "--bank", "shared-list", "--endpoint", feed.path],
                          ["exchange", "fetch", "file-feed"]] {
            let run = try CLIRunner.run(arguments + data)
            #expect(run.status == 0, "\(arguments): \(run.stderr)")
        }
        let queries = dir.url.appendingPathComponent("queries.txt")
        try Data("\(Fake.flip(imported, bits: 5)),upload-1\n".utf8).write(to: queries)

        // The server follows the fetched hashes within about a second.
        var matches: [[String: Any]] = []
        for _ in 0..<100 where matches.isEmpty {
            let run = try CLIRunner.run(["match", "--server", url, "--api-key", key, queries.path])
            #expect(run.status == 0, "\(run.stderr)")
            matches = try run.jsonLines().first?["matches"] as? [[String: Any]] ?? []
            if matches.isEmpty { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(matches.count == 1)
        #expect(matches.first?["bank"] as? String == "shared-list", "\(matches)")
        let ref = try #require(matches.first?["id"] as? String)
        #expect(ref.hasPrefix("x_"))

        let text = try CLIRunner.run(["match", "--server", url, "--api-key", key, "--format", "text", "--bank", "shared-list", queries.path])
        #expect(text.status == 0 && text.lines == ["upload-1: \(ref) in shared-list"], "\(text.stdout) \(text.stderr)")
        let elsewhere = try CLIRunner.run(["match", "--server", url, "--api-key", key, "--bank", "cases", queries.path])
        let elsewhereMatches = try elsewhere.jsonLines().first?["matches"] as? [Any]
        #expect(elsewhere.status == 0 && elsewhereMatches?.isEmpty == true, "\(elsewhere.stdout)")
        let unknown = try CLIRunner.run(["match", "--server", url, "--api-key", key, "--bank", "no-such-bank", queries.path])
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown_bank"), "\(unknown.stderr)")
        let local = try CLIRunner.run(["match", "--bank", queries.path, "--bank", feed.path, queries.path])
        #expect(local.status != 0 && local.stderr.contains("one --bank FILE"), "\(local.stderr)")
    }
}
