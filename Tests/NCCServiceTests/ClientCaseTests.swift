import Foundation
import NCCEvaluation
import NCCHashing
import NCCTestSupport
import Testing

/// The person's commands against a real `nccmatch serve`: nothing falsely reassures (files matched only as
/// exact copies are named and need an answer, skipped files are named), big submissions are split and
/// `case add` continues a case, withdrawal asks first, plain HTTP to another host is refused, and the status
/// explains itself.
@Suite(.needsCLI) struct ClientCaseTests {
    let samples = TestPaths.packageRoot.appendingPathComponent("Samples/images")

    /// A folder with one JPEG, a HEIC and a WebP (headers only: enough to be recognised and refused).
    func mixedFolder(_ dir: URL) throws -> URL {
        let folder = dir.appendingPathComponent("pictures")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: samples.appendingPathComponent("scikit-image__rocket.jpg"), to: folder.appendingPathComponent("a-photo.jpg"))
        try Data([0, 0, 0, 0x18] + Array("ftypheic".utf8) + [0, 0, 0, 0] + Array("mif1heic".utf8) + Array(repeating: 7, count: 64))
            .write(to: folder.appendingPathComponent("b-phone.heic"))
        try Data(Array("RIFF".utf8) + [0x24, 0, 0, 0] + Array("WEBPVP8 ".utf8) + Array(repeating: 9, count: 64))
            .write(to: folder.appendingPathComponent("c-chat.webp"))
        return folder
    }

    @Test func filesMatchedOnlyAsExactCopiesAreNamedAndNeedAnAnswer() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-exactonly")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url.appendingPathComponent("data"))
        defer { server.stop() }
        let url = server.base.absoluteString
        let folder = try mixedFolder(dir.url)
        #expect(mkfifo(folder.appendingPathComponent("d-pipe").path, 0o600) == 0)

        // No terminal, no flag: nothing is sent, and the person is told why and how to go on.
        let refused = try CLIRunner.run(["case", "submit", "--server", url, folder.path], wrapper: ["/usr/bin/timeout", "120"])
        #expect(refused.status == 1, "\(refused.stdout) \(refused.stderr)")
        #expect(!refused.stdout.contains("Case id"), "no case was opened")
        #expect(refused.stderr.contains("b-phone.heic") && refused.stderr.contains("c-chat.webp"), "\(refused.stderr)")
        #expect(refused.stderr.contains("only exact copies can be found"))
        #expect(refused.stderr.contains("--exact-only-ok") && refused.stderr.contains("Nothing was sent"))
        #expect(refused.stderr.contains("d-pipe"), "the skipped pipe is named: \(refused.stderr)")

        // With the flag: the case opens, and its summary says plainly what each file is protected against.
        let sent = try CLIRunner.run(["case", "submit", "--exact-only-ok", "--server", url, folder.path], wrapper: ["/usr/bin/timeout", "120"])
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sent.stdout.contains("Case id:") && sent.stdout.contains("Secret:"))
        #expect(!sent.stdout.contains("Your case is open.\n"), "not the unqualified sentence: \(sent.stdout)")
        #expect(sent.stdout.contains("not every file has the same protection"))
        #expect(sent.stdout.contains("Picture 2, b-phone.heic: only exact copies"), "\(sent.stdout)")
        #expect(sent.stdout.contains("Picture 3, c-chat.webp: only exact copies"), "\(sent.stdout)")
        #expect(sent.stdout.contains("Not sent, so not protected") && sent.stdout.contains("d-pipe"))

        // Only files matched as exact copies: the case opens, saying so in its first words.
        let only = dir.url.appendingPathComponent("only")
        try FileManager.default.createDirectory(at: only, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: folder.appendingPathComponent("c-chat.webp"), to: only.appendingPathComponent("c-chat.webp"))
        let exact = try CLIRunner.run(["case", "submit", "--exact-only-ok", "--server", url, only.path])
        #expect(exact.status == 0, "\(exact.stderr)")
        #expect(exact.stdout.contains("Your case is open, but for now it can only find exact copies"), "\(exact.stdout)")

        // A picture too plain to be matched by its look (a black frame) is named before sending, and only its
        // digests go: its PDQ would be refused and its pHash and dHash would match other flat pictures.
        let decoded = try Data(contentsOf: samples.appendingPathComponent("scikit-image__rocket.jpg"))
            .withUnsafeBytes { try ImageDecoder.decode($0, options: DecodeOptions()) }
        let black = try InMemoryEncoder.png(try ImageTransform.brightness(percent: -100).apply(to: decoded))
        let plain = dir.url.appendingPathComponent("black.png")
        try black.withUnsafeBytes { try Data($0).write(to: plain) }
        let flat = try CLIRunner.run(["case", "submit", "--json", "--server", url, plain.path])
        #expect(flat.status == 1 && flat.stderr.contains("black.png") && flat.stderr.contains("too little detail"), "\(flat.stderr)")
        let flatSent = try CLIRunner.run(["case", "submit", "--json", "--exact-only-ok", "--server", url, plain.path])
        let flatCase = try #require(try flatSent.jsonLines().first, "\(flatSent.stderr)")
        #expect((flatCase["pictures"] as? [[String: Any]])?.first?["protection"] as? String == "exact_only")
        #expect(flatCase["accepted"] as? Int == 2, "MD5 and SHA-256 only: \(flatCase)")

        // An empty file is never sent (its digests would match every empty upload).
        let empty = dir.url.appendingPathComponent("empty.jpg")
        try Data().write(to: empty)
        let none = try CLIRunner.run(["case", "submit", "--server", url, empty.path])
        #expect(none.status == 1 && none.stderr.contains("nothing was sent"), "\(none.stderr)")
    }

    @Test func bigSubmissionsAreSplitAndCaseAddContinuesTheNumbering() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-split")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url.appendingPathComponent("data"))
        defer { server.stop() }
        let url = server.base.absoluteString
        let names = try FileManager.default.contentsOfDirectory(atPath: samples.path).sorted()
        let first = dir.url.appendingPathComponent("first"), later = dir.url.appendingPathComponent("later")
        for (k, name) in names.enumerated() {
            let folder = k < 3 ? first : later
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: samples.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }

        // At most 20 hashes a request (a picture sends about 16): one request per picture, none split.
        let submit = try CLIRunner.run(["case", "submit", "--json", "--hashes-per-request", "20", "--server", url, first.path])
        #expect(submit.status == 0, "\(submit.stderr)")
        let opened = try #require(try submit.jsonLines().first)
        let caseID = try #require(opened["case_id"] as? String), secret = try #require(opened["secret"] as? String)
        #expect((opened["pictures"] as? [[String: Any]])?.map { $0["protection"] as? String } == ["perceptual", "perceptual", "perceptual"])
        #expect(try Self.hashRequests(server) == 2, "the pictures after the first went in requests of their own")

        let add = try CLIRunner.run(["case", "add", "--hashes-per-request", "20", "--server", url, "--secret", secret, caseID, later.path])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stdout.contains("picture 4, ") && add.stdout.contains("picture 5, "), "numbered after the case's pictures: \(add.stdout)")
        #expect(add.stdout.contains("2 pictures were added to your case"))

        let status = try CLIRunner.run(["case", "status", "--json", "--server", url, "--secret", secret, caseID])
        let images = try #require(try status.jsonLines().first?["images"] as? [[String: Any]])
        #expect(images.compactMap { $0["image"] as? Int }.sorted() == [0, 1, 2, 3, 4], "\(status.stdout)")
        #expect(images.allSatisfy { ($0["hashes"] as? Int ?? 0) >= 10 }, "every picture's hashes stayed together")

        // A wrong secret adds nothing.
        let wrong = try CLIRunner.run(["case", "add", "--server", url, "--secret", "nope", caseID, later.path])
        #expect(wrong.status == 1 && wrong.stderr.contains("Nothing was added"), "\(wrong.stderr)")
    }

    @Test func withdrawalAsksFirstAndPlainHTTPElsewhereIsRefused() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-withdraw")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url.appendingPathComponent("data"))
        defer { server.stop() }
        let url = server.base.absoluteString
        let submit = try CLIRunner.run(["case", "submit", "--json", "--server", url, samples.appendingPathComponent("scikit-image__rocket.jpg").path])
        let opened = try #require(try submit.jsonLines().first)
        let caseID = try #require(opened["case_id"] as? String), secret = try #require(opened["secret"] as? String)

        let unconfirmed = try CLIRunner.run(["case", "withdraw", "--server", url, "--secret", secret, caseID])
        #expect(unconfirmed.status == 1 && unconfirmed.stderr.contains("--yes") && unconfirmed.stderr.contains("Nothing was changed"), "\(unconfirmed.stderr)")
        let still = try CLIRunner.run(["case", "status", "--json", "--server", url, "--secret", secret, caseID])
        #expect(try still.jsonLines().first?["status"] as? String == "active")
        let confirmed = try CLIRunner.run(["case", "withdraw", "--yes", "--server", url, "--secret", secret, caseID])
        #expect(confirmed.status == 0 && confirmed.stdout.contains("withdrawn"), "\(confirmed.stderr)")

        // Plain HTTP to another host is refused before anything is read or sent, unless allowed.
        for command in [["case", "status", "--secret", "s", "c_x"], ["match", "--api-key", "k", samples.path],
                        ["case", "submit", samples.path], ["case", "add", "--secret", "s", "c_x", samples.path]] {
            let run = try CLIRunner.run(command + ["--server", "http://192.0.2.1:8080"])
            #expect(run.status == 1 && run.stderr.contains("https://") && run.stderr.contains("--allow-insecure-http"), "\(command): \(run.stderr)")
        }
        // Allowed: the refusal is gone (192.0.2.1 is a documentation address, so nothing answers there).
        let allowed = try CLIRunner.run(["case", "status", "--allow-insecure-http", "--secret", "s", "--server", "http://localhost.invalid:1", "c_x"])
        #expect(!allowed.stderr.contains("--allow-insecure-http"), "\(allowed.stderr)")
        // Loopback in every spelling is this computer.
        for host in ["http://localhost:\(server.base.port!)", "http://127.0.0.1:\(server.base.port!)", "http://127.1.2.3:1"] {
            let run = try CLIRunner.run(["case", "status", "--secret", "s", "--server", host, "c_x"])
            #expect(!run.stderr.contains("--allow-insecure-http"), "\(host): \(run.stderr)")
        }
    }

    @Test func statusExplainsWhatFoundMeansAndWhatToDoNext() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-status")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url.appendingPathComponent("data"))
        defer { server.stop() }
        let url = server.base.absoluteString
        let key = try server.addPlatform("p")
        let picture = samples.appendingPathComponent("scikit-image__rocket.jpg").path
        let submit = try CLIRunner.run(["case", "submit", "--json", "--server", url, picture])
        let opened = try #require(try submit.jsonLines().first)
        let caseID = try #require(opened["case_id"] as? String), secret = try #require(opened["secret"] as? String)

        let before = try CLIRunner.run(["case", "status", "--server", url, "--secret", secret, caseID])
        #expect(before.status == 0 && before.stdout.contains("not found so far") && before.stdout.contains("StopNCII.org"), "\(before.stdout)")

        let match = try CLIRunner.run(["match", "--server", url, "--api-key", key, picture])
        let ref = try #require((try match.jsonLines().first?["matches"] as? [[String: Any]])?.first?["id"] as? String, "\(match.stdout) \(match.stderr)")
        let feedback = try await HTTP.send("POST", server.url("v1/feedback"), json: ["match_ref": ref, "outcome": "not_violating"], bearer: key)
        #expect(feedback.status < 300, "\(feedback.text)")

        let after = try CLIRunner.run(["case", "status", "--server", url, "--secret", secret, caseID])
        #expect(after.status == 0, "\(after.stderr)")
        for words in ["found on 1 platform", "judged not violating: 1", "\"Found\" means", "did not break its rules",
                      "report it to that platform directly", "Take It Down", "You are not to blame"] {
            #expect(after.stdout.contains(words), "\(words): \(after.stdout)")
        }
        #expect(!after.stdout.contains("your fault") && !after.stdout.contains("you should have"))
    }

    @Test func remoteMaxDistanceIsOneOfTheBanksLevels() throws {
        let refused = try CLIRunner.run(["match", "--server", "http://127.0.0.1:1", "--api-key", "k", "--max-distance", "20", samples.path])
        #expect(refused.status == 2 && refused.stderr.contains("31, 23, 15"), "\(refused.stderr)")
        let phash = try CLIRunner.run(["match", "--server", "http://127.0.0.1:1", "--api-key", "k", "--algorithm", "phash", "--max-distance", "5", samples.path])
        #expect(phash.status == 2 && phash.stderr.contains("8, 6, 4"), "\(phash.stderr)")
    }

    /// A bank that opens cases but fails every later request (503), as one that goes away part way.
    static let failingBank = #"""
    import http.server, json, sys
    class Bank(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path == "/v1/cases":
                status, answer = 201, {"case_id": "c_fake", "secret": "s3cret-fake", "accepted": len(body["hashes"]), "rejected": [], "message": ""}
            else:
                status, answer = 503, {"error": {"code": "database_unavailable", "message": "The bank is busy; try again in a minute."}}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
    server = http.server.HTTPServer(("127.0.0.1", 0), Bank)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """#

    @Test(.needsTool("python3"))
    func aSubmissionCutShortStillShowsTheCaseAndWhatIsMissing() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-cutshort")
        defer { dir.remove() }
        let script = dir.url.appendingPathComponent("bank.py")
        try Data(Self.failingBank.utf8).write(to: script)
        let bank = Process()
        bank.executableURL = URL(fileURLWithPath: try #require(ClientTerminalTests.python))
        bank.arguments = [script.path]
        let out = Pipe()
        bank.standardOutput = out
        try bank.run()
        // SIGKILL: a test runner may leave SIGTERM blocked in the processes it starts.
        defer { kill(bank.processIdentifier, SIGKILL); bank.waitUntilExit() }
        // Its first line is the port it listens on.
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(out.fileHandleForReading.fileDescriptor, &byte, 1) == 1 && byte != UInt8(ascii: "\n") { line.append(byte) }
        let port = try #require(Int(String(decoding: line, as: UTF8.self)), "the fake bank did not start")

        let names = ["scikit-image__rocket.jpg", "scikit-image__coffee.png", "scikit-image__chelsea.png"]
        let run = try CLIRunner.run(["case", "submit", "--hashes-per-request", "20", "--server", "http://127.0.0.1:\(port)"]
                                    + names.map { samples.appendingPathComponent($0).path }, wrapper: ["/usr/bin/timeout", "120"])
        #expect(run.status == 1, "the submission is incomplete: \(run.stdout)")
        #expect(run.stdout.contains("Case id: c_fake") && run.stdout.contains("Secret:  s3cret-fake"), "the case is never lost: \(run.stdout)")
        #expect(run.stdout.contains("Sending stopped before everything was sent") && run.stdout.contains("not added yet") && run.stdout.contains("scikit-image__coffee.png") && run.stdout.contains("scikit-image__chelsea.png"))
        #expect(run.stdout.contains("nccmatch case add --server"))
        #expect(run.stdout.contains("Picture 1: copies can be found") && !run.stdout.contains("Pictures 1"), "only what was sent is claimed: \(run.stdout)")
        #expect(!run.stdout.contains("Your case is open.\n"))
    }

    /// Requests to add hashes to a case, from the server's metrics.
    static func hashRequests(_ server: ServerProcess) throws -> Int {
        let text = String(decoding: try Data(contentsOf: server.url("metrics")), as: UTF8.self)
        return text.split(separator: "\n").filter { $0.hasPrefix("nccmatch_http_requests_total{") && $0.contains("POST") && $0.contains("hashes") }
            .compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +)
    }
}
