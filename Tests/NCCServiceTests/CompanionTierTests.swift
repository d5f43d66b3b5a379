import Foundation
import NCCTestSupport
import Testing

/// A picture's own PDQ matches at the full distance, the companions a case stores beside it (its rotated, cropped,
/// masked forms) only within `MatchingPolicy.companionMaxDistance` (21 bits), over real HTTP, the same checks on
/// every backend: a SQLite file before and after a restart (the index rebuilt from the stored order), and
/// PostgreSQL replicas that learn the case from the change feed or from a snapshot at start.
@Suite(.serialized, .needsCLI) struct CompanionTierTests {
    /// Opens a case with one picture through `writer`: its own PDQ first, then a companion about 128 bits from it
    /// (as a centre crop may be).
    static func openPicture(_ writer: ServerProcess) async throws -> (own: String, companion: String) {
        let own = Fake.hex(64), companion = Fake.hex(64)
        var hashes = Fake.picture(0, pdq: own)
        hashes.append(["algorithm": "pdq", "value": companion, "quality": 90, "image": 0])
        let opened = try await HTTP.send("POST", writer.url("v1/cases"), json: ["hashes": hashes])
        #expect(opened.status == 201 && opened.json["accepted"] as? Int == 6)
        return (own, companion)
    }

    /// The checks every backend passes.
    static func expectTiers(_ server: ServerProcess, key: String, own: String, companion: String, _ label: String) async throws {
        #expect(try await ReplicaTests.matches(server, key: key, pdq: Fake.flip(own, bits: 30)), "\(label): the picture's own PDQ at 30 bits")
        #expect(try await ReplicaTests.matches(server, key: key, pdq: Fake.flip(companion, bits: 21)), "\(label): a companion at 21 bits")
        #expect(try await !ReplicaTests.matches(server, key: key, pdq: Fake.flip(companion, bits: 22)), "\(label): a companion at 22 bits is no match")
        #expect(try await !ReplicaTests.matches(server, key: key, pdq: Fake.flip(companion, bits: 20), maxDistance: 15), "\(label): a narrower max_distance wins")
    }

    @Test func sqliteBeforeAndAfterARestart() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-companions")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url.appendingPathComponent("data"))
        defer { server.stop() }
        let key = try server.addPlatform("example-platform")
        let picture = try await Self.openPicture(server)
        try await Self.expectTiers(server, key: key, own: picture.own, companion: picture.companion, "sqlite")
        server.stop()
        let restarted = try ServerProcess(data: server.data)
        defer { restarted.stop() }
        try await Self.expectTiers(restarted, key: key, own: picture.own, companion: picture.companion, "sqlite, restarted")
    }

    @Test(.needsPostgres)
    func postgresReplicasFromTheFeedAndFromASnapshot() async throws {
        let database = try await ReplicaTests.freshDatabase(try TestRequirements.requirePostgresURL())
        let dir = try TemporaryDirectory(prefix: "nccmatch-companions-pg")
        defer { dir.remove() }
        do {
            let writer = try ServerProcess(data: dir.url.appendingPathComponent("a"), database: database.url)
            defer { writer.stop() }
            let follower = try ServerProcess(data: dir.url.appendingPathComponent("b"), database: database.url)
            defer { follower.stop() }
            let key = try writer.addPlatform("example-platform")
            let picture = try await Self.openPicture(writer)
            let took = try await ReplicaTests.waitUntil(limit: 5) {
                try await ReplicaTests.matches(follower, key: key, pdq: Fake.flip(picture.companion, bits: 3))
            }
            #expect(took != nil, "the case did not reach the other replica within 5 s")
            try await Self.expectTiers(writer, key: key, own: picture.own, companion: picture.companion, "postgres, writer")
            try await Self.expectTiers(follower, key: key, own: picture.own, companion: picture.companion, "postgres, change feed")
            let late = try ServerProcess(data: dir.url.appendingPathComponent("c"), database: database.url)
            defer { late.stop() }
            try await Self.expectTiers(late, key: key, own: picture.own, companion: picture.companion, "postgres, snapshot")
        } catch {
            await database.drop()
            throw error
        }
        await database.drop()
    }
}
