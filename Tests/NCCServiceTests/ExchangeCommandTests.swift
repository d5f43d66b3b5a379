import Foundation
import Hummingbird
import Logging
import NCCTestSupport
import NIOCore
import Synchronization
import Testing

/// `nccmatch bank` and `nccmatch exchange` on a real SQLite bank, and `serve`'s fetch and feedback loops, against a
/// StopNCII partner API replayed over real HTTP on loopback (the service cannot be reached from here).
///
/// The replay answers in the formats of pytx's StopNCII client (facebook/ThreatExchange,
/// `python-threatexchange/threatexchange/exchanges/clients/stopncii/api.py` and its `tests/test_api.py`, as
/// `Tests/NCCExchangeTests/Fixtures/README.md` lists): `GET /v1/FetchHashes?startTimestamp=&pageSize=
/// [&nextPageToken=]` with the `x-functions-key` and `Ocp-Apim-Subscription-Key` headers, answering `count`,
/// `hashRecords` (`signalType`, `hashValue`, `hashStatus`, `caseNumbers`, `lastModtimestamp`), `nextPageToken`,
/// `nextSetTimestamp`, `hasMoreRecords`; and `POST /v1/SubmitFeedback` with `hashFeedbacks`.
@Suite(.needsCLI) struct ExchangeCommandTests {
    static let fetchKey = "fetch-secret-7f3a"
    static let subscriptionKey = "subscription-secret-91c2"
    static let feedbackKey = "feedback-secret-4be0"
    static let credentials = ["--credential", "fetch_key=TEST_SNCII_FETCH", "--credential", "subscription_key=TEST_SNCII_SUB",
                              "--credential", "feedback_key=TEST_SNCII_FEEDBACK"]
    static var environment: [String: String] {
        ProcessInfo.processInfo.environment.merging(
            ["TEST_SNCII_FETCH": fetchKey, "TEST_SNCII_SUB": subscriptionKey, "TEST_SNCII_FEEDBACK": feedbackKey]) { _, new in new }
    }

    @Test("bank and exchange commands: add, fetch with its counts, list, remove; a missing variable is named, never a value")
    func commandsImportAndCount() async throws {
        let replay = try await StopNCIIReplay.start(pageLimit: 2)
        defer { Task { await replay.stop() } }
        let good = (0..<3).map { _ in Fake.hex(64) }
        for value in good { replay.upsert(signalType: "ImagePDQ", value: value, status: "Active") }
        replay.upsert(signalType: "VideoMD5", value: Fake.hex(32), status: "Received")
        replay.upsert(signalType: "ImagePDQ", value: Fake.hex(32), status: "Active") // 32 characters: not a PDQ

        let dir = try TemporaryDirectory(prefix: "nccmatch-exchange-cli")
        defer { dir.remove() }
        let data = ["--data", dir.url.appendingPathComponent("data").path]
        try await run(["bank", "add", "sncii-bank"] + data)
        let wide = try await cli(["bank", "add", "too-wide", "--pdq-distance", "40"] + data)
        #expect(wide.status == 1 && wide.stderr.contains("distance_too_wide") && wide.stderr.contains("--allow-wide-distance"))
        try await run(["bank", "add", "known-fp", "--role", "allow", "--pdq-distance", "20", "--disabled"] + data)
        let secretInArgument = try await cli(["exchange", "add", "x", "--kind", "stopncii", "--bank", "sncii-bank",
                                                  "--credential", "fetch_key=abc-def"] + data)
        #expect(secretInArgument.status == 2 && secretInArgument.stderr.contains("must name an environment variable"))
        try await run(["exchange", "add", "sncii", "--kind", "stopncii", "--bank", "sncii-bank", "--endpoint", replay.baseURL.appendingPathComponent("v1").absoluteString,
                 "--interval", "60"] + Self.credentials + data)

        // Without its variables the fetch stops at once, naming the variable and never a value.
        let missing = try await cli(["exchange", "fetch", "sncii"] + data)
        #expect(missing.status == 1 && missing.stderr.contains("TEST_SNCII_FETCH") && missing.stderr.contains("exchange_credential_missing"))
        #expect(replay.fetches == 0)

        let fetched = try await cli(["exchange", "fetch", "sncii"] + data, environment: Self.environment)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        let counts = Self.table(fetched.stdout)
        #expect(counts["pages"] == "3" && counts["stored"] == "4" && counts["removed"] == "0")
        #expect(counts["rejected"] == "1" && counts["rejected_hash_wrong_length"] == "1" && counts["end"] == "yes")
        for secret in [Self.fetchKey, Self.subscriptionKey, Self.feedbackKey] + good {
            #expect(!fetched.stdout.contains(secret) && !fetched.stderr.contains(secret))
        }
        #expect(replay.lastHeaders["x-functions-key"] == Self.fetchKey && replay.lastHeaders["ocp-apim-subscription-key"] == Self.subscriptionKey)

        let banks = try await rows(["bank", "list"] + data)
        #expect(banks["cases"]?[0...2] == ["match", "yes", "default"])
        #expect(banks["sncii-bank"] == ["match", "yes", "default", "4", "sncii"])
        #expect(banks["known-fp"] == ["allow", "no", "20", "0", "-"])
        let exchanges = try await rows(["exchange", "list"] + data)
        #expect(exchanges["sncii"] == ["stopncii", "sncii-bank", "60", "yes", "4", "at_end", "0", "0", "0"])

        // Nothing new upstream: one page, nothing stored twice. A withdrawal removes the hash at the next fetch.
        let again = Self.table(try await run(["exchange", "fetch", "sncii"] + data, environment: Self.environment))
        #expect(again["pages"] == "1" && again["stored"] == "0")
        replay.upsert(signalType: "ImagePDQ", value: good[0], status: "Withdrawn")
        let withdrawn = Self.table(try await run(["exchange", "fetch", "sncii"] + data, environment: Self.environment))
        #expect(withdrawn["removed"] == "1")
        #expect(try await rows(["bank", "list"] + data)["sncii-bank"]?[3] == "3")

        // The feedback source: named when added without one, set, refused with a control character, removed.
        #expect(try await run(["exchange", "set", "sncii", "--feedback-source", "Example Platform"] + data).contains("feedback source Example Platform"))
        let badSource = try await cli(["exchange", "set", "sncii", "--feedback-source", "a\u{7}b"] + data)
        #expect(badSource.status == 2 && badSource.stderr.contains("--feedback-source"))
        #expect(!(try await run(["exchange", "set", "sncii", "--feedback-source", ""] + data)).contains("feedback source"))
        try await run(["bank", "add", "second-bank"] + data)
        #expect(try await run(["exchange", "add", "sncii-2", "--kind", "stopncii", "--bank", "second-bank"] + data).contains("no --feedback-source"))
        try await run(["exchange", "remove", "sncii-2"] + data)
        try await run(["bank", "remove", "second-bank"] + data)

        try await run(["bank", "set", "known-fp", "--enable", "--default-distance"] + data)
        #expect(try await rows(["bank", "list"] + data)["known-fp"]?[1...2] == ["yes", "default"])
        let quarantine = try await cli(["bank", "quarantine", "sncii-bank"] + data)
        #expect(quarantine.status == 2 && quarantine.stderr.contains("<bank>/<id>"))
        let unknown = try await cli(["bank", "quarantine", "nobank/3"] + data)
        #expect(unknown.status == 1 && unknown.stderr.contains("bank_not_found"))

        let inUse = try await cli(["bank", "remove", "sncii-bank"] + data)
        #expect(inUse.status == 1 && inUse.stderr.contains("bank_in_use"))
        #expect(try await run(["exchange", "remove", "sncii"] + data).contains("3 records"))
        try await run(["bank", "remove", "sncii-bank"] + data)
        #expect(try await rows(["bank", "list"] + data)["sncii-bank"] == nil)
        let own = try await cli(["bank", "remove", "cases"] + data)
        #expect(own.status == 1 && own.stderr.contains("bank_in_use"))
    }

    @Test("serve fetches an exchange added while it runs, stops matching a withdrawn hash within one interval, sends feedback once")
    func serveLoopsImportWithdrawAndSendFeedback() async throws {
        let replay = try await StopNCIIReplay.start(pageLimit: 800)
        defer { Task { await replay.stop() } }
        let withdrawnLater = Fake.hex(64), kept = Fake.hex(64)
        replay.upsert(signalType: "ImagePDQ", value: withdrawnLater, status: "Active")
        replay.upsert(signalType: "ImagePDQ", value: kept, status: "Received")

        let dir = try TemporaryDirectory(prefix: "nccmatch-exchange-serve")
        defer { dir.remove() }
        let dataPath = dir.url.appendingPathComponent("data")
        let data = ["--data", dataPath.path]
        let wrapper = try Self.wrapper(in: dir)
        let server = try await offPool { try ServerProcess(data: dataPath, binary: wrapper) }
        defer { server.stop() }
        let key = try await offPool { [server] in try server.addPlatform("example-platform") }

        // Added while serve runs: the loop sees it on its next tick.
        let interval = 10
        try await run(["bank", "add", "sncii-bank"] + data)
        try await run(["exchange", "add", "sncii", "--kind", "stopncii", "--bank", "sncii-bank", "--endpoint", replay.baseURL.appendingPathComponent("v1").absoluteString,
                 "--interval", "\(interval)"] + Self.credentials + data)

        let near = Fake.flip(withdrawnLater, bits: 6), nearKept = Fake.flip(kept, bits: 6)
        let imported = try await waitFor(seconds: 60) { try await matchRefs(server, key, near).first }
        #expect(imported.hasPrefix("x_"))
        let keptRef = try #require(try await matchRefs(server, key, nearKept).first)

        // Feedback on an imported hash goes to StopNCII once, in its words, however often the platform sends it.
        for _ in 0..<2 {
            let answer = try await HTTP.send("POST", server.url("v1/feedback"), json: ["match_ref": keptRef, "outcome": "removed", "content_id": "upload-9"], bearer: key)
            #expect(answer.status == 200, "\(answer.text)")
        }
        let delivered = try await waitFor(seconds: 30) { replay.feedbacks.isEmpty ? nil : replay.feedbacks }
        try await Task.sleep(for: .seconds(3))
        #expect(replay.feedbacks.count == 1)
        let body = try #require(try JSONSerialization.jsonObject(with: delivered[0].body) as? [String: Any])
        let item = try #require((body["hashFeedbacks"] as? [[String: Any]])?.first)
        #expect(body["count"] as? Int == 1 && item["hashValue"] as? String == kept && item["feedbackValue"] as? String == "Blocked")
        #expect(delivered[0].headers["x-functions-key"] == Self.feedbackKey)
        #expect(!String(decoding: delivered[0].body, as: UTF8.self).contains("upload-9"))
        let feedback = try await run(["exchange", "feedback", "sncii"] + data)
        #expect(feedback.contains("sncii\tremoved\tdelivered") && !feedback.contains(kept))
        #expect(try await run(["exchange", "feedback", "--show-values"] + data).contains(kept))
        #expect(try await rows(["exchange", "list"] + data)["sncii"]?[5...8] == ["at_end", "0", "1", "0"])

        // A withdrawal upstream stops the match within one interval (and a second for the index to follow).
        let fetchesBefore = replay.fetches
        replay.upsert(signalType: "ImagePDQ", value: withdrawnLater, status: "Withdrawn")
        let start = Date()
        _ = try await waitFor(seconds: Double(interval) + 30) { try await matchRefs(server, key, near).isEmpty ? true : nil }
        let took = Date().timeIntervalSince(start)
        #expect(took < Double(interval) + 10, "the withdrawal took \(took) s to stop matching")
        #expect(replay.fetches > fetchesBefore)
        #expect(try await matchRefs(server, key, nearKept) == [keptRef])

        let metrics = try await HTTP.send("GET", server.url("metrics")).text
        #expect(metrics.contains("nccmatch_exchange_pages_total{exchange=\"sncii\"}"))
        #expect(metrics.contains("nccmatch_feedback_delivered_total{exchange=\"sncii\"} 1"))
        #expect(!metrics.contains(kept) && !metrics.contains(Self.fetchKey))
    }

    @Test("feedback on 1,000 imported matches reaches the exchange exactly once each, across a SIGKILL of the server while a request is in flight")
    func feedbackAcrossKill() async throws {
        let replay = try await StopNCIIReplay.start(pageLimit: 800, feedbackDelay: .milliseconds(10))
        defer { Task { await replay.stop() } }
        let values = (0..<1_000).map { _ in Fake.hex(64) }
        for value in values { replay.upsert(signalType: "ImagePDQ", value: value, status: "Active") }

        let dir = try TemporaryDirectory(prefix: "nccmatch-exchange-kill")
        defer { dir.remove() }
        let dataPath = dir.url.appendingPathComponent("data")
        let data = ["--data", dataPath.path]
        try await run(["bank", "add", "sncii-bank"] + data)
        try await run(["exchange", "add", "sncii", "--kind", "stopncii", "--bank", "sncii-bank", "--endpoint", replay.baseURL.appendingPathComponent("v1").absoluteString,
                 "--interval", "600", "--feedback-source", StopNCIIReplay.cspName] + Self.credentials + data)
        #expect(Self.table(try await run(["exchange", "fetch", "sncii"] + data, environment: Self.environment))["stored"] == "1000")

        let wrapper = try Self.wrapper(in: dir)
        let extra = ["--rate-requests", "100000"]
        var server = try await offPool { try ServerProcess(data: dataPath, extra: extra, binary: wrapper) }
        defer { server.stop() }
        let key = try await offPool { [server] in try server.addPlatform("example-platform") }
        let items = values.enumerated().map { ["id": "upload-\($0.offset)", "algorithm": "pdq", "value": $0.element] }
        var refs: [String] = []
        _ = try await waitFor(seconds: 60) { try await matchRefs(server, key, values[999]).first }
        let answer = try await HTTP.send("POST", server.url("v1/match"), json: ["items": items], bearer: key)
        for result in answer.json["results"] as? [[String: Any]] ?? [] {
            if let ref = (result["matches"] as? [[String: Any]])?.first?["match_ref"] as? String { refs.append(ref) }
        }
        try #require(refs.count == 1_000, "\(answer.status) \(answer.text.prefix(300))")
        // The 100th feedback is taken by the exchange, but its answer is held: the kill lands with it in flight.
        replay.holdFeedback(at: 100)
        let base = server.base!
        try await withThrowingTaskGroup(of: Int.self) { group in
            for chunk in stride(from: 0, to: refs.count, by: 125) {
                let slice = Array(refs[chunk..<min(refs.count, chunk + 125)])
                group.addTask {
                    for ref in slice {
                        let sent = try await HTTP.send("POST", base.appendingPathComponent("v1/feedback"), json: ["match_ref": ref, "outcome": "removed"], bearer: key)
                        guard sent.status == 200 else { return sent.status }
                    }
                    return 200
                }
            }
            for try await status in group { #expect(status == 200) }
        }

        _ = try await waitFor(seconds: 120) { replay.holding ? true : nil }
        server.kill()
        let atKill = replay.feedbacks.count
        replay.releaseHold()
        // The item in flight was marked before its request left: the outbox holds it in doubt, not delivered.
        let inDoubt = try await run(["exchange", "feedback", "sncii"] + data).split(separator: "\n").filter { $0.contains("\tin_doubt\t") }
        #expect(atKill == 100 && inDoubt.count == 1, "\(atKill) posts at the kill, \(inDoubt.count) in doubt")

        // Started again: the feed shows the exchange took the item in flight, so it is settled, not sent again.
        server = try await offPool { try ServerProcess(data: dataPath, extra: extra, binary: wrapper) }
        _ = try await waitFor(seconds: 300) { try await rows(["exchange", "list"] + data)["sncii"]?[7] == "1000" ? true : nil }
        try await Task.sleep(for: .seconds(3))
        let sent = replay.feedbackHashes
        #expect(Set(sent) == Set(values))
        let repeated = Dictionary(grouping: sent, by: { $0 }).filter { $0.value.count > 1 }.count
        #expect(replay.feedbacks.count == 1_000 && sent.count == 1_000 && repeated == 0,
                "the exchange received \(replay.feedbacks.count) posts for 1,000 items, \(repeated) items more than once")
        #expect(try await rows(["exchange", "list"] + data)["sncii"]?[6...8] == ["0", "1000", "0"])
        let metrics = try await HTTP.send("GET", server.url("metrics")).text
        #expect(metrics.contains("nccmatch_feedback_settled_total{exchange=\"sncii\",as=\"delivered\"} 1"), "the item in flight was not settled from the feed")
        #expect(metrics.contains("nccmatch_feedback_delivered_total{exchange=\"sncii\"} 900"))
    }

    @Test("serve imports a pytx local_file while an exchange missing its variables fails alone, by code; file feedback is closed with nothing sent")
    func fileExchangeBesideBrokenOne() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-exchange-file")
        defer { dir.remove() }
        let dataPath = dir.url.appendingPathComponent("data")
        let data = ["--data", dataPath.path]
        // pytx `local_file` (exchanges/impl/file_api.py): one `signal_type value` per line.
        let listed = Fake.hex(64)
        let file = dir.url.appendingPathComponent("signals.txt")
        try "pdq \(listed)\npdq \(Fake.hex(64))\n".write(to: file, atomically: true, encoding: .utf8)
        try await run(["bank", "add", "broken-bank"] + data)
        try await run(["exchange", "add", "broken", "--kind", "stopncii", "--bank", "broken-bank", "--endpoint", "http://127.0.0.1:9/v1",
                       "--credential", "fetch_key=TEST_UNSET_FETCH_9F", "--credential", "subscription_key=TEST_UNSET_SUB_9F"] + data)
        try await run(["bank", "add", "file-bank"] + data)
        try await run(["exchange", "add", "signals", "--kind", "local_file", "--bank", "file-bank", "--endpoint", file.path, "--interval", "10"] + data)
        let server = try await offPool { try ServerProcess(data: dataPath) }
        defer { server.stop() }
        let key = try await offPool { [server] in try server.addPlatform("example-platform") }

        let ref = try await waitFor(seconds: 60) { try await matchRefs(server, key, Fake.flip(listed, bits: 4)).first }
        #expect(ref.hasPrefix("x_"))
        let metrics = try await HTTP.send("GET", server.url("metrics")).text
        #expect(metrics.contains("nccmatch_exchange_fetch_failures_total{exchange=\"broken\",code=\"exchange_credential_missing\"}"))
        #expect(try await rows(["exchange", "list"] + data)["signals"]?[4...5] == ["2", "stored"])

        let answer = try await HTTP.send("POST", server.url("v1/feedback"), json: ["match_ref": ref, "outcome": "not_violating"], bearer: key)
        #expect(answer.status == 200, "\(answer.text)")
        let line = try await waitFor(seconds: 30) { () async throws -> String? in
            try await run(["exchange", "feedback", "signals"] + data).split(separator: "\n").dropFirst().first.map(String.init)
                .flatMap { $0.contains("delivered") ? $0 : nil }
        }
        #expect(line.hasPrefix("signals\tnot_violating\tdelivered\t") && line.hasSuffix("\t1\t-"))
        #expect(!(try await HTTP.send("GET", server.url("metrics")).text).contains("nccmatch_feedback_delivered_total{exchange=\"signals\"}"))
    }

    @Test("serve --no-exchange-fetch leaves the exchanges alone")
    func noExchangeFetch() async throws {
        let replay = try await StopNCIIReplay.start(pageLimit: 800)
        defer { Task { await replay.stop() } }
        replay.upsert(signalType: "ImagePDQ", value: Fake.hex(64), status: "Active")
        let dir = try TemporaryDirectory(prefix: "nccmatch-exchange-off")
        defer { dir.remove() }
        let dataPath = dir.url.appendingPathComponent("data")
        let data = ["--data", dataPath.path]
        try await run(["bank", "add", "sncii-bank"] + data)
        try await run(["exchange", "add", "sncii", "--kind", "stopncii", "--bank", "sncii-bank", "--endpoint", replay.baseURL.appendingPathComponent("v1").absoluteString,
                 "--interval", "10"] + Self.credentials + data)
        let server = try await offPool { try ServerProcess(data: dataPath, extra: ["--no-exchange-fetch"]) }
        defer { server.stop() }
        try await Task.sleep(for: .seconds(3))
        #expect(replay.fetches == 0)
    }

    // MARK: - Helpers

    /// `nccmatch` with the credentials in its environment, as an operator's unit file would start `serve`.
    static func wrapper(in dir: TemporaryDirectory) throws -> URL {
        let wrapper = dir.url.appendingPathComponent("nccmatch-with-keys")
        try """
            #!/bin/sh
            TEST_SNCII_FETCH='\(fetchKey)' TEST_SNCII_SUB='\(subscriptionKey)' TEST_SNCII_FEEDBACK='\(feedbackKey)' exec '\(CLIRunner.binary.path)' "$@"
            """.write(to: wrapper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: wrapper.path)
        return wrapper
    }

    /// Runs blocking work (a child process, waiting for it) on a thread of its own, off Swift's cooperative pool:
    /// blocking the pool's few threads would starve the replay server the child is talking to.
    private func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }

    private func cli(_ arguments: [String], environment: [String: String]? = nil) async throws -> CLIResult {
        try await offPool { try CLIRunner.run(arguments, environment: environment) }
    }

    @discardableResult
    private func run(_ arguments: [String], environment: [String: String]? = nil) async throws -> String {
        let result = try await cli(arguments, environment: environment)
        guard result.status == 0 else { throw ServiceTestError("nccmatch \(arguments.prefix(3).joined(separator: " ")) failed (\(result.status)): \(result.stderr)") }
        return result.stdout
    }

    /// A listing's rows by their first column (the header row left out).
    private func rows(_ arguments: [String]) async throws -> [String: [String]] {
        var rows: [String: [String]] = [:]
        for line in try await run(arguments).split(separator: "\n").dropFirst() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            rows[fields[0]] = Array(fields.dropFirst())
        }
        return rows
    }

    /// `name<TAB>value` lines.
    static func table(_ text: String) -> [String: String] {
        var table: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            if parts.count == 2 { table[parts[0]] = parts[1] }
        }
        return table
    }

    private func matchRefs(_ server: ServerProcess, _ key: String, _ pdq: String) async throws -> [String] {
        let answer = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "upload", "algorithm": "pdq", "value": pdq]]], bearer: key)
        guard answer.status == 200 else { throw ServiceTestError("match answered \(answer.status): \(answer.text)") }
        let matches = ((answer.json["results"] as? [[String: Any]])?.first?["matches"] as? [[String: Any]]) ?? []
        return matches.compactMap { $0["match_ref"] as? String }
    }

    private func waitFor<T>(seconds: Double, _ body: () async throws -> T?) async throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let value = try await body() { return value }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw ServiceTestError("nothing within \(seconds) s")
    }
}

/// StopNCII's partner API replayed on loopback: a store of aggregate hash records keyed by type and hash, each
/// change stamped with a later `lastModtimestamp` (seconds since 1970, never behind this host's clock);
/// `FetchHashes` pages the records changed since `startTimestamp` (`pageLimit` a page, the page token being the
/// offset) and answers `nextSetTimestamp` after the newest. Both endpoints check the function key and the
/// subscription key.
///
/// `SubmitFeedback` behaves as the documented aggregate record does (pytx
/// `python-threatexchange/threatexchange/exchanges/clients/stopncii/api.py`: `StopNCIIHashRecord.CSPFeedbacks`, a
/// list of `StopNCIICSPFeedback` with `feedbackValue`, `tags` and `source`, "Name of the Content Service Provider";
/// a later record for the same hash replaces the earlier): each POST is counted (every one, repeats included),
/// then sets the `CSPFeedbacks` entry of the platform behind the subscription key it authenticated with
/// (`cspName`) and stamps the record later, so the next `FetchHashes` returns it. Its answer comes after
/// `feedbackDelay`; `holdFeedback(at:)` keeps the answer to the n-th POST back until `releaseHold()`, after the
/// feedback was taken (as a server that stored it but whose answer never reached the sender).
final class StopNCIIReplay: Sendable {
    struct Seen: Sendable {
        var headers: [String: String]
        var body: Data
    }

    /// The CSP name StopNCII shows for the platform holding `ExchangeCommandTests.subscriptionKey`.
    static let cspName = "Example Platform"

    private struct State {
        var records: [String: (timestamp: Int64, json: [String: any Sendable])] = [:]
        var clock: Int64 = 0
        var fetches = 0
        var lastHeaders: [String: String] = [:]
        var feedbacks: [Seen] = []
        var holdAt: Int?
        var holding = false

        /// The next change's stamp: later than every earlier one, never behind this host's clock.
        mutating func tick() -> Int64 {
            clock = max(clock + 1, Int64(Date().timeIntervalSince1970))
            return clock
        }
    }

    private let state = Mutex(State())
    private let pageLimit: Int
    private let feedbackDelay: Duration
    private let task = Mutex<Task<Void, any Error>?>(nil)
    private let port = Mutex(0)

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port.withLock { $0 })")! }
    var fetches: Int { state.withLock { $0.fetches } }
    var lastHeaders: [String: String] { state.withLock { $0.lastHeaders } }
    var feedbacks: [Seen] { state.withLock { $0.feedbacks } }
    /// Whether an answer is being held back now (`holdFeedback(at:)`).
    var holding: Bool { state.withLock { $0.holding } }

    /// Holds back the answer to the `count`-th `SubmitFeedback` POST (counting from 1) until `releaseHold()`.
    func holdFeedback(at count: Int) { state.withLock { $0.holdAt = count } }

    /// Lets a held answer go (to a sender that may be gone).
    func releaseHold() { state.withLock { $0.holdAt = nil } }

    /// The `hashValue` of every feedback received, in order (repeats kept).
    var feedbackHashes: [String] {
        feedbacks.compactMap { seen in
            let body = (try? JSONSerialization.jsonObject(with: seen.body)) as? [String: Any]
            return ((body?["hashFeedbacks"] as? [[String: Any]])?.first)?["hashValue"] as? String
        }
    }

    private init(pageLimit: Int, feedbackDelay: Duration) {
        self.pageLimit = pageLimit
        self.feedbackDelay = feedbackDelay
    }

    /// Starts a replay answering `pageLimit` records a page at most, each `SubmitFeedback` after `feedbackDelay`.
    static func start(pageLimit: Int, feedbackDelay: Duration = .zero) async throws -> StopNCIIReplay {
        let replay = StopNCIIReplay(pageLimit: pageLimit, feedbackDelay: feedbackDelay)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            var query: [String: String] = [:]
            for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
            let body = Data(buffer: try await request.body.collect(upTo: 1 << 20))
            // The feedback is taken first; its answer follows after the delay (or the hold).
            let (status, answer) = replay.answer(method: request.method.rawValue, path: request.uri.path, query: query, headers: headers, body: body)
            if request.uri.path.hasSuffix("SubmitFeedback") {
                if replay.feedbackDelay > .zero { try await Task.sleep(for: replay.feedbackDelay) }
                let number = replay.feedbacks.count
                while replay.state.withLock({ state in
                    state.holding = state.holdAt == number
                    return state.holding
                }) { try await Task.sleep(for: .milliseconds(20)) }
            }
            return Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: answer)))
        }
        let app = Application(
            responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: {
                var logger = Logger(label: "stopncii-replay")
                logger.logLevel = .critical
                return logger
            }())
        replay.task.withLock { $0 = Task { try await app.runService() } }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            await replay.stop()
            throw ServiceTestError("the replay server did not start")
        }
        replay.port.withLock { $0 = port }
        return replay
    }

    func stop() async {
        let task = task.withLock { $0 }
        task?.cancel()
        _ = await task?.result
    }

    /// Stores or replaces the record for `signalType` and `value`, stamped later than every earlier change.
    func upsert(signalType: String, value: String, status: String) {
        state.withLock { state in
            let stamp = state.tick()
            state.records["\(signalType)/\(value)"] = (stamp, [
                "lastModtimestamp": stamp, "hashValue": value, "hashStatus": status, "signalType": signalType,
                "caseNumbers": ["27664732-76e1-4a17-8099-455798e67022": status],
            ])
        }
    }

    private func answer(method: String, path: String, query: [String: String], headers: [String: String], body: Data) -> (Int, Data) {
        state.withLock { state in
            switch (method, path) {
            case ("GET", "/v1/FetchHashes"):
                guard headers["x-functions-key"] == ExchangeCommandTests.fetchKey,
                      headers["ocp-apim-subscription-key"] == ExchangeCommandTests.subscriptionKey else { return (401, Data("{}".utf8)) }
                state.fetches += 1
                state.lastHeaders = headers
                let start = Int64(query["startTimestamp"] ?? "") ?? 0
                let size = min(Int(query["pageSize"] ?? "") ?? 800, pageLimit)
                let offset = Int(query["nextPageToken"] ?? "") ?? 0
                let changed = state.records.values.filter { $0.timestamp >= start }.sorted { $0.timestamp < $1.timestamp }
                let page = changed.dropFirst(offset).prefix(size)
                let more = offset + page.count < changed.count
                var answer: [String: Any] = ["count": page.count, "hashRecords": page.map(\.json), "hasMoreRecords": more,
                                             "nextSetTimestamp": (changed.last?.timestamp ?? start - 1) + 1]
                if more { answer["nextPageToken"] = String(offset + page.count) }
                return (200, try! JSONSerialization.data(withJSONObject: answer))
            case ("POST", "/v1/SubmitFeedback"):
                guard headers["x-functions-key"] == ExchangeCommandTests.feedbackKey,
                      headers["ocp-apim-subscription-key"] == ExchangeCommandTests.subscriptionKey else { return (401, Data("{}".utf8)) }
                state.feedbacks.append(Seen(headers: headers, body: body))
                // Each hash's CSPFeedbacks entry of this platform takes the new value; the record changes.
                let items = ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any])?["hashFeedbacks"] as? [[String: Any]] ?? []
                for item in items {
                    guard let hash = item["hashValue"] as? String, let value = item["feedbackValue"] as? String else { return (400, Data("{}".utf8)) }
                    // pytx: "Why isn't signalType used here?" -- the hash alone names the record.
                    for (key, record) in state.records where record.json["hashValue"] as? String == hash {
                        var json = record.json
                        var feedbacks = (json["CSPFeedbacks"] as? [[String: any Sendable]] ?? []).filter { $0["source"] as? String != Self.cspName }
                        feedbacks.append(["source": Self.cspName, "feedbackValue": value, "tags": item["tags"] as? [String] ?? []])
                        let stamp = state.tick()
                        json["CSPFeedbacks"] = feedbacks
                        json["lastModtimestamp"] = stamp
                        state.records[key] = (stamp, json)
                    }
                }
                return (200, Data("{}".utf8))
            default:
                return (404, Data("{}".utf8))
            }
        }
    }
}
