import Foundation
import NCCTestSupport
import Testing

/// Every bad input gets its 4xx with `{"error": {"code", "message"}}` and changes nothing; keys and secrets
/// open only what they belong to.
@Suite(.needsCLI) struct ErrorAndAuthorizationTests {
    static func expectError(_ answer: Answer, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.status == status, "\(code): got \(answer.status) \(answer.text)", sourceLocation: sourceLocation)
        #expect(answer.errorCode == code, "expected \(code), got \(answer.text)", sourceLocation: sourceLocation)
        #expect((answer.errorMessage ?? "").count > 10, sourceLocation: sourceLocation)
    }

    @Test func badInputIsRefusedAndChangesNothing() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-service")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url)
        defer { server.stop() }
        let key = try server.addPlatform("p")
        let auditBefore = try CLIRunner.run(["admin", "audit", "--data", dir.url.path, "--json"]).lines.count

        let cases = server.url("v1/cases"), match = server.url("v1/match"), feedback = server.url("v1/feedback")
        Self.expectError(try await HTTP.send("POST", cases, body: Data("{\"hashes\": [".utf8)), 400, "malformed_json")
        Self.expectError(try await HTTP.send("POST", cases, body: Data()), 400, "empty_body")
        Self.expectError(try await HTTP.send("POST", cases, json: ["hashes": Fake.picture(), "name": "x"]), 400, "unknown_field")
        Self.expectError(try await HTTP.send("POST", cases, json: ["hashes": [["algorithm": "pdq", "value": Fake.hex(64), "quality": 90, "colour": 1]]]), 400, "unknown_field")
        Self.expectError(try await HTTP.send("POST", cases, json: ["hashes": Fake.picture() + [["algorithm": "sha1", "value": Fake.hex(40)]]]), 400, "unknown_algorithm")
        Self.expectError(try await HTTP.send("POST", cases, json: ["hashes": Fake.picture() + [["algorithm": "pdq", "value": Fake.hex(63), "quality": 90]]]), 400, "invalid_hash")
        Self.expectError(try await HTTP.send("POST", cases, json: ["hashes": Fake.picture() + [["algorithm": "phash", "value": "zz" + Fake.hex(14)]]]), 400, "invalid_hash")
        Self.expectError(try await HTTP.send("POST", cases, json: ["hashes": [["algorithm": "pdq"]]]), 400, "missing_field")
        Self.expectError(try await HTTP.send("POST", cases, json: ["hashes": [["algorithm": "pdq", "value": 5]]]), 400, "invalid_field")
        Self.expectError(try await HTTP.send("POST", cases, json: ["hashes": []]), 400, "no_hashes")
        let many = (0..<10_001).map { _ in ["algorithm": "phash", "value": "0123456789abcdef"] }
        Self.expectError(try await HTTP.send("POST", cases, json: ["hashes": many]), 413, "too_many_items")
        Self.expectError(try await HTTP.send("POST", cases, body: Data(repeating: 0x20, count: 5 << 20)), 413, "body_too_large")
        Self.expectError(try await HTTP.send("POST", cases, json: ["hashes": [["algorithm": "pdq", "value": Fake.hex(64), "quality": 10]]]), 422, "no_usable_hashes")

        let item = ["id": "u", "algorithm": "pdq", "value": Fake.hex(64)]
        Self.expectError(try await HTTP.send("POST", match, json: ["items": [item]]), 401, "api_key_required")
        Self.expectError(try await HTTP.send("POST", match, json: ["items": [item]], bearer: "ncc_00000000_" + Fake.hex(43)), 401, "api_key_invalid")
        Self.expectError(try await HTTP.send("POST", match, json: ["items": [item]], bearer: String(key.dropLast()) + "x"), 401, "api_key_invalid")
        Self.expectError(try await HTTP.send("POST", match, json: ["items": [item], "extra": true], bearer: key), 400, "unknown_field")
        Self.expectError(try await HTTP.send("POST", match, json: ["items": [["id": "u", "algorithm": "ahash", "value": "00"]]], bearer: key), 400, "unknown_algorithm")
        Self.expectError(try await HTTP.send("POST", match, json: ["items": [["id": "u", "algorithm": "dhash", "value": Fake.hex(15) + "g"]]], bearer: key), 400, "invalid_hash")
        Self.expectError(try await HTTP.send("POST", match, json: ["items": []], bearer: key), 400, "no_items")
        let tooMany = (0..<10_001).map { ["id": String($0), "algorithm": "phash", "value": "0123456789abcdef"] }
        Self.expectError(try await HTTP.send("POST", match, json: ["items": tooMany], bearer: key), 413, "too_many_items")
        Self.expectError(try await HTTP.send("POST", match, body: Data("not json".utf8), bearer: key), 400, "malformed_json")
        Self.expectError(try await HTTP.send("POST", feedback, json: ["match_ref": "m_x", "outcome": "deleted"], bearer: key), 400, "unknown_outcome")
        Self.expectError(try await HTTP.send("POST", feedback, json: ["match_ref": "m_00", "outcome": "removed"], bearer: key), 404, "match_ref_not_found")
        Self.expectError(try await HTTP.send("POST", feedback, json: ["match_ref": "m_00", "outcome": "removed"]), 401, "api_key_required")
        Self.expectError(try await HTTP.send("GET", server.url("v1/nothing")), 404, "not_found")

        // Nothing above reached the store or the index.
        let auditAfter = try CLIRunner.run(["admin", "audit", "--data", dir.url.path, "--json"]).lines.count
        #expect(auditAfter == auditBefore)
        let metrics = try await HTTP.send("GET", server.url("metrics")).text
        #expect(metrics.contains("nccmatch_index_hashes{algorithm=\"pdq\"} 0") && metrics.contains("nccmatch_index_hashes{algorithm=\"phash\"} 0"))
        #expect(!metrics.contains("status=\"500\""))
    }

    @Test func keysAndSecretsOpenOnlyTheirOwn() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-service")
        defer { dir.remove() }
        // Loopback stands for a reverse proxy, so that tests can speak from several client addresses.
        let server = try ServerProcess(data: dir.url, extra: ["--secret-failures", "8", "--trusted-proxy", "127.0.0.1"])
        defer { server.stop() }
        let key = try server.addPlatform("p")
        let other = try server.addPlatform("q")
        let a = try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": Fake.picture()]).json
        let b = try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": Fake.picture()]).json
        let caseA = a["case_id"] as! String, secretA = a["secret"] as! String
        let caseB = b["case_id"] as! String

        // A platform cannot read or withdraw a case.
        let firstWrongTry = Date()
        Self.expectError(try await HTTP.send("GET", server.url("v1/cases/\(caseA)"), bearer: key), 401, "case_credentials_invalid")
        Self.expectError(try await HTTP.send("DELETE", server.url("v1/cases/\(caseA)"), bearer: key), 401, "case_credentials_invalid")
        Self.expectError(try await HTTP.send("GET", server.url("v1/cases/\(caseA)")), 401, "secret_required")
        // One case's secret opens no other; nor is it a platform key.
        Self.expectError(try await HTTP.send("GET", server.url("v1/cases/\(caseB)"), bearer: secretA), 401, "case_credentials_invalid")
        Self.expectError(try await HTTP.send("DELETE", server.url("v1/cases/\(caseB)"), bearer: secretA), 401, "case_credentials_invalid")
        Self.expectError(try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "u", "algorithm": "pdq", "value": Fake.hex(64)]]], bearer: secretA), 401, "api_key_invalid")
        #expect(try await HTTP.send("GET", server.url("v1/cases/\(caseB)"), bearer: secretA).status != 200)
        #expect(try await HTTP.send("GET", server.url("v1/cases/\(caseA)"), bearer: secretA).status == 200)

        // A platform cannot give feedback on another platform's match reference.
        let shared = Fake.hex(64)
        let third = try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": Fake.picture(0, pdq: shared)])
        #expect(third.status == 201)
        let matched = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "u", "algorithm": "pdq", "value": shared]]], bearer: key)
        let ref = try #require(((matched.json["results"] as? [[String: Any]])?[0]["matches"] as? [[String: Any]])?.first?["match_ref"] as? String)
        Self.expectError(try await HTTP.send("POST", server.url("v1/feedback"), json: ["match_ref": ref, "outcome": "removed"], bearer: other), 404, "match_ref_not_found")
        let otherRefs = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "u", "algorithm": "pdq", "value": shared]]], bearer: other)
        let otherRef = ((otherRefs.json["results"] as? [[String: Any]])?[0]["matches"] as? [[String: Any]])?.first?["match_ref"] as? String
        #expect(otherRef != nil && otherRef != ref)

        // A revoked key is refused at once, by the running server.
        let revoke = try CLIRunner.run(["admin", "platform", "revoke", "p", "--data", dir.url.path])
        #expect(revoke.status == 0)
        Self.expectError(try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "u", "algorithm": "pdq", "value": Fake.hex(64)]]], bearer: key), 403, "api_key_revoked")
        let list = try CLIRunner.run(["admin", "platform", "list", "--data", dir.url.path])
        #expect(list.stdout.contains("revoked") && !list.stdout.contains(key))

        // Repeated wrong secrets are throttled per client address: five wrong tries came from this client above,
        // eight are allowed in a burst, the right secret used none; one more try comes back every 6 s (a loaded
        // machine can take that long over the steps above).
        var refused = 0
        var throttled = try await HTTP.send("GET", server.url("v1/cases/\(caseB)"), bearer: "wrong")
        while throttled.status == 401 && refused < 10 {
            refused += 1
            throttled = try await HTTP.send("GET", server.url("v1/cases/\(caseB)"), bearer: "wrong")
        }
        let refilled = Int(Date().timeIntervalSince(firstWrongTry) / 6)
        #expect(refused >= 3 && refused <= 3 + refilled, "\(refused) wrong tries refused with 401 in \(refilled * 6)+ s")
        Self.expectError(throttled, 429, "too_many_attempts")
        // The stranger cannot lock the owner out: from the owner's own address the case opens at once.
        let owner = ["X-Forwarded-For": "203.0.113.9"]
        #expect(try await HTTP.send("GET", server.url("v1/cases/\(caseA)"), bearer: secretA, headers: owner).status == 200)
        #expect(try await HTTP.send("GET", server.url("v1/cases/\(caseB)"), bearer: "wrong", headers: owner).status == 401)
        #expect(Int(throttled.headers["retry-after"] ?? "") ?? 0 >= 1)
    }

    @Test func platformRateLimit() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-service")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url, extra: ["--rate-requests", "1", "--rate-hashes", "100"])
        defer { server.stop() }
        let key = try server.addPlatform("p")
        let item = ["id": "u", "algorithm": "phash", "value": "0123456789abcdef"]
        // A burst of two, then one a second: requests in a quick row soon meet a 429.
        #expect(try await HTTP.send("POST", server.url("v1/match"), json: ["items": [item]], bearer: key).status == 200)
        var limited = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [item]], bearer: key)
        var sent = 2
        while limited.status == 200 && sent < 30 {
            limited = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [item]], bearer: key)
            sent += 1
        }
        Self.expectError(limited, 429, "rate_limited")
        #expect(Int(limited.headers["retry-after"] ?? "") ?? 0 >= 1)
        // The hash bucket: 10,000 hashes is its whole burst and it refills at 100 a second, so a second big batch waits.
        let other = try server.addPlatform("q")
        let batch = (0..<10_000).map { ["id": String($0), "algorithm": "phash", "value": "0123456789abcdef"] }
        #expect(try await HTTP.send("POST", server.url("v1/match"), json: ["items": batch], bearer: other).status == 200)
        Self.expectError(try await HTTP.send("POST", server.url("v1/match"), json: ["items": batch], bearer: other), 429, "rate_limited")
    }
}
