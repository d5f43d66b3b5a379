import Foundation
import NCCTestSupport
import Testing

/// An acknowledged write survives SIGKILL: cases answered 201 before the kill are there after a restart,
/// readable with their secret and matchable.
@Suite(.needsCLI) struct CrashTests {
    @Test func acknowledgedCasesSurviveSIGKILL() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-crash")
        defer { dir.remove() }
        var server = try ServerProcess(data: dir.url)
        let key = try server.addPlatform("p")
        var acknowledged: [(id: String, secret: String, pdq: String)] = []
        for round in 0..<3 {
            let base = server.url("v1/cases")
            let running = server
            // Four writers submit cases until the server dies under them.
            let collected = try await withThrowingTaskGroup(of: [(String, String, String)].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var mine: [(String, String, String)] = []
                        while true {
                            let pdq = Fake.hex(64)
                            guard let answer = try? await HTTP.send("POST", base, json: ["hashes": Fake.picture(0, pdq: pdq)]) else { return mine }
                            if answer.status == 201, let id = answer.json["case_id"] as? String, let secret = answer.json["secret"] as? String {
                                mine.append((id, secret, pdq))
                            }
                        }
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(1500 + 300 * round))
                    running.kill()
                    return []
                }
                var all: [(String, String, String)] = []
                for try await part in group { all += part }
                return all
            }
            acknowledged += collected.map { (id: $0.0, secret: $0.1, pdq: $0.2) }
            server = try ServerProcess(data: dir.url)
        }
        defer { server.stop() }
        #expect(acknowledged.count >= 3)
        for entry in acknowledged {
            let status = try await HTTP.send("GET", server.url("v1/cases/\(entry.id)"), bearer: entry.secret)
            #expect(status.status == 200, "case lost after SIGKILL")
        }
        let items = acknowledged.enumerated().map { ["id": String($0.offset), "algorithm": "pdq", "value": $0.element.pdq] }
        let match = try await HTTP.send("POST", server.url("v1/match"), json: ["items": items], bearer: key)
        let results = try #require(match.json["results"] as? [[String: Any]])
        #expect(results.count == acknowledged.count)
        #expect(results.allSatisfy { (($0["matches"] as? [[String: Any]])?.first?["match_ref"] as? String) != nil })
    }
}
