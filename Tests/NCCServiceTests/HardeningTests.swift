import Foundation
import NCCTestSupport
import Testing

/// The attacks of the hardening issue, rerun through real HTTP on loopback against `nccmatch serve`:
/// each is refused or bounded, and the server keeps answering.
@Suite(.needsCLI) struct HardeningTests {
    static func expectError(_ answer: Answer, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        ErrorAndAuthorizationTests.expectError(answer, status, code, sourceLocation: sourceLocation)
    }

    static func matches(_ answer: Answer, _ i: Int = 0) -> [[String: Any]] {
        ((answer.json["results"] as? [[String: Any]])?[i]["matches"] as? [[String: Any]]) ?? []
    }

    @Test func hugePictureNumberIsRefusedNotACrash() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-hardening")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url)
        defer { server.stop() }
        let overflow: [String: Any] = ["hashes": [["algorithm": "phash", "value": "0123456789abcdef", "image": Int.max]]]
        Self.expectError(try await HTTP.send("POST", server.url("v1/cases"), json: overflow), 400, "invalid_field")
        let opened = try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": Fake.picture()])
        let id = try #require(opened.json["case_id"] as? String), secret = try #require(opened.json["secret"] as? String)
        Self.expectError(try await HTTP.send("POST", server.url("v1/cases/\(id)/hashes"), json: overflow, bearer: secret), 400, "invalid_field")
        #expect(try await HTTP.send("GET", server.url("healthz")).status == 200)
        #expect(server.process.isRunning)
    }

    @Test func implausibleHashesAreRefused() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-hardening")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url)
        defer { server.stop() }
        let cases = server.url("v1/cases")
        let zeros = String(repeating: "0", count: 64)
        // All-zero hashes (which match flat, innocent pictures) open nothing, without a key or with one.
        let flat: [[String: Any]] = [
            ["algorithm": "pdq", "value": zeros, "quality": 100, "image": 0],
            ["algorithm": "phash", "value": String(zeros.prefix(16)), "image": 0],
            ["algorithm": "dhash", "value": String(zeros.prefix(16)), "image": 0],
        ]
        let refused = try await HTTP.send("POST", cases, json: ["hashes": flat])
        Self.expectError(refused, 422, "no_usable_hashes")
        // A repeated word, and pHash/dHash without an accepted PDQ of the same picture.
        let repeated = String(repeating: "0123456789abcdef", count: 4)
        Self.expectError(try await HTTP.send("POST", cases, json: ["hashes": [["algorithm": "pdq", "value": repeated, "quality": 90]]]), 422, "no_usable_hashes")
        let mixed = try await HTTP.send("POST", cases, json: ["hashes": Fake.picture(0) + [
            ["algorithm": "phash", "value": Fake.hex(16), "image": 1],
            ["algorithm": "dhash", "value": "ffffffffffffffff", "image": 0],
        ]])
        #expect(mixed.status == 201)
        let rejected = try #require(mixed.json["rejected"] as? [[String: Any]])
        #expect(rejected.map { $0["code"] as? String } == ["pdq_required", "implausible_hash"])
        #expect(rejected.map { $0["index"] as? Int } == [5, 6])
        #expect(mixed.json["accepted"] as? Int == 5)
        // quality belongs to PDQ only.
        Self.expectError(try await HTTP.send("POST", cases, json: ["hashes": [["algorithm": "phash", "value": Fake.hex(16), "quality": 90]]]), 400, "invalid_field")
    }

    @Test func matchTellsNoDistanceAndNeeds64BitHashesPaired() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-hardening")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url, extra: ["--trusted-platform", "trusted"])
        defer { server.stop() }
        let key = try server.addPlatform("p")
        let trusted = try server.addPlatform("trusted")
        let pdq = Fake.hex(64)
        var picture = Fake.picture(0, pdq: pdq)
        let phash = picture[1]["value"] as! String
        picture[1]["value"] = phash
        #expect(try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": picture]).status == 201)
        let match = server.url("v1/match")

        // A pHash alone (a random guess is one in 2^20 at distance 8) matches nothing...
        let alone = try await HTTP.send("POST", match, json: ["items": [["id": "u", "algorithm": "phash", "value": phash]]], bearer: key)
        #expect(alone.status == 200 && Self.matches(alone).isEmpty)
        // ...nor beside a PDQ of another picture...
        let unrelated = try await HTTP.send("POST", match, json: ["items": [
            ["id": "u", "algorithm": "phash", "value": phash], ["id": "u", "algorithm": "pdq", "value": Fake.hex(64)],
        ]], bearer: key)
        #expect(Self.matches(unrelated).isEmpty)
        // ...but beside a PDQ of the same upload within 50 bits of the picture it does, even past PDQ's own 31.
        let paired = try await HTTP.send("POST", match, json: ["items": [
            ["id": "u", "algorithm": "phash", "value": phash], ["id": "u", "algorithm": "pdq", "value": Fake.flip(pdq, bits: 40)],
        ]], bearer: key)
        #expect(Self.matches(paired, 0).count == 1 && Self.matches(paired, 1).isEmpty)
        #expect(Self.matches(paired, 0).first?["distance"] == nil)
        // A trusted platform is told distances and matches pHash alone.
        let told = try await HTTP.send("POST", match, json: ["items": [["id": "u", "algorithm": "phash", "value": phash]]], bearer: trusted)
        #expect(Self.matches(told).first?["distance"] as? Int == 0)

        // Only fixed levels; the matching level applies to every algorithm; digests take no distance.
        Self.expectError(try await HTTP.send("POST", match, json: ["items": [["id": "u", "algorithm": "pdq", "value": pdq]], "max_distance": 30], bearer: key), 400, "invalid_max_distance")
        #expect(try await HTTP.send("POST", match, json: ["items": [["id": "u", "algorithm": "pdq", "value": pdq], ["id": "u", "algorithm": "phash", "value": phash]], "max_distance": 23], bearer: key).status == 200)
        #expect(try await HTTP.send("POST", match, json: ["items": [["id": "u", "algorithm": "phash", "value": phash]], "max_distance": 6], bearer: key).status == 200)
        Self.expectError(try await HTTP.send("POST", match, json: ["items": [["id": "u", "algorithm": "md5", "value": Fake.hex(32)]], "max_distance": 5], bearer: key), 400, "invalid_max_distance")
        #expect(try await HTTP.send("POST", match, json: ["items": [["id": "u", "algorithm": "md5", "value": Fake.hex(32)]], "max_distance": 31], bearer: key).status == 200)
        let exactOnly = try await HTTP.send("POST", match, json: ["items": [["id": "u", "algorithm": "pdq", "value": Fake.flip(pdq, bits: 1)], ["id": "v", "algorithm": "pdq", "value": pdq]], "max_distance": 0], bearer: key)
        #expect(Self.matches(exactOnly, 0).isEmpty && Self.matches(exactOnly, 1).count == 1)
        Self.expectError(try await HTTP.send("POST", match, json: ["items": [["id": "u", "algorithm": "pdq", "value": pdq]], "max_distance": NSNull()], bearer: key), 400, "invalid_field")
    }

    @Test func probingIsWithheldAuditedAndSlowed() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-hardening")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url, extra: ["--probe-limit", "8"])
        defer { server.stop() }
        let key = try server.addPlatform("prober")
        let pdq = Fake.hex(64)
        #expect(try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": Fake.picture(0, pdq: pdq)]).status == 201)
        // A boundary walk: many distinct values 28-31 bits from the stored hash, in one batch.
        let walk = (0..<40).map { i -> [String: Any] in
            var digits = Array(Fake.flip(pdq, bits: 28))
            let position = (i * 7 + 1) % 64
            let value = Int(String(digits[position]), radix: 16)! ^ 4
            digits[position] = Character(String(value, radix: 16))
            return ["id": "w\(i)", "algorithm": "pdq", "value": String(digits)]
        }
        let answer = try await HTTP.send("POST", server.url("v1/match"), json: ["items": walk], bearer: key)
        #expect(answer.status == 200)
        let answered = (0..<40).filter { !Self.matches(answer, $0).isEmpty }.count
        #expect(answered <= 8, "at most the probe limit of boundary values may be answered, got \(answered)")
        // The key is slowed, the audit log and the metrics say so.
        // One request every 10 seconds: of three sent at once, at least two are refused (sent one after the
        // other, a loaded machine can space them 10 s apart).
        let burst = try await withThrowingTaskGroup(of: Answer.self) { group in
            for _ in 0..<3 {
                group.addTask { try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "x", "algorithm": "pdq", "value": pdq]]], bearer: key) }
            }
            return try await group.reduce(into: [Answer]()) { $0.append($1) }
        }
        let slowed = burst.filter { $0.status == 429 }
        #expect(slowed.count >= 2, "\(burst.map(\.status))")
        for answer in slowed { Self.expectError(answer, 429, "slowed_for_probing") }
        let audit = try CLIRunner.run(["admin", "audit", "--data", dir.url.path])
        #expect(audit.stdout.contains("probing_suspected"))
        let metrics = try await HTTP.send("GET", server.url("metrics")).text
        #expect(metrics.contains("nccmatch_probing_suspected_total 1"))
        #expect(!audit.stdout.contains(pdq))
    }

    /// The walk of a stored video frame: three of the video's own frames padded with one probe frame 28-31 bits
    /// from the fourth, so the answer (match at 100%, none at 75%) tells whether the probe is inside. Those matches
    /// hinge on a boundary frame: past the probe limit they are withheld, audited, and the key slowed, while a
    /// copy whose own frames match keeps matching.
    @Test func videoFrameWalkIsWithheldLikeAPictureWalk() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-hardening")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url, extra: ["--probe-limit", "8"])
        defer { server.stop() }
        let key = try server.addPlatform("video-walker")
        let bank = (0..<4).map { _ in Fake.hex(64) }
        let frames = bank.enumerated().map { ["pdq": $1, "quality": 90, "timestamp": Double($0)] as [String: Any] }
        let opened = try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": [["algorithm": "vpdq", "frames": frames, "image": 0]]])
        #expect(opened.status == 201, "\(opened.text)")
        let match = server.url("v1/match")
        // The video's own frames match, and keep matching after the walk.
        let copy: [String: Any] = ["id": "copy", "algorithm": "vpdq", "frames": frames]
        #expect(Self.matches(try await HTTP.send("POST", match, json: ["items": [copy]], bearer: key)).count == 1)
        let walk = (0..<40).map { i -> [String: Any] in
            var digits = Array(Fake.flip(bank[3], bits: 28))
            let position = (i * 7 + 1) % 64
            digits[position] = Character(String(Int(String(digits[position]), radix: 16)! ^ 4, radix: 16))
            let probe: [String: Any] = ["pdq": String(digits), "quality": 90, "timestamp": 3.0]
            return ["id": "w\(i)", "algorithm": "vpdq", "frames": Array(frames.prefix(3)) + [probe]]
        }
        let answer = try await HTTP.send("POST", match, json: ["items": walk], bearer: key)
        #expect(answer.status == 200, "\(answer.text)")
        let answered = (0..<40).filter { !Self.matches(answer, $0).isEmpty }.count
        #expect(answered <= 8, "at most the probe limit of boundary walks may be answered, got \(answered)")
        let audit = try CLIRunner.run(["admin", "audit", "--data", dir.url.path])
        #expect(audit.stdout.contains("probing_suspected"))
        for value in bank { #expect(!audit.stdout.contains(value)) }
        // The slowed key still has one request in hand: the copy whose own frames match is answered.
        #expect(Self.matches(try await HTTP.send("POST", match, json: ["items": [copy]], bearer: key)).count == 1)
    }

    @Test func nearMissesAroundAnAnswerCountAsProbing() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-hardening")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url, extra: ["--probe-limit", "8"])
        defer { server.stop() }
        let key = try server.addPlatform("walker")
        let pdq = Fake.hex(64)
        #expect(try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": Fake.picture(0, pdq: pdq)]).status == 201)
        let match = server.url("v1/match")
        // A value at the boundary (31 bits) matches and is answered...
        let boundary = Fake.flip(pdq, bits: 31)
        #expect(Self.matches(try await HTTP.send("POST", match, json: ["items": [["id": "b", "algorithm": "pdq", "value": boundary]]], bearer: key)).count == 1)
        // ...then values one bit further out match nothing, but lie next to it: they count.
        let outside = (0..<12).map { i -> [String: Any] in
            var digits = Array(boundary)
            let position = (i * 3 + 1) % 64 // digits the 31 flips did not touch
            digits[position] = Character(String(Int(String(digits[position]), radix: 16)! ^ 2, radix: 16))
            return ["id": "o\(i)", "algorithm": "pdq", "value": String(digits)]
        }
        let missed = try await HTTP.send("POST", match, json: ["items": outside], bearer: key)
        #expect(missed.status == 200 && (0..<12).allSatisfy { Self.matches(missed, $0).isEmpty })
        // The picture's outer-band matches are now withheld; its near-exact copies still match.
        let after = try await HTTP.send("POST", match, json: ["items": [
            ["id": "far", "algorithm": "pdq", "value": Fake.flip(pdq, bits: 20)], ["id": "near", "algorithm": "pdq", "value": Fake.flip(pdq, bits: 3)],
        ]], bearer: key)
        // (The slowed key still has one request in hand.)
        #expect(after.status == 200 && Self.matches(after, 0).isEmpty && Self.matches(after, 1).count == 1)
        #expect(try CLIRunner.run(["admin", "audit", "--data", dir.url.path]).stdout.contains("probing_suspected"))
    }

    @Test func hitRateFarAboveUsualIsAudited() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-hardening")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url, extra: ["--hit-rate-window", "1"])
        defer { server.stop() }
        let key = try server.addPlatform("fed")
        let pdq = Fake.hex(64)
        #expect(try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": Fake.picture(0, pdq: pdq)]).status == 201)
        // A usual window: 1,000 uploads, none matched.
        let plain = (0..<1_000).map { ["id": "u\($0)", "algorithm": "pdq", "value": Fake.hex(64)] }
        #expect(try await HTTP.send("POST", server.url("v1/match"), json: ["items": plain], bearer: key).status == 200)
        try await Task.sleep(for: .milliseconds(1_200))
        // Then one where a tenth of 1,000 uploads match.
        let fed = (0..<1_000).map { ["id": "v\($0)", "algorithm": "pdq", "value": $0 % 10 == 0 ? pdq : Fake.hex(64)] }
        #expect(try await HTTP.send("POST", server.url("v1/match"), json: ["items": fed], bearer: key).status == 200)
        #expect(try CLIRunner.run(["admin", "audit", "--data", dir.url.path]).stdout.contains("hit_rate_unusual"))
        #expect(try await HTTP.send("GET", server.url("metrics")).text.contains("nccmatch_hit_rate_unusual_total 1"))
    }

    @Test func dailyBudgetOfDistinctPictures() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-hardening")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url, extra: ["--match-budget", "2"])
        defer { server.stop() }
        let key = try server.addPlatform("p")
        let pictures = (0..<3).map { _ in Fake.hex(64) }
        for pdq in pictures {
            #expect(try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": Fake.picture(0, pdq: pdq)]).status == 201)
        }
        let first = try await HTTP.send("POST", server.url("v1/match"), json: ["items": pictures.prefix(2).enumerated().map { ["id": "\($0.offset)", "algorithm": "pdq", "value": $0.element] }], bearer: key)
        #expect(first.status == 200 && Self.matches(first, 0).count == 1 && Self.matches(first, 1).count == 1)
        // Pictures already counted today still match; a third one is over the budget and refused whole.
        #expect(Self.matches(try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "0", "algorithm": "pdq", "value": pictures[0]]]], bearer: key)).count == 1)
        Self.expectError(try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "2", "algorithm": "pdq", "value": pictures[2]]]], bearer: key), 429, "match_budget_exhausted")
    }

    @Test func caseOpeningIsLimitedPerClient() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-hardening")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url, extra: ["--case-burst", "3", "--cases-per-hour", "1", "--trusted-proxy", "127.0.0.1"])
        defer { server.stop() }
        let me = ["X-Forwarded-For": "198.51.100.1"], someoneElse = ["X-Forwarded-For": "198.51.100.2"]
        for _ in 0..<3 {
            #expect(try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": Fake.picture()], headers: me).status == 201)
        }
        let fourth = try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": Fake.picture()], headers: me)
        Self.expectError(fourth, 429, "too_many_cases")
        #expect(Int(fourth.headers["retry-after"] ?? "") ?? 0 > 60)
        // Other clients are not affected.
        #expect(try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": Fake.picture()], headers: someoneElse).status == 201)
    }

    @Test func concurrentWrongSecretsAreCountedBeforeChecking() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-hardening")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url, extra: ["--secret-failures", "5"])
        defer { server.stop() }
        let opened = try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": Fake.picture()])
        let id = try #require(opened.json["case_id"] as? String)
        let url = server.url("v1/cases/\(id)")
        let started = Date()
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<40 { group.addTask { try await HTTP.send("GET", url, bearer: "guess").status } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 401 }.count == 5, "\(statuses)")
        #expect(statuses.filter { $0 == 429 }.count == 35)
        // An unknown case (or an 80 KB id) gets exactly the same answer as a wrong secret.
        let unknown = try await HTTP.send("GET", server.url("v1/cases/c_" + String(repeating: "0", count: 32)), bearer: "guess")
        let long = try await HTTP.send("GET", server.url("v1/cases/" + String(repeating: "x", count: 60_000)), bearer: "guess")
        if Date().timeIntervalSince(started) < 5 {
            #expect(unknown.status == 429 && long.status == 429)
        } else {
            // A loaded machine took longer than the 6 s in which one wrong try is given back: then a wrong
            // secret would get 401 as well, and so may these.
            #expect(Set([unknown.status, long.status]).isSubset(of: [401, 429]), "\(unknown.status) \(long.status)")
        }
    }

    @Test func slowAndBrokenConnectionsAreBounded() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-hardening")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url, extra: ["--read-timeout", "1", "--max-connections-per-client", "4"])
        defer { server.stop() }
        let port = server.base.port!

        // Half-sent headers and an idle socket are closed after the read timeout.
        let half = try RawSocket(port: port)
        try half.send("POST /v1/cases HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"has")
        let idle = try RawSocket(port: port)
        let start = Date()
        #expect(half.readAll(timeout: 5) != nil)
        #expect(idle.readAll(timeout: 5) != nil)
        #expect(Date().timeIntervalSince(start) < 4)

        // A broken request line gets the JSON error body.
        let broken = try RawSocket(port: port)
        try broken.send("GARBAGE\u{1}\u{2} / HTTP/1.1\r\n\r\n")
        let brokenAnswer = broken.readAll(timeout: 5) ?? ""
        #expect(brokenAnswer.hasPrefix("HTTP/1.1 400") && brokenAnswer.contains("\"code\":\"malformed_request\""), "\(brokenAnswer)")

        // A bad chunk size and a chunked body over the limit get 400 and 413 with JSON, not 500.
        let badChunk = try RawSocket(port: port)
        try badChunk.send("POST /v1/cases HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
        let badChunkAnswer = badChunk.readAll(timeout: 5) ?? ""
        #expect(badChunkAnswer.hasPrefix("HTTP/1.1 400") && badChunkAnswer.contains("\"code\""), "\(badChunkAnswer)")
        let bigChunks = try RawSocket(port: port)
        var request = "POST /v1/cases HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
        let chunk = String(repeating: " ", count: 1 << 20)
        for _ in 0..<5 { request += String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n" }
        request += "0\r\n\r\n"
        try? bigChunks.send(request)
        let bigAnswer = bigChunks.readAll(timeout: 5) ?? ""
        #expect(bigAnswer.hasPrefix("HTTP/1.1 413") && bigAnswer.contains("body_too_large"), "\(bigAnswer.prefix(300))")

        // A method a path does not take is 405 with Allow.
        let put = try await HTTP.send("PUT", server.url("v1/match"), body: Data("{}".utf8))
        Self.expectError(put, 405, "method_not_allowed")
        #expect(put.headers["allow"] == "POST")

        // One client holds at most 4 connections; the fifth is closed at once, and the server still answers.
        // (First the connections above, URLSession's kept-alive one included, time out.)
        for socket in [half, idle, broken, badChunk, bigChunks] { socket.close() }
        usleep(1_500_000)
        let held = try (0..<4).map { _ in try RawSocket(port: port) }
        usleep(200_000) // connections are set up on two event loops: let the first four be counted first
        let extra = try RawSocket(port: port)
        #expect(extra.readAll(timeout: 0.8) != nil, "the fifth connection should be closed")
        held.forEach { $0.close() }
        usleep(100_000)
        #expect(try await HTTP.send("GET", server.url("healthz")).status == 200)
    }
}

/// A plain TCP client for requests URLSession will not send (broken, half-sent, held open).
final class RawSocket: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { Glibc.close(fd); throw ServiceTestError("connect failed") }
    }

    func send(_ text: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw ServiceTestError("send failed") }
            bytes = bytes.dropFirst(n)
        }
    }

    /// Everything until the server closes, or nil when it has not closed within `timeout` seconds.
    func readAll(timeout: Double) -> String? {
        var out = [UInt8]()
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1_000)))
            if ready <= 0 { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return String(decoding: out, as: UTF8.self) }
            out += buffer[0..<n]
        }
        return nil
    }

    private var closed = false

    func close() {
        if !closed { Glibc.close(fd) }
        closed = true
    }

    deinit { close() }
}
