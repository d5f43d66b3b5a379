import Foundation
import NCCTestSupport
import Testing

/// A picture's own PDQ matches at the full distance, the companions a case stores beside it (its rotated, cropped,
/// masked forms) only within `MatchingPolicy.companionMaxDistance` (21 bits), over real HTTP, the same checks on
/// every backend: a SQLite file before and after a restart (the index rebuilt from the stored order), and
/// PostgreSQL replicas that learn the case from the change feed or from a snapshot at start. A query's masked and
/// low-passed forms, named by the item's `kind`, meet the companions only.
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
        // A masked or low-passed form (by its kind) meets the companions only; the regions found in an upload reach the own PDQ.
        #expect(try await !ReplicaTests.matches(server, key: key, pdq: Fake.flip(own, bits: 3), kind: "caption-masked-top"), "\(label): a caption mask does not reach the own PDQ")
        #expect(try await ReplicaTests.matches(server, key: key, pdq: Fake.flip(companion, bits: 21), kind: "low-passed"), "\(label): a low-passed form meets a companion at 21 bits")
        #expect(try await !ReplicaTests.matches(server, key: key, pdq: Fake.flip(companion, bits: 22), kind: "low-passed"), "\(label): ...not at 22")
        #expect(try await ReplicaTests.matches(server, key: key, pdq: Fake.flip(own, bits: 30), kind: "collage-tile-2"), "\(label): a collage tile reaches the own PDQ at 30 bits")
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

    /// A kind the policy does not name, or a kind on a pHash item, is refused whole with what to send instead.
    @Test func unknownKindsAreRefused() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-kinds")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url.appendingPathComponent("data"))
        defer { server.stop() }
        let key = try server.addPlatform("example-platform")
        let own = try await Self.openPicture(server).own
        for (item, code) in [(["id": "u", "algorithm": "pdq", "value": own, "kind": "everything"], "invalid_field"),
                             (["id": "u", "algorithm": "pdq", "value": own, "kind": String(repeating: "collage-tile-", count: 6)], "invalid_field"),
                             (["id": "u", "algorithm": "phash", "value": Fake.hex(16), "kind": "low-passed"], "kind_not_allowed")] {
            let answer = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "u", "algorithm": "pdq", "value": own], item]], bearer: key)
            #expect(answer.status == 400 && answer.errorCode == code, "\(item): \(answer.status) \(answer.text)")
        }
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
