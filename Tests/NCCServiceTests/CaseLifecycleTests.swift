import Foundation
import NCCTestSupport
import Testing

/// The whole story over real HTTP against a real SQLite file: open, match, feedback, status, withdraw.
@Suite(.needsCLI) struct CaseLifecycleTests {
    @Test func openMatchFeedbackStatusWithdraw() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-service")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url.appendingPathComponent("data"))
        defer { server.stop() }
        let key = try server.addPlatform("example-platform")

        let pdq = Fake.hex(64)
        var hashes = Fake.picture(0, pdq: pdq)
        hashes.append(["algorithm": "pdq", "value": Fake.hex(64), "quality": 20, "image": 1])
        let opened = try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": hashes])
        #expect(opened.status == 201)
        let caseID = try #require(opened.json["case_id"] as? String)
        let secret = try #require(opened.json["secret"] as? String)
        #expect(opened.json["accepted"] as? Int == 5)
        let rejected = try #require(opened.json["rejected"] as? [[String: Any]])
        #expect(rejected.count == 1 && rejected[0]["index"] as? Int == 5 && rejected[0]["code"] as? String == "quality_too_low")
        #expect((rejected[0]["message"] as? String)?.contains("too plain") == true)

        // A copy 10 bits away matches; an unrelated hash does not; the same picture twice gets one reference.
        let near = Fake.flip(pdq, bits: 10)
        let md5 = hashes[3]["value"] as! String
        let match = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [
            ["id": "upload-1", "algorithm": "pdq", "value": near],
            ["id": "upload-2", "algorithm": "pdq", "value": Fake.hex(64)],
            ["id": "upload-3", "algorithm": "md5", "value": md5.uppercased()],
        ]], bearer: key)
        #expect(match.status == 200)
        let results = try #require(match.json["results"] as? [[String: Any]])
        #expect(results.map { $0["id"] as? String } == ["upload-1", "upload-2", "upload-3"])
        let first = try #require((results[0]["matches"] as? [[String: Any]])?.first)
        // No distance for a platform the operator has not trusted with it (it would be an oracle).
        #expect(first["distance"] == nil)
        let ref = try #require(first["match_ref"] as? String)
        #expect((results[1]["matches"] as? [Any])?.isEmpty == true)
        #expect(((results[2]["matches"] as? [[String: Any]])?.first?["match_ref"] as? String) == ref)
        #expect(!ref.contains(caseID) && !match.text.contains(pdq))

        // max_distance narrows to a fixed level only: 23 keeps the 10-bit copy, 15 too; 9 is no level; it cannot widen past 31.
        let narrow = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "a", "algorithm": "pdq", "value": Fake.flip(pdq, bits: 20)]], "max_distance": 15], bearer: key)
        #expect(((narrow.json["results"] as? [[String: Any]])?[0]["matches"] as? [Any])?.isEmpty == true)
        let level = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "a", "algorithm": "pdq", "value": near]], "max_distance": 15], bearer: key)
        #expect(((level.json["results"] as? [[String: Any]])?[0]["matches"] as? [Any])?.count == 1)
        let fine = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "a", "algorithm": "pdq", "value": near]], "max_distance": 9], bearer: key)
        #expect(fine.status == 400 && fine.errorCode == "invalid_max_distance")
        let wide = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "a", "algorithm": "pdq", "value": near]], "max_distance": 64], bearer: key)
        #expect(wide.status == 400 && wide.errorCode == "invalid_max_distance")

        let feedback = try await HTTP.send("POST", server.url("v1/feedback"), json: ["match_ref": ref, "outcome": "removed", "content_id": "upload-1"], bearer: key)
        #expect(feedback.status == 200)

        let status = try await HTTP.send("GET", server.url("v1/cases/\(caseID)"), bearer: secret)
        #expect(status.status == 200)
        #expect(status.json["status"] as? String == "active")
        let image = try #require((status.json["images"] as? [[String: Any]])?.first)
        #expect(image["platforms_matched"] as? Int == 1)
        #expect((image["feedback"] as? [String: Int])?["removed"] == 1)
        #expect(!status.text.contains("example-platform") && !status.text.contains("upload-1"))

        let added = try await HTTP.send("POST", server.url("v1/cases/\(caseID)/hashes"), json: ["hashes": Fake.picture(7)], bearer: secret)
        #expect(added.status == 201 && added.json["accepted"] as? Int == 5)

        let withdrawn = try await HTTP.send("DELETE", server.url("v1/cases/\(caseID)"), bearer: secret)
        #expect(withdrawn.status == 200 && withdrawn.json["status"] as? String == "withdrawn")
        // Gone from matching at once.
        let after = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "upload-1", "algorithm": "pdq", "value": near], ["id": "x", "algorithm": "md5", "value": md5]]], bearer: key)
        #expect((after.json["results"] as? [[String: Any]])?.allSatisfy { ($0["matches"] as? [Any])?.isEmpty == true } == true)
        let late = try await HTTP.send("POST", server.url("v1/feedback"), json: ["match_ref": ref, "outcome": "removed"], bearer: key)
        #expect(late.status == 409 && late.errorCode == "case_withdrawn")
        let again = try await HTTP.send("DELETE", server.url("v1/cases/\(caseID)"), bearer: secret)
        #expect(again.status == 200)
        let addLate = try await HTTP.send("POST", server.url("v1/cases/\(caseID)/hashes"), json: ["hashes": Fake.picture(8)], bearer: secret)
        #expect(addLate.status == 409 && addLate.errorCode == "case_withdrawn")

        // Deleted from storage too, and still gone after a restart.
        server.stop()
        let restarted = try ServerProcess(data: server.data)
        defer { restarted.stop() }
        let later = try await HTTP.send("POST", restarted.url("v1/match"), json: ["items": [["id": "upload-1", "algorithm": "pdq", "value": near]]], bearer: key)
        #expect(((later.json["results"] as? [[String: Any]])?[0]["matches"] as? [Any])?.isEmpty == true)
        let metrics = try await HTTP.send("GET", restarted.url("metrics"))
        #expect(metrics.text.contains("nccmatch_index_hashes{algorithm=\"pdq\"} 0"))

        // The audit log names actions and match references, never hashes or secrets.
        let audit = try CLIRunner.run(["admin", "audit", "--data", server.data.path, "--json"])
        #expect(audit.status == 0)
        let actions = try audit.jsonLines().compactMap { $0["action"] as? String }
        for expected in ["platform_added", "case_opened", "match", "feedback", "hashes_added", "case_withdrawn"] {
            #expect(actions.contains(expected), "audit lacks \(expected)")
        }
        #expect(audit.stdout.contains(ref))
        #expect(!audit.stdout.contains(pdq) && !audit.stdout.contains(md5) && !audit.stdout.contains(secret))
        let database = try Data(contentsOf: server.data.appendingPathComponent("bank.sqlite"))
        #expect(database.range(of: Data(secret.utf8)) == nil)
    }

    @Test func operationalEndpoints() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-service")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url)
        defer { server.stop() }
        #expect(try await HTTP.send("GET", server.url("healthz")).status == 200)
        #expect(try await HTTP.send("GET", server.url("readyz")).status == 200)
        let metrics = try await HTTP.send("GET", server.url("metrics"))
        #expect(metrics.status == 200 && metrics.text.contains("nccmatch_http_requests_total") && metrics.text.contains("nccmatch_ready 1"))
        let openapi = try await HTTP.send("GET", server.url("v1/openapi.json"))
        #expect(openapi.status == 200)
        let committed = try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("Sources/NCCWire/openapi.json"))
        let served = try JSONSerialization.jsonObject(with: openapi.body) as? NSDictionary
        #expect(served == (try JSONSerialization.jsonObject(with: committed) as? NSDictionary))
        let paths = (served?["paths"] as? [String: Any]).map { Set($0.keys) } ?? []
        #expect(paths.isSuperset(of: ["/v1/cases", "/v1/cases/{id}", "/v1/cases/{id}/hashes", "/v1/match", "/v1/feedback", "/healthz", "/readyz", "/metrics"]))
    }
}
