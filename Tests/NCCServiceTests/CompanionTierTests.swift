import Foundation
import NCCTestSupport
import Testing

/// A picture's own PDQ matches at the full distance, the companions a case stores beside it (its rotated, cropped,
/// masked forms) only within `MatchingPolicy.companionMaxDistance` (21 bits), over real HTTP against a real SQLite
/// file, before and after a restart (which rebuilds the index from the stored order).
@Suite(.needsCLI) struct CompanionTierTests {
    @Test func companionsMatchWithinTheirNarrowerDistance() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-companions")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url.appendingPathComponent("data"))
        defer { server.stop() }
        let key = try server.addPlatform("example-platform")

        // One picture: its own PDQ first, then a companion about 128 bits from it (as a centre crop may be).
        let own = Fake.hex(64), companion = Fake.hex(64)
        var hashes = Fake.picture(0, pdq: own)
        hashes.append(["algorithm": "pdq", "value": companion, "quality": 90, "image": 0])
        let opened = try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": hashes])
        #expect(opened.status == 201 && opened.json["accepted"] as? Int == 6)

        func matched(_ base: ServerProcess, _ value: String, maxDistance: Int? = nil) async throws -> Bool {
            var body: [String: Any] = ["items": [["id": "upload", "algorithm": "pdq", "value": value]]]
            if let maxDistance { body["max_distance"] = maxDistance }
            let answer = try await HTTP.send("POST", base.url("v1/match"), json: body, bearer: key)
            #expect(answer.status == 200)
            return ((answer.json["results"] as? [[String: Any]])?.first?["matches"] as? [Any])?.isEmpty == false
        }
        for base in [server] {
            #expect(try await matched(base, Fake.flip(own, bits: 30)), "the picture's own PDQ at 30 bits")
            #expect(try await matched(base, Fake.flip(companion, bits: 21)), "a companion at 21 bits")
            #expect(try await !matched(base, Fake.flip(companion, bits: 22)), "a companion at 22 bits is not a match")
            #expect(try await !matched(base, Fake.flip(companion, bits: 20), maxDistance: 15), "a narrower max_distance wins")
        }

        server.stop()
        let restarted = try ServerProcess(data: server.data)
        defer { restarted.stop() }
        #expect(try await matched(restarted, Fake.flip(own, bits: 30)), "after a restart: own PDQ at 30 bits")
        #expect(try await matched(restarted, Fake.flip(companion, bits: 21)), "after a restart: companion at 21 bits")
        #expect(try await !matched(restarted, Fake.flip(companion, bits: 22)), "after a restart: companion at 22 bits")
    }
}
