import Foundation
import NCCTestSupport
import Testing

/// `nccmatch match --server` given video files, over real HTTP: each video is hashed here (vPDQ, as `case submit`
/// hashes one) and sent as one `vpdq` item with its MD5 and SHA-256; its matches print both shares, in JSON lines
/// and in text, as `match --video` prints a local match.
@Suite(.needsCLI, .needsShared, .needsTool("ffmpeg")) struct RemoteVideoMatchTests {
    @Test func aReencodedCopyMatchesWithBothSharesAndAnotherClipDoesNot() throws {
        let shared = try TestPaths.requireShared()
        let dir = try TemporaryDirectory(prefix: "nccmatch-remote-video")
        defer { dir.remove() }
        let original = shared.appendingPathComponent("vpdq-vectors/videos/chair-orig-22-sd-bar.mp4").path
        let pattern = shared.appendingPathComponent("vpdq-vectors/videos/pattern-sd-with-small-logo-bar.mp4").path
        // The person's video: 10 s of the sample. The re-post: the same 10 s at half size, lower quality. The
        // other clip: 10 s of a different scene.
        let video = dir.url.appendingPathComponent("mine.mp4").path
        let copy = dir.url.appendingPathComponent("repost.mp4").path
        let other = dir.url.appendingPathComponent("other.mp4").path
        for (input, arguments) in [(original, ["-t", "10", "-c:v", "libx264", "-crf", "20", "-an", video]),
                                   (original, ["-t", "10", "-vf", "scale=iw/2:-2", "-c:v", "libx264", "-crf", "32", "-an", copy]),
                                   (pattern, ["-t", "10", "-c:v", "libx264", "-crf", "23", "-an", other])] {
            try TestRequirements.runFFmpeg(["-i", input] + arguments)
        }

        let server = try ServerProcess(data: dir.url.appendingPathComponent("data"))
        defer { server.stop() }
        let key = try server.addPlatform("p")
        let url = server.base.absoluteString
        let submit = try CLIRunner.run(["case", "submit", "--server", url, video])
        #expect(submit.status == 0, "\(submit.stderr)")

        // JSON lines: the re-post matches one bank video, with both shares and no distance; the other clip, sent in
        // the same request, matches nothing.
        let json = try CLIRunner.run(["match", "--server", url, "--api-key", key, copy, other])
        #expect(json.status == 0, "\(json.stderr)")
        let lines = try json.jsonLines()
        #expect(lines.map { $0["query"] as? String } == [copy, other], "\(json.stdout)")
        let matches = try #require(lines.first?["matches"] as? [[String: Any]])
        #expect(matches.count == 1, "\(json.stdout)")
        let match = try #require(matches.first)
        let ref = try #require(match["id"] as? String)
        #expect(ref.hasPrefix("m_"), "\(json.stdout)")
        #expect(match["bank"] as? String == "cases", "videos are the own bank's: \(json.stdout)")
        #expect(match["distance"] == nil && match["algorithm"] == nil, "\(json.stdout)")
        let queryShare = try #require(match["query_match_percent"] as? Double, "\(json.stdout)")
        let bankShare = try #require(match["bank_match_percent"] as? Double, "\(json.stdout)")
        #expect(queryShare >= 80 && queryShare <= 100, "\(json.stdout)")
        // The bank may keep more frames of its video than a query sends (one a second), so its share can be lower.
        #expect(bankShare > 0 && bankShare <= 100, "\(json.stdout)")
        #expect((lines.last?["matches"] as? [Any])?.isEmpty == true, "\(json.stdout)")

        // A local `match --video` of the same files writes the same fields: local and remote read alike.
        let local = try CLIRunner.run(["match", "--video", "--bank", video, copy, other])
        #expect(local.status == 0, "\(local.stderr)")
        let localMatch = try #require((try local.jsonLines().first?["matches"] as? [[String: Any]])?.first, "\(local.stdout)")
        #expect(Set(localMatch.keys) == Set(match.keys).subtracting(["bank"]), "remote \(json.stdout) local \(local.stdout)")
        #expect(localMatch["query_match_percent"] as? Double == queryShare, "remote \(json.stdout) local \(local.stdout)")

        // Text: the same match with both shares, written as the local match writes it; the other clip, no match.
        // A batch smaller than the video's frames still sends the video whole.
        let text = try CLIRunner.run(["match", "--server", url, "--api-key", key, "--format", "text", "--batch-size", "5", copy, other])
        #expect(text.status == 0, "\(text.stderr)")
        let share = { (value: Double) in String(format: "%.1f", value) }
        #expect(text.lines == ["\(copy): \(ref) in cases (query \(share(queryShare))%, bank \(share(bankShare))%)", "\(other): no match"], "\(text.stdout)")
        let localText = try CLIRunner.run(["match", "--video", "--bank", video, "--format", "text", copy])
        let localBank = try #require(localMatch["bank_match_percent"] as? Double)
        #expect(localText.lines == ["\(copy): \(video) (query \(share(queryShare))%, bank \(share(localBank))%)"], "\(localText.stdout)")

        // The very file sent to the case: one match (its frames and its digests name the same bank video), every
        // query frame matched.
        let same = try CLIRunner.run(["match", "--server", url, "--api-key", key, video])
        #expect(same.status == 0, "\(same.stderr)")
        let exact = try #require(try same.jsonLines().first?["matches"] as? [[String: Any]])
        #expect(exact.count == 1 && exact.first?["id"] as? String == ref, "\(same.stdout)")
        #expect(exact.first?["query_match_percent"] as? Double == 100, "\(same.stdout)")
        #expect((exact.first?["bank_match_percent"] as? Double ?? 0) > 0, "\(same.stdout)")
    }

    @Test func aVideoThatCannotBeDecodedGetsItsErrorLine() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-remote-video-bad")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url.appendingPathComponent("data"))
        defer { server.stop() }
        let key = try server.addPlatform("p")
        // An MP4 header and nothing after it: told a video by its first bytes, but no frame can be read.
        let broken = dir.url.appendingPathComponent("broken.mp4")
        try Data([0, 0, 0, 0x18] + Array("ftypisom".utf8) + [0, 0, 2, 0] + Array("isomiso2".utf8) + [UInt8](repeating: 0, count: 64)).write(to: broken)
        let run = try CLIRunner.run(["match", "--server", server.base.absoluteString, "--api-key", key, broken.path])
        #expect(run.status == 1, "\(run.stdout) \(run.stderr)")
        let line = try #require(try run.jsonLines().first, "\(run.stdout)")
        #expect((line["matches"] as? [Any])?.isEmpty == true)
        let code = try #require((line["error"] as? [String: Any])?["code"] as? String, "\(run.stdout)")
        #expect(code.hasPrefix("video_") || code == "no_video_stream", "\(run.stdout)")
        #expect(run.stderr.contains("could not be hashed"), "\(run.stderr)")
    }
}
