import Foundation
import NCCTestSupport
import Testing

/// Video cases on a shared PostgreSQL bank: a replica following the change feed matches a video opened through
/// another, a replica started afterwards loads it, and the withdrawal removes every frame on all of them.
@Suite(.serialized, .needsCLI) struct VideoReplicaTests {
    /// The shares of the first match of a video item through `server`, or nil when it matches nothing.
    static func videoShares(_ server: ServerProcess, key: String, frames: [[String: Any]]) async throws -> (query: Double, bank: Double)? {
        let answer = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "u", "algorithm": "vpdq", "frames": frames]]], bearer: key)
        guard answer.status == 200, let results = answer.json["results"] as? [[String: Any]] else {
            throw ServiceTestError("match answered \(answer.status): \(answer.text)")
        }
        guard let match = (results.first?["matches"] as? [[String: Any]])?.first else { return nil }
        return (match["query_match_percent"] as? Double ?? -1, match["bank_match_percent"] as? Double ?? -1)
    }

    @Test(.needsPostgres)
    func videoCaseReachesEveryReplicaAndLeavesThemWhole() async throws {
        let database = try await ReplicaTests.freshDatabase(try TestRequirements.requirePostgresURL())
        let dir = try TemporaryDirectory(prefix: "nccmatch-video-replicas")
        defer { dir.remove() }
        do {
            let a = try ServerProcess(data: dir.url.appendingPathComponent("a"), database: database.url)
            defer { a.stop() }
            let b = try ServerProcess(data: dir.url.appendingPathComponent("b"), database: database.url)
            defer { b.stop() }
            let key = try a.addPlatform("p")
            let pdqs = (0..<20).map { _ in Fake.hex(64) }
            let frames: [[String: Any]] = pdqs.enumerated().map { ["pdq": $0.element, "quality": 90, "timestamp": Double($0.offset)] }
            let opened = try await HTTP.send("POST", a.url("v1/cases"), json: ["hashes": [["algorithm": "vpdq", "frames": frames, "image": 0]]])
            #expect(opened.status == 201 && opened.json["accepted"] as? Int == 20, "\(opened.text)")
            let caseID = try #require(opened.json["case_id"] as? String)
            let secret = try #require(opened.json["secret"] as? String)

            // The first half of the video, each frame a few bits off: on the other replica, from the change feed.
            let query: [[String: Any]] = pdqs.prefix(10).enumerated().map { ["pdq": Fake.flip($0.element, bits: 6), "quality": 80, "timestamp": Double($0.offset)] }
            let took = try await ReplicaTests.waitUntil(limit: 2) { try await Self.videoShares(b, key: key, frames: query) != nil }
            #expect(took != nil, "the video case did not reach the following replica within 2 s")
            let shares = try await Self.videoShares(b, key: key, frames: query)
            #expect(shares?.query == 100 && shares?.bank == 50)

            // A replica started now loads the video from the bank.
            let c = try ServerProcess(data: dir.url.appendingPathComponent("c"), database: database.url)
            defer { c.stop() }
            #expect(try await Self.videoShares(c, key: key, frames: query)?.query == 100)

            // Withdrawn through one replica: no frame of it matches anywhere.
            #expect(try await HTTP.send("DELETE", b.url("v1/cases/\(caseID)"), bearer: secret).status == 200)
            for replica in [a, b, c] {
                let gone = try await ReplicaTests.waitUntil(limit: 2) { try await Self.videoShares(replica, key: key, frames: query) == nil }
                #expect(gone != nil, "a withdrawn video still matched on a replica after 2 s")
                // Not even one frame of it, sent as a one-frame video.
                #expect(try await Self.videoShares(replica, key: key, frames: [frames[15]]) == nil)
            }
        } catch {
            await database.drop()
            throw error
        }
        await database.drop()
    }
}
