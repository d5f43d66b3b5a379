import Foundation
import NCCTestSupport
import Testing

/// `nccmatch hash` as users and other tools call it: the JSON lines contract, exit statuses,
/// folders, standard input, CSV, and failures that never stop a batch.
@Suite(.needsCLI) struct HashCommandTests {
    let samples = TestPaths.packageRoot.appendingPathComponent("Samples/images")

    @Test func jsonLinesFollowTheContractInStableOrder() throws {
        let result = try CLIRunner.run(["hash", "--format", "jsonl", samples.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let records = try result.jsonLines()
        let imageNames = try FileManager.default.contentsOfDirectory(atPath: samples.path)
            .filter { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") }.sorted()
        #expect(records.map { ($0["path"] as? String).map { URL(fileURLWithPath: $0).lastPathComponent } ?? "" } == imageNames)
        for record in records {
            #expect(Set(record.keys) == ["path", "md5", "sha256", "pdq", "pdq_quality", "pdq_dihedral", "phash", "dhash", "width", "height", "format"])
            let pdq = try #require(record["pdq"] as? String)
            #expect(pdq.count == 64 && pdq.allSatisfy { "0123456789abcdef".contains($0) })
            let dihedral = try #require(record["pdq_dihedral"] as? [String])
            #expect(dihedral.count == 8)
            #expect(dihedral.first == pdq, "the identity variant comes first")
            #expect((record["phash"] as? String)?.count == 16)
            #expect((record["dhash"] as? String)?.count == 16)
            #expect((record["md5"] as? String)?.count == 32)
            #expect((record["sha256"] as? String)?.count == 64)
            let quality = try #require(record["pdq_quality"] as? Int)
            #expect((0...100).contains(quality))
            #expect(["jpeg", "png"].contains(record["format"] as? String))
        }
    }

    @Test func aFailedFileNeverStopsTheBatch() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let image = samples.appendingPathComponent("scikit-image__rocket.jpg")
        try FileManager.default.copyItem(at: image, to: folder.url.appendingPathComponent("a-photo.jpg"))
        try Data("GIF89a\u{01}\u{00}\u{01}\u{00}".utf8).write(to: folder.url.appendingPathComponent("b-animation.jpg"))
        try Data("just some notes".utf8).write(to: folder.url.appendingPathComponent("c-notes.txt"))
        try Data("hidden".utf8).write(to: folder.url.appendingPathComponent(".hidden"))
        let missing = folder.url.appendingPathComponent("d-missing.png").path

        let result = try CLIRunner.run(["hash", "--format", "jsonl", folder.url.path, missing])
        #expect(result.status == 1, "any failed file makes the exit status 1")
        let records = try result.jsonLines()
        #expect(records.count == 4, "hidden files are skipped, everything else reported")
        #expect(records[0]["pdq"] is String)
        for failed in records[1...] {
            let error = try #require(failed["error"] as? [String: Any])
            #expect((error["message"] as? String)?.isEmpty == false)
            #expect(failed["pdq"] == nil)
        }
        #expect((records[1]["error"] as? [String: Any])?["code"] as? String == "truncated")
        let gifMessage = (records[1]["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(gifMessage.contains("GIF"), "the message names what was found")
        #expect(records[1]["md5"] is String, "files that cannot be decoded still get their digests")
        // Digests of "just some notes", from Python's hashlib.
        #expect(records[2]["sha256"] as? String == "a9a97a22c84e69a413dda450d98e756b2b274b99363d31d6bfba3ddf703eb7c1")
        #expect(records[2]["md5"] as? String == "608dc4350e52a2af746531aa40762fb2")
        #expect((records[3]["error"] as? [String: Any])?["code"] as? String == "file_not_found")
        #expect(records[3]["md5"] == nil)
    }

    @Test func usageErrorsExitWithStatusTwo() throws {
        #expect(try CLIRunner.run(["hash", "--mode", "sloppy", samples.path]).status == 2)
        #expect(try CLIRunner.run(["hash", "--jobs", "0", samples.path]).status == 2)
        #expect(try CLIRunner.run(["hash"]).status == 2)
    }

    @Test func standardInputHashesLikeTheFile() throws {
        let image = samples.appendingPathComponent("scikit-image__chelsea.png")
        let fromFile = try CLIRunner.run(["hash", "--format", "jsonl", image.path]).jsonLines()
        let fromStdin = try CLIRunner.run(["hash", "--format", "jsonl", "-"], stdin: try Data(contentsOf: image)).jsonLines()
        #expect(fromStdin.count == 1)
        #expect(fromStdin[0]["path"] as? String == "-")
        for key in ["md5", "sha256", "pdq", "phash", "dhash"] {
            #expect(fromStdin[0][key] as? String == fromFile[0][key] as? String, "\(key) differs")
        }
    }

    @Test func csvHasAHeaderAndOneRowPerFile() throws {
        let result = try CLIRunner.run(["hash", "--format", "csv", samples.path])
        #expect(result.status == 0)
        let lines = result.lines
        // The 13 columns parsers have always read come first; the companion columns follow them.
        let header = try #require(lines.first).split(separator: ",").map(String.init)
        #expect(header.prefix(13).joined(separator: ",") == "path,md5,sha256,pdq,pdq_quality,pdq_dihedral,phash,dhash,width,height,format,error_code,error_message")
        #expect(header.count == 28)
        #expect(lines.count == 1 + 5)
        #expect(lines.dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 28 })
    }

    /// `--format csv` keeps every companion hash `--match-variants` computes, in the columns its header names,
    /// equal to the JSON lines' values.
    @Test func csvKeepsTheCompanionHashes() throws {
        let image = samples.appendingPathComponent("scikit-image__rocket.jpg").path
        let csv = try CLIRunner.run(["hash", "--format", "csv", "--match-variants", "--pixel-dihedral", image])
        let json = try #require(try CLIRunner.run(["hash", "--format", "jsonl", "--match-variants", "--pixel-dihedral", image]).jsonLines().first)
        #expect(csv.status == 0, "\(csv.stderr)")
        let header = try #require(csv.lines.first).split(separator: ",").map(String.init)
        let row = try #require(csv.lines.dropFirst().first).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(row.count == header.count)
        let field = { (name: String) -> String in header.firstIndex(of: name).map { row[$0] } ?? "<missing column \(name)>" }
        let masked = try #require(json["pdq_caption_masked"] as? [String: Any])
        #expect(field("pdq_caption_masked_top") == masked["top"] as? String)
        #expect(field("pdq_caption_masked_bottom") == masked["bottom"] as? String)
        #expect(field("pdq_caption_masked_top_quality") == (masked["top_quality"] as? Int).map(String.init))
        #expect(field("pdq_low_passed") == json["pdq_low_passed"] as? String)
        #expect(field("pdq_low_passed_quality") == (json["pdq_low_passed_quality"] as? Int).map(String.init))
        #expect(field("pdq_pixel_dihedral") == (json["pdq_pixel_dihedral"] as? [String])?.joined(separator: " "))
        let stripped = json["unletterboxed"] as? [String: Any]
        #expect(field("unletterboxed_pdq") == (stripped?["pdq"] as? String ?? ""), "empty when the picture has no uniform borders")
    }

    @Test func exactAndFastModesBothAnswerAndStayClose() throws {
        let image = samples.appendingPathComponent("lomiri-wallpapers-16.04__seeding_by_Clements_Engelhardt.jpg").path
        let exact = try CLIRunner.run(["hash", "--mode", "exact", "--format", "jsonl", image]).jsonLines()[0]
        let fast = try CLIRunner.run(["hash", "--mode", "fast", "--format", "jsonl", image]).jsonLines()[0]
        let distance = hammingDistance(try #require(exact["pdq"] as? String), try #require(fast["pdq"] as? String))
        #expect(distance <= 8, "fast mode stays within a few bits of exact (was \(distance))")
        #expect(exact["width"] as? Int == 1600 && fast["width"] as? Int == 1600, "width is the full-resolution width in both modes")
    }

    @Test func pixelDihedralVariantsOnRequest() throws {
        let image = samples.appendingPathComponent("scikit-image__rocket.jpg").path
        let plain = try CLIRunner.run(["hash", "--format", "jsonl", image]).jsonLines()[0]
        #expect(plain["pdq_pixel_dihedral"] == nil)
        let record = try CLIRunner.run(["hash", "--pixel-dihedral", "--format", "jsonl", image]).jsonLines()[0]
        let variants = try #require(record["pdq_pixel_dihedral"] as? [String])
        #expect(variants.count == 8)
        #expect(variants.first == record["pdq"] as? String)
        #expect(Set(variants).count == 8, "eight different pictures, eight different hashes")
    }

    /// `--match-variants` adds what a match looks up: the caption-masked and low-passed PDQ (and the
    /// unletterboxed hashes when there are borders); each flag alone adds only its own.
    @Test func matchVariantsAddTheCompanionHashes() throws {
        let image = samples.appendingPathComponent("scikit-image__chelsea.png").path
        let all = try CLIRunner.run(["hash", "--match-variants", "--format", "jsonl", image]).jsonLines()[0]
        let masked = try #require(all["pdq_caption_masked"] as? [String: Any])
        let top = try #require(masked["top"] as? String), bottom = try #require(masked["bottom"] as? String)
        let lowPassed = try #require(all["pdq_low_passed"] as? String)
        let plain = try #require(all["pdq"] as? String)
        #expect(Set([plain, top, bottom, lowPassed]).count == 4, "four different pictures, four different hashes")
        #expect([top, bottom, lowPassed].allSatisfy { $0.count == 64 })
        #expect((masked["top_quality"] as? Int).map { (0...100).contains($0) } == true)
        #expect((all["pdq_low_passed_quality"] as? Int).map { (0...100).contains($0) } == true)
        let onlyMask = try CLIRunner.run(["hash", "--caption-mask", "--format", "jsonl", image]).jsonLines()[0]
        #expect(onlyMask["pdq_caption_masked"] != nil && onlyMask["pdq_low_passed"] == nil)
        #expect((onlyMask["pdq_caption_masked"] as? [String: Any])?["top"] as? String == top, "the same hash either way")
        let onlyLowPass = try CLIRunner.run(["hash", "--low-pass", "--format", "jsonl", image]).jsonLines()[0]
        #expect(onlyLowPass["pdq_low_passed"] as? String == lowPassed && onlyLowPass["pdq_caption_masked"] == nil)
    }

    /// ThreatExchange's letterboxed copy of its sample picture hashes like the original once the bars are stripped.
    @Test(.needsShared) func unletterboxStripsBarsBeforeHashing() throws {
        let shared = try TestPaths.requireShared()
        let resources = shared.appendingPathComponent("pdq-vectors/python-threatexchange/threatexchange/tests/hashing/resources")
        let original = try CLIRunner.run(["hash", "--mode", "exact", "--format", "jsonl", resources.appendingPathComponent("sample-b.jpg").path]).jsonLines()[0]
        let boxed = resources.appendingPathComponent("letterboxed_sample-b.jpg").path
        let plain = try CLIRunner.run(["hash", "--mode", "exact", "--format", "jsonl", boxed]).jsonLines()[0]
        let stripped = try CLIRunner.run(["hash", "--mode", "exact", "--unletterbox", "--format", "jsonl", boxed]).jsonLines()[0]
        let originalPDQ = try #require(original["pdq"] as? String)
        #expect(stripped["pdq"] as? String == plain["pdq"] as? String, "the plain hash is kept")
        let extra = try #require(stripped["unletterboxed"] as? [String: Any], "a letterboxed picture gets the stripped hashes too")
        #expect(plain["unletterboxed"] == nil, "only when asked for")
        let strippedDistance = hammingDistance(try #require(extra["pdq"] as? String), originalPDQ)
        let plainDistance = hammingDistance(try #require(plain["pdq"] as? String), originalPDQ)
        #expect(strippedDistance <= 16, "unletterboxed copy is \(strippedDistance) bits from the original")
        #expect(strippedDistance < plainDistance, "stripping the bars brings the copy closer (\(strippedDistance) vs \(plainDistance))")
        #expect(stripped["width"] as? Int == 2000, "width stays that of the file as given")
        #expect((extra["width"] as? Int ?? 2000) < 2000, "the stripped picture is narrower")
        let sample = try CLIRunner.run(["hash", "--unletterbox", "--format", "jsonl", resources.appendingPathComponent("sample-b.jpg").path]).jsonLines()[0]
        #expect(sample["unletterboxed"] == nil, "a picture without bars gets no extra hashes")
    }
}

func hammingDistance(_ a: String, _ b: String) -> Int {
    zip(a, b).reduce(0) { sum, pair in
        sum + (Int(String(pair.0), radix: 16)! ^ Int(String(pair.1), radix: 16)!).nonzeroBitCount
    }
}
