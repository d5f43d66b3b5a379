import Foundation
import NCCTestSupport
import Testing

/// Videos through the service over real HTTP: `case submit` of a video (hashed on this computer, its vPDQ frames
/// sent), a re-encoded, half-size copy matched by a `vpdq` item with both shares, the status showing one item,
/// withdrawal removing every frame at once, and malformed video items refused with their codes.
@Suite(.needsCLI, .needsShared, .needsTool("ffmpeg")) struct VideoCaseTests {
    /// A `vpdq` match item of the frames `nccmatch hash` gives for `path`.
    static func videoItem(_ path: String, id: String) throws -> [String: Any] {
        let hashed = try CLIRunner.run(["hash", "--format", "jsonl", path])
        #expect(hashed.status == 0, "\(hashed.stderr)")
        let line = try #require(try hashed.jsonLines().first)
        let frames = try #require(line["vpdq"] as? [[String: Any]], "no vpdq in \(hashed.stdout.prefix(300))")
        return ["id": id, "algorithm": "vpdq", "frames": frames]
    }

    @Test func videoCaseMatchesAReencodedCopyUntilWithdrawn() async throws {
        let shared = try TestPaths.requireShared()
        let dir = try TemporaryDirectory(prefix: "nccmatch-video-case")
        defer { dir.remove() }
        let original = shared.appendingPathComponent("vpdq-vectors/videos/chair-orig-22-sd-bar.mp4").path
        let other = shared.appendingPathComponent("vpdq-vectors/videos/pattern-sd-with-small-logo-bar.mp4").path
        // The person's video: 12 s of the sample. The re-post: the same 12 s re-encoded at half size, lower quality.
        let video = dir.url.appendingPathComponent("mine.mp4").path
        let copy = dir.url.appendingPathComponent("repost.mp4").path
        // A re-post trimmed 1.3 s into the video: its frames fall between the seconds the original's fall on.
        let trimmed = dir.url.appendingPathComponent("trimmed.mp4").path
        // (With one bank frame a second, as the query's, the trimmed copy is no match, 22% of its frames: they fall between.)
        for arguments in [["-t", "12", "-c:v", "libx264", "-crf", "20", "-an", video],
                          ["-t", "12", "-vf", "scale=iw/2:-2", "-c:v", "libx264", "-crf", "32", "-an", copy],
                          ["-ss", "1.3", "-t", "9", "-c:v", "libx264", "-crf", "28", "-an", trimmed]] {
            try TestRequirements.runFFmpeg(["-i", original] + arguments)
        }

        let server = try ServerProcess(data: dir.url.appendingPathComponent("data"))
        defer { server.stop() }
        let key = try server.addPlatform("p")
        let url = server.base.absoluteString

        // case submit hashes the video here and sends its frames with its digests, as one item.
        let submit = try CLIRunner.run(["case", "submit", "--server", url, video])
        #expect(submit.status == 0, "\(submit.stderr)")
        #expect(submit.stdout.contains("vPDQ"), "\(submit.stdout)")
        // The bank keeps every frame of a short video (12 s at 30 a second), not one a second.
        let frameCount = submit.stdout.split(separator: "\n").first { $0.contains("vPDQ of ") }
            .flatMap { $0.split(separator: "vPDQ of ").last?.split(separator: " ").first }.flatMap { Int($0) }
        #expect((frameCount ?? 0) > 300, "\(submit.stdout)")
        let caseID = try #require(submit.stdout.split(separator: "\n").first { $0.contains("Case id:") }?.split(separator: " ").last.map(String.init))
        let secret = try #require(submit.stdout.split(separator: "\n").first { $0.contains("Secret:") }?.split(separator: " ").last.map(String.init))

        // The re-encoded copy matches, with both shares; a different scene, in the same batch, does not.
        let body: [String: Any] = ["items": [try Self.videoItem(copy, id: "repost"), try Self.videoItem(other, id: "other"),
                                             try Self.videoItem(trimmed, id: "trimmed")]]
        let answer = try await HTTP.send("POST", server.url("v1/match"), json: body, bearer: key)
        #expect(answer.status == 200, "\(answer.text)")
        let results = try #require(answer.json["results"] as? [[String: Any]])
        #expect(results.map { $0["id"] as? String } == ["repost", "other", "trimmed"])
        let matches = try #require(results.first?["matches"] as? [[String: Any]])
        #expect(matches.count == 1, "\(answer.text)")
        let match = try #require(matches.first)
        #expect((match["match_ref"] as? String)?.hasPrefix("m_") == true)
        #expect(match["distance"] == nil)
        let queryShare = try #require(match["query_match_percent"] as? Double)
        let bankShare = try #require(match["bank_match_percent"] as? Double)
        #expect(queryShare >= 80 && queryShare <= 100, "\(answer.text)")
        // The bank's frames are dense, so its share is lower than the query's; pytx's threshold for it is 0.
        #expect(bankShare > 0 && bankShare <= 100, "\(answer.text)")
        #expect((results[1]["matches"] as? [Any])?.isEmpty == true, "\(answer.text)")
        let trimmedMatch = try #require((results[2]["matches"] as? [[String: Any]])?.first, "\(answer.text)")
        #expect((trimmedMatch["query_match_percent"] as? Double ?? 0) >= 80, "\(answer.text)")

        // The status shows the video as one item of kind video.
        let status = try await HTTP.send("GET", server.url("v1/cases/\(caseID)"), bearer: secret)
        let images = try #require(status.json["images"] as? [[String: Any]])
        #expect(images.count == 1 && images.first?["kind"] as? String == "video", "\(status.text)")
        #expect((images.first?["platforms_matched"] as? Int) == 1)
        #expect((images.first?["hashes"] as? Int ?? 0) > 2)

        #expect(submit.stdout.contains("video 1, mine.mp4"), "\(submit.stdout)")
        let told = try CLIRunner.run(["case", "status", "--server", url, "--secret", secret, caseID])
        #expect(told.status == 0 && told.stdout.contains("video 1: found on 1 platform"), "\(told.stdout)")

        // Withdrawn: every frame goes at once, and the copy no longer matches.
        let withdraw = try CLIRunner.run(["case", "withdraw", "--yes", "--server", url, caseID], stdin: Data((secret + "\n").utf8))
        #expect(withdraw.status == 0, "\(withdraw.stderr)")
        let after = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [try Self.videoItem(copy, id: "repost")]], bearer: key)
        #expect(after.status == 200)
        #expect(((after.json["results"] as? [[String: Any]])?.first?["matches"] as? [Any])?.isEmpty == true, "\(after.text)")
    }

    /// Bits that differ between two hex values.
    static func distance(_ a: String, _ b: String) -> Int {
        zip(a, b).reduce(0) { $0 + (Int(String($1.0), radix: 16)! ^ Int(String($1.1), radix: 16)!).nonzeroBitCount }
    }

    /// The shares and verdict computed here by comparing every pair of frames, as pytx defines them (all frames of
    /// quality 90 and distinct, so none is dropped): the index's answer must be the same.
    static func bruteForce(query: [String], bank: [String]) -> (query: Double, bank: Double, match: Bool) {
        let q = Double(query.filter { f in bank.contains { distance($0, f) <= 31 } }.count) * 100 / Double(query.count)
        let b = Double(bank.filter { f in query.contains { distance($0, f) <= 31 } }.count) * 100 / Double(bank.count)
        return ((q * 10).rounded() / 10, (b * 10).rounded() / 10, q >= 80)
    }

    /// Bank videos sharing frames with a query, in one batch: the answered videos, shares and verdicts are those of
    /// comparing every pair of frames, at pytx's thresholds (80% of the query's frames; nothing asked of the bank's).
    @Test func videoMatchesAreThoseOfComparingEveryFrame() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-video-brute")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url.appendingPathComponent("data"))
        defer { server.stop() }
        let key = try server.addPlatform("p")
        let pool = (0..<40).map { _ in Fake.hex(64) }
        let bank = [Array(pool[0..<10]), Array(pool[5..<15]), Array(pool[0..<30]), Array(pool[30..<40]), Array(pool[2..<6])]
        func frames(_ pdqs: [String]) -> [[String: Any]] { pdqs.enumerated().map { ["pdq": $0.element, "quality": 90, "timestamp": Double($0.offset)] } }
        let hashes: [[String: Any]] = bank.enumerated().map { ["algorithm": "vpdq", "frames": frames($0.element), "image": $0.offset] }
        let opened = try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": hashes])
        #expect(opened.status == 201, "\(opened.text)")
        let queries = [Array(pool[0..<8]).map { Fake.flip($0, bits: 7) } + [Fake.hex(64), Fake.hex(64)],
                       Array(pool[3..<7]), Array(pool[31..<33]) + [Fake.hex(64)], [Fake.hex(64)]]
        let answer = try await HTTP.send("POST", server.url("v1/match"), json: ["items": queries.enumerated().map { ["id": "q\($0.offset)", "algorithm": "vpdq", "frames": frames($0.element)] }], bearer: key)
        let results = try #require(answer.json["results"] as? [[String: Any]], "\(answer.text)")
        // Match references stand for bank videos; which one is which is learned from a query equal to each video.
        var refOf: [String: Int] = [:]
        for (n, video) in bank.enumerated() {
            let own = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "own", "algorithm": "vpdq", "frames": frames(video)]]], bearer: key)
            let matches = ((own.json["results"] as? [[String: Any]])?.first?["matches"] as? [[String: Any]]) ?? []
            let ref = try #require(matches.first { $0["query_match_percent"] as? Double == 100 && $0["bank_match_percent"] as? Double == 100 }?["match_ref"] as? String)
            refOf[ref] = n
        }
        #expect(refOf.count == bank.count)
        for (k, query) in queries.enumerated() {
            var expected: [Int: (Double, Double)] = [:]
            for (n, video) in bank.enumerated() {
                let r = Self.bruteForce(query: query, bank: video)
                if r.match { expected[n] = (r.query, r.bank) }
            }
            let got = (results[k]["matches"] as? [[String: Any]]) ?? []
            #expect(got.count == expected.count, "query \(k): \(got) against \(expected)")
            for match in got {
                let n = try #require(refOf[match["match_ref"] as? String ?? ""])
                #expect(expected[n]?.0 == match["query_match_percent"] as? Double && expected[n]?.1 == match["bank_match_percent"] as? Double,
                        "query \(k), bank video \(n): \(match) against \(String(describing: expected[n]))")
            }
        }
        // Query 0 matches bank videos 0 and 2 only (8 of its 10 frames), with their own bank shares.
        #expect(Set(((results[0]["matches"] as? [[String: Any]]) ?? []).compactMap { refOf[$0["match_ref"] as? String ?? ""] }) == [0, 2])
    }

    @Test func malformedVideoItemsAreRefusedWithTheirCodes() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-video-items")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url.appendingPathComponent("data"))
        defer { server.stop() }
        let key = try server.addPlatform("p")
        func frame(_ t: Double, quality: Any = 90, pdq: String = Fake.hex(64)) -> [String: Any] { ["pdq": pdq, "quality": quality, "timestamp": t] }
        let good = (0..<5).map { frame(Double($0)) }
        let cases: [(item: [String: Any], status: Int, code: String)] = [
            (["id": "v", "algorithm": "vpdq"], 400, "frames_missing"),
            (["id": "v", "algorithm": "vpdq", "frames": [Any]()], 400, "frames_missing"),
            (["id": "v", "algorithm": "vpdq", "frames": good, "value": Fake.hex(64)], 400, "value_not_allowed"),
            (["id": "v", "algorithm": "pdq", "value": Fake.hex(64), "frames": good], 400, "frames_not_allowed"),
            (["id": "v", "algorithm": "pdq"], 400, "missing_field"),
            (["id": "v", "algorithm": "vpdq", "frames": [frame(0, pdq: "zz")]], 400, "invalid_hash"),
            (["id": "v", "algorithm": "vpdq", "frames": [frame(0, quality: 101)]], 400, "invalid_frame"),
            (["id": "v", "algorithm": "vpdq", "frames": [frame(2), frame(-0.5)]], 400, "invalid_frame"),
            (["id": "v", "algorithm": "vpdq", "frames": [frame(-1)]], 400, "invalid_frame"),
            (["id": "v", "algorithm": "vpdq", "frames": [["pdq": Fake.hex(64), "quality": 90]]], 400, "missing_field"),
            (["id": "v", "algorithm": "vpdq", "frames": (0..<3_601).map { frame(Double($0)) }], 413, "too_many_frames"),
        ]
        for (item, status, code) in cases {
            let answer = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [item]], bearer: key)
            #expect(answer.status == status && answer.errorCode == code, "\(code): \(answer.status) \(answer.text.prefix(300))")
        }
        // A batch counts every frame: three videos of 3,600 frames are over the 10,000 of a request.
        let big = (0..<3_600).map { frame(Double($0), pdq: "0f" + String(repeating: "0f", count: 31)) }
        let tooMany = try await HTTP.send("POST", server.url("v1/match"), json: ["items": (0..<3).map { ["id": "v\($0)", "algorithm": "vpdq", "frames": big] }], bearer: key)
        #expect(tooMany.status == 413 && tooMany.errorCode == "too_many_items", "\(tooMany.text.prefix(300))")
        // Where the error is: the frame named.
        let named = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "v", "algorithm": "vpdq", "frames": [frame(0), frame(1, pdq: "abc")]]]], bearer: key)
        #expect(named.errorMessage?.hasPrefix("items[0].frames[1].pdq") == true, "\(named.text)")

        // Case requests: a video and a picture under one number, two videos under one, a video too plain to match.
        let video: [String: Any] = ["algorithm": "vpdq", "frames": good, "image": 0]
        let conflict = try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": [video] + Fake.picture(0)])
        #expect(conflict.status == 400 && conflict.errorCode == "video_image_conflict", "\(conflict.text)")
        let twice = try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": [video, video]])
        #expect(twice.status == 400 && twice.errorCode == "video_image_conflict", "\(twice.text)")
        let plain: [String: Any] = ["algorithm": "vpdq", "frames": (0..<4).map { frame(Double($0), quality: 20) }, "image": 1]
        let opened = try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": [video, plain]])
        #expect(opened.status == 201, "\(opened.text)")
        #expect(opened.json["accepted"] as? Int == 5)
        let rejected = try #require(opened.json["rejected"] as? [[String: Any]])
        #expect(rejected.map { $0["code"] as? String } == ["video_quality_too_low"] && rejected.first?["index"] as? Int == 1)
        // Adding a video under a number the case already uses is refused; nothing is stored.
        let caseID = try #require(opened.json["case_id"] as? String), secret = try #require(opened.json["secret"] as? String)
        let reuse = try await HTTP.send("POST", server.url("v1/cases/\(caseID)/hashes"), json: ["hashes": [video]], bearer: secret)
        #expect(reuse.status == 400 && reuse.errorCode == "video_image_conflict", "\(reuse.text)")
        let onto = try await HTTP.send("POST", server.url("v1/cases/\(caseID)/hashes"), json: ["hashes": Fake.picture(0)], bearer: secret)
        #expect(onto.status == 400 && onto.errorCode == "video_image_conflict", "\(onto.text)")
    }
}
