import Foundation
import NCCTestSupport
import NCCEvaluation
import NCCHashing
import Testing

/// The client commands against a running server: `case submit|status|withdraw`, and `match --server`
/// printing the same lines as a local `match`.
@Suite(.needsCLI) struct ClientCommandTests {
    @Test func submitMatchStatusWithdraw() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-client")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url.appendingPathComponent("data"))
        defer { server.stop() }
        let key = try server.addPlatform("p")
        let images = TestPaths.packageRoot.appendingPathComponent("Samples/images").path
        let url = server.base.absoluteString

        let submit = try CLIRunner.run(["case", "submit", "--server", url, images])
        #expect(submit.status == 0, "\(submit.stderr)")
        #expect(submit.stdout.contains("Only these hashes were sent, never the pictures"))
        #expect(submit.stdout.contains("Keep the case id and the secret somewhere safe") || submit.stdout.contains("keep the case id and the secret somewhere safe"))
        let caseID = try #require(submit.stdout.split(separator: "\n").first { $0.contains("Case id:") }?.split(separator: " ").last.map(String.init))
        let secret = try #require(submit.stdout.split(separator: "\n").first { $0.contains("Secret:") }?.split(separator: " ").last.map(String.init))

        // Remote match prints the local match's lines, with match references as bank ids.
        let bank = dir.url.appendingPathComponent("bank.jsonl")
        let hashed = try CLIRunner.run(["hash", "--format", "jsonl", images])
        try Data(hashed.stdout.utf8).write(to: bank)
        let local = try CLIRunner.run(["match", "--bank", bank.path, images])
        let remote = try CLIRunner.run(["match", "--server", url, "--api-key", key, images])
        #expect(local.status == 0 && remote.status == 0, "\(remote.stderr)")
        let localLines = try local.jsonLines(), remoteLines = try remote.jsonLines()
        #expect(localLines.count == remoteLines.count)
        for (l, r) in zip(localLines, remoteLines) {
            #expect(l["query"] as? String == r["query"] as? String)
            let lm = l["matches"] as? [[String: Any]] ?? [], rm = r["matches"] as? [[String: Any]] ?? []
            #expect(lm.count == rm.count)
            // The bank discloses a distance only to platforms granted it; when it does, it is the local one.
            for (a, b) in zip(lm, rm) where b["distance"] != nil {
                #expect(a["distance"] as? Int == b["distance"] as? Int)
            }
            #expect(rm.allSatisfy { ($0["id"] as? String)?.hasPrefix("m_") == true })
        }
        // Without a disclosed distance the text says none either.
        let remoteText = try CLIRunner.run(["match", "--server", url, "--api-key", key, "--format", "text", images])
        #expect(remoteText.status == 0, "\(remoteText.stderr)")
        if remoteLines.allSatisfy({ ($0["matches"] as? [[String: Any]] ?? []).allSatisfy { $0["distance"] == nil } }) {
            #expect(!remoteText.stdout.contains("distance"), "\(remoteText.stdout)")
            #expect(remoteText.stdout.contains(": m_"), "\(remoteText.stdout)")
        }

        let status = try CLIRunner.run(["case", "status", "--server", url, "--secret", secret, caseID])
        #expect(status.status == 0 && status.stdout.contains("found on 1 platform"), "status: \(status.stdout) \(status.stderr)")
        let wrong = try CLIRunner.run(["case", "status", "--server", url, caseID], environment: ["NCCMATCH_CASE_SECRET": "nope"])
        #expect(wrong.status == 1 && wrong.stderr.contains("do not fit together"))
        let withdraw = try CLIRunner.run(["case", "withdraw", "--yes", "--server", url, caseID], stdin: Data((secret + "\n").utf8))
        #expect(withdraw.status == 0 && withdraw.stdout.contains("withdrawn"))
        let after = try CLIRunner.run(["match", "--server", url, "--api-key", key, images])
        #expect(try after.jsonLines().allSatisfy { ($0["matches"] as? [Any])?.isEmpty == true })
    }

    /// A re-post with a caption bar over its top 15% matches the case (the case stores the caption-masked
    /// hashes, the match sends them), while the plain hashes alone miss it.
    @Test func aCaptionedCopyMatchesTheCase() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-caption")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url.appendingPathComponent("data"))
        defer { server.stop() }
        let key = try server.addPlatform("p")
        let url = server.base.absoluteString
        let original = TestPaths.packageRoot.appendingPathComponent("Samples/images/lomiri-wallpapers-16.04__seeding_by_Clements_Engelhardt.jpg")
        let decoded = try Data(contentsOf: original).withUnsafeBytes { try ImageDecoder.decode($0, options: DecodeOptions()) }
        let encoded = try InMemoryEncoder.jpeg(try ImageTransform.captionBar(percent: 15).apply(to: decoded), quality: 85)
        let copy = dir.url.appendingPathComponent("captioned.jpg")
        try encoded.withUnsafeBytes { try Data($0).write(to: copy) }

        let plainBank = dir.url.appendingPathComponent("plain.jsonl")
        try Data(try CLIRunner.run(["hash", "--format", "jsonl", original.path]).stdout.utf8).write(to: plainBank)
        let plain = try CLIRunner.run(["match", "--bank", plainBank.path, copy.path])
        #expect(try plain.jsonLines().first?["matches"] as? [Any] == nil || (try plain.jsonLines().first?["matches"] as? [Any])?.isEmpty == true,
                "the plain hash alone misses the captioned copy: \(plain.stdout)")

        let submit = try CLIRunner.run(["case", "submit", "--server", url, original.path])
        #expect(submit.status == 0, "\(submit.stderr)")
        let remote = try CLIRunner.run(["match", "--server", url, "--api-key", key, copy.path])
        #expect(remote.status == 0, "\(remote.stderr)")
        let matches = try #require(try remote.jsonLines().first?["matches"] as? [[String: Any]])
        #expect(matches.count == 1, "\(remote.stdout)")
        if let distance = matches.first?["distance"] as? Int { #expect(distance <= 16) }
    }
}
