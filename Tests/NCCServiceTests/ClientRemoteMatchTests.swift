import Foundation
import NCCEvaluation
import NCCHashing
import NCCTestSupport
import Testing

/// `nccmatch match --server` on the wire contract of `POST /v1/match`: every hash of one upload goes under one
/// id (all its PDQ codes, its pHash and dHash), so 64-bit matches count beside their PDQ; hash lists carry their
/// companions; a distance is printed only when the bank discloses it.
@Suite(.needsCLI) struct ClientRemoteMatchTests {
    let samples = TestPaths.packageRoot.appendingPathComponent("Samples/images")

    /// `name` from the samples changed by `transform`, written as JPEG into `dir`.
    func copy(_ name: String, _ transform: ImageTransform, in dir: URL) throws -> URL {
        let decoded = try Data(contentsOf: samples.appendingPathComponent(name)).withUnsafeBytes { try ImageDecoder.decode($0, options: DecodeOptions()) }
        let encoded = try InMemoryEncoder.jpeg(try transform.apply(to: decoded), quality: 80)
        let url = dir.appendingPathComponent("\(transform.id).jpg")
        try encoded.withUnsafeBytes { try Data($0).write(to: url) }
        return url
    }

    /// Opens a case from `names` and returns the server with a platform key.
    func bank(_ names: [String], in dir: URL, extra: [String] = [], platforms: [String] = ["p"]) throws -> (ServerProcess, [String]) {
        let server = try ServerProcess(data: dir.appendingPathComponent("data"), extra: extra)
        let keys = try platforms.map { try server.addPlatform($0) }
        let submit = try CLIRunner.run(["case", "submit", "--server", server.base.absoluteString] + names.map { samples.appendingPathComponent($0).path })
        guard submit.status == 0 else { server.stop(); throw ServiceTestError("case submit failed: \(submit.stderr)") }
        return (server, keys)
    }

    @Test func pHashAndDHashQueriesSendTheirPDQUnderTheSameID() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-remote64")
        defer { dir.remove() }
        let (server, keys) = try bank(["scikit-image__rocket.jpg"], in: dir.url)
        defer { server.stop() }
        let url = server.base.absoluteString
        let upload = try copy("scikit-image__rocket.jpg", .resize(percent: 50), in: dir.url)
        let list = dir.url.appendingPathComponent("upload.jsonl")
        try Data(try CLIRunner.run(["hash", "--format", "jsonl", upload.path]).stdout.utf8).write(to: list)

        for algorithm in ["pdq", "phash", "dhash"] {
            for query in [upload.path, list.path] {
                let run = try CLIRunner.run(["match", "--server", url, "--api-key", keys[0], "--algorithm", algorithm, query])
                #expect(run.status == 0, "\(algorithm) \(query): \(run.stderr)")
                let matches = try run.jsonLines().first?["matches"] as? [[String: Any]] ?? []
                #expect(matches.count == 1, "\(algorithm) from \(query) finds the picture: \(run.stdout)")
            }
        }
        // A bank level narrower than the default is accepted for each algorithm.
        for (algorithm, level) in [("pdq", "23"), ("phash", "6")] {
            let run = try CLIRunner.run(["match", "--server", url, "--api-key", keys[0], "--algorithm", algorithm, "--max-distance", level, upload.path])
            #expect(run.status == 0, "\(algorithm) at \(level): \(run.stderr)")
        }
    }

    @Test func aHashListWithCompanionsMatchesOverHTTPLikeTheImage() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-remotevariants")
        defer { dir.remove() }
        let (server, keys) = try bank(["scikit-image__astronaut.png"], in: dir.url)
        defer { server.stop() }
        let url = server.base.absoluteString
        let upload = try copy("scikit-image__astronaut.png", .letterbox(percent: 20), in: dir.url)
        let withVariants = dir.url.appendingPathComponent("variants.jsonl"), plain = dir.url.appendingPathComponent("plain.jsonl")
        try Data(try CLIRunner.run(["hash", "--format", "jsonl", "--match-variants", upload.path]).stdout.utf8).write(to: withVariants)
        try Data(try CLIRunner.run(["hash", "--format", "jsonl", upload.path]).stdout.utf8).write(to: plain)

        let image = try CLIRunner.run(["match", "--server", url, "--api-key", keys[0], upload.path])
        let fromList = try CLIRunner.run(["match", "--server", url, "--api-key", keys[0], withVariants.path])
        #expect(image.status == 0 && fromList.status == 0, "\(image.stderr) \(fromList.stderr)")
        let imageMatches = try image.jsonLines().first?["matches"] as? [[String: Any]] ?? []
        let listMatches = try fromList.jsonLines().first?["matches"] as? [[String: Any]] ?? []
        #expect(imageMatches.count == 1 && listMatches.count == 1, "\(image.stdout) \(fromList.stdout)")
        #expect(imageMatches.first?["id"] as? String == listMatches.first?["id"] as? String)
        let without = try CLIRunner.run(["match", "--server", url, "--api-key", keys[0], plain.path])
        #expect((try without.jsonLines().first?["matches"] as? [Any])?.isEmpty == true, "the plain hash alone misses it: \(without.stdout)")
    }

    @Test func distancesArePrintedOnlyWhenTheBankDisclosesThem() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-distances")
        defer { dir.remove() }
        let (server, keys) = try bank(["scikit-image__rocket.jpg"], in: dir.url, extra: ["--trusted-platform", "trusted"], platforms: ["trusted", "plain"])
        defer { server.stop() }
        let url = server.base.absoluteString
        let picture = samples.appendingPathComponent("scikit-image__rocket.jpg").path

        let trusted = try CLIRunner.run(["match", "--server", url, "--api-key", keys[0], picture])
        #expect(trusted.status == 0, "\(trusted.stderr)")
        #expect((try trusted.jsonLines().first?["matches"] as? [[String: Any]])?.first?["distance"] as? Int == 0, "\(trusted.stdout)")
        let trustedText = try CLIRunner.run(["match", "--server", url, "--api-key", keys[0], "--format", "text", picture])
        #expect(trustedText.stdout.contains("(distance 0)"), "\(trustedText.stdout)")

        let plain = try CLIRunner.run(["match", "--server", url, "--api-key", keys[1], picture])
        let match = try #require((try plain.jsonLines().first?["matches"] as? [[String: Any]])?.first, "\(plain.stdout) \(plain.stderr)")
        #expect(match["distance"] == nil && (match["id"] as? String)?.hasPrefix("m_") == true, "\(plain.stdout)")
        let plainText = try CLIRunner.run(["match", "--server", url, "--api-key", keys[1], "--format", "text", picture])
        #expect(!plainText.stdout.contains("distance") && plainText.stdout.contains(": m_"), "\(plainText.stdout)")
    }
}
