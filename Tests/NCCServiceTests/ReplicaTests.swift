import Foundation
import Logging
import NCCTestSupport
import PostgresNIO
import Testing

/// Several `nccmatch serve` replicas on one PostgreSQL bank. Needs `NCCMATCH_TEST_POSTGRES_URL` (set by
/// `.ci/run`); without it the tests show as skipped (a failure under `CI=true`).
@Suite(.serialized, .needsCLI) struct ReplicaTests {
    /// A fresh database on the test server; returns its URL and a function dropping it.
    static func freshDatabase(_ url: String) async throws -> (url: String, drop: @Sendable () async -> Void) {
        let name = "nccmatch_replicas_\(UInt64.random(in: 0...UInt64.max) % 1_000_000_000_000)"
        try await run(url: url, sql: "CREATE DATABASE \(name)")
        var components = URLComponents(string: url)!
        components.path = "/" + name
        return (components.string!, { try? await run(url: url, sql: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") })
    }

    static func run(url: String, sql: String) async throws {
        let components = URLComponents(string: url)!
        let logger = Logger(label: "nccmatch.tests")
        let configuration = PostgresConnection.Configuration(
            host: components.host!, port: components.port ?? 5432, username: components.user!, password: components.password,
            database: String(components.path.dropFirst()), tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        defer { Task { try? await connection.close() } }
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }

    /// Whether a PDQ hash matches through `server` (any match reference), at the default or a given `max_distance`.
    static func matches(_ server: ServerProcess, key: String, pdq: String, maxDistance: Int? = nil, kind: String? = nil) async throws -> Bool {
        var item: [String: Any] = ["id": "u", "algorithm": "pdq", "value": pdq]
        if let kind { item["kind"] = kind }
        var body: [String: Any] = ["items": [item]]
        if let maxDistance { body["max_distance"] = maxDistance }
        let answer = try await HTTP.send("POST", server.url("v1/match"), json: body, bearer: key)
        guard answer.status == 200, let results = answer.json["results"] as? [[String: Any]] else {
            throw ServiceTestError("match answered \(answer.status): \(answer.text)")
        }
        return !((results.first?["matches"] as? [Any])?.isEmpty ?? true)
    }

    /// The sequence a replica reports on /readyz.
    static func appliedSequence(_ server: ServerProcess) async throws -> Int {
        let text = try await HTTP.send("GET", server.url("readyz")).text
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("applied_sequence ") }),
              let value = Int(line.split(separator: " ")[1]) else { throw ServiceTestError("no applied_sequence in /readyz: \(text)") }
        return value
    }

    /// Polls `condition` every 10 ms until it holds; returns the seconds it took, or nil after `limit` seconds.
    static func waitUntil(limit: Double, _ condition: () async throws -> Bool) async throws -> Double? {
        let start = ContinuousClock.now
        while true {
            let elapsed = ContinuousClock.now - start
            if try await condition() { return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18 }
            if ContinuousClock.now - start > .seconds(limit) { return nil }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test(.needsPostgres)
    func caseOpenedMatchedAndWithdrawnThroughThreeReplicas() async throws {
        let database = try await Self.freshDatabase(try TestRequirements.requirePostgresURL())
        let dir = try TemporaryDirectory(prefix: "nccmatch-replicas")
        defer { dir.remove() }
        do {
            let replicas = try (0..<3).map { try ServerProcess(data: dir.url.appendingPathComponent("r\($0)"), database: database.url) }
            defer { replicas.forEach { $0.stop() } }
            let (a, b, c) = (replicas[0], replicas[1], replicas[2])
            let key = try a.addPlatform("p")

            let pdq = Fake.hex(64)
            let opened = try await HTTP.send("POST", a.url("v1/cases"), json: ["hashes": Fake.picture(0, pdq: pdq)])
            #expect(opened.status == 201)
            let caseID = try #require(opened.json["case_id"] as? String)
            let secret = try #require(opened.json["secret"] as? String)

            // Visible on every replica within a second of the acknowledgement.
            for replica in replicas {
                let took = try await Self.waitUntil(limit: 1) { try await Self.matches(replica, key: key, pdq: Fake.flip(pdq, bits: 5)) }
                #expect(took != nil, "the new case did not reach a replica within 1 s")
            }
            #expect(try await Self.matches(b, key: key, pdq: pdq))

            // The status is readable through any replica; the withdrawal through the third.
            #expect(try await HTTP.send("GET", b.url("v1/cases/\(caseID)"), bearer: secret).status == 200)
            let withdrawn = try await HTTP.send("DELETE", c.url("v1/cases/\(caseID)"), bearer: secret)
            #expect(withdrawn.status == 200)
            for replica in replicas {
                let took = try await Self.waitUntil(limit: 1) { try await !Self.matches(replica, key: key, pdq: pdq) }
                #expect(took != nil, "a withdrawn case still matched on a replica after 1 s")
            }
            // Every index caught up: the same applied sequence everywhere (opened = 1, withdrawn = 2).
            for replica in replicas {
                let took = try await Self.waitUntil(limit: 1) { try await Self.appliedSequence(replica) == 2 }
                #expect(took != nil, "a replica did not apply the withdrawal within 1 s")
            }
            let gone = try await HTTP.send("GET", a.url("v1/cases/\(caseID)"), bearer: secret)
            #expect(gone.json["status"] as? String == "withdrawn")
        } catch {
            await database.drop()
            throw error
        }
        await database.drop()
    }

    @Test(.needsPostgres)
    func killedReplicaRejoinsAndCatchesUp() async throws {
        let database = try await Self.freshDatabase(try TestRequirements.requirePostgresURL())
        let dir = try TemporaryDirectory(prefix: "nccmatch-replicas")
        defer { dir.remove() }
        do {
            let a = try ServerProcess(data: dir.url.appendingPathComponent("a"), database: database.url)
            defer { a.stop() }
            var b = try ServerProcess(data: dir.url.appendingPathComponent("b"), database: database.url)
            let key = try a.addPlatform("p")
            var cases: [(id: String, secret: String, pdq: String)] = []
            for _ in 0..<5 {
                let pdq = Fake.hex(64)
                let opened = try await HTTP.send("POST", a.url("v1/cases"), json: ["hashes": Fake.picture(0, pdq: pdq)])
                cases.append((opened.json["case_id"] as! String, opened.json["secret"] as! String, pdq))
            }
            b.kill()
            // While b is down: two more cases and a withdrawal through a.
            for _ in 0..<2 {
                let pdq = Fake.hex(64)
                let opened = try await HTTP.send("POST", a.url("v1/cases"), json: ["hashes": Fake.picture(0, pdq: pdq)])
                cases.append((opened.json["case_id"] as! String, opened.json["secret"] as! String, pdq))
            }
            #expect(try await HTTP.send("DELETE", a.url("v1/cases/\(cases[0].id)"), bearer: cases[0].secret).status == 200)
            b = try ServerProcess(data: dir.url.appendingPathComponent("b"), database: database.url)
            defer { b.stop() }
            #expect(try await Self.appliedSequence(b) == 8)
            for (i, entry) in cases.enumerated() {
                #expect(try await Self.matches(b, key: key, pdq: entry.pdq) == (i != 0))
                #expect(try await Self.matches(a, key: key, pdq: entry.pdq) == (i != 0))
            }
        } catch {
            await database.drop()
            throw error
        }
        await database.drop()
    }
}
