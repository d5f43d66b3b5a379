import Foundation
import NCCBank
import NCCHashing
import NCCTestSupport
import Testing

@Suite struct SQLiteBankStoreTests {
    @Test func secretsAreStoredSlowlyHashedAndVerified() throws {
        let secret = Secrets.newCaseSecret()
        #expect(secret.count == 43)
        let stored = try Secrets.hashCaseSecret(secret, rounds: Secrets.minimumRounds)
        #expect(stored.parameters == "pbkdf2-sha256$210000" && stored.salt.count == 16 && stored.hash.count == 32)
        #expect(Secrets.verifyCaseSecret(secret, against: stored))
        #expect(!Secrets.verifyCaseSecret(secret + "x", against: stored))
        let key = APIKey.generate()
        #expect(APIKey(parsing: key.text)?.matches(storedHash: key.storedHash) == true)
        #expect(APIKey(parsing: "ncc_short") == nil)
    }

    @Test func casesPlatformsMatchReferencesAndWithdrawal() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-bank")
        defer { dir.remove() }
        let store = try SQLiteBankStore(directory: dir.url.appendingPathComponent("new/data").path)
        let secret = try Secrets.hashCaseSecret("s", rounds: Secrets.testingMinimumRounds)
        let hashes = [
            NewHash(algorithm: .pdq, value: Array(repeating: 1, count: 32), quality: 80, imageKey: 0),
            NewHash(algorithm: .md5, value: Array(repeating: 2, count: 16), quality: nil, imageKey: 0),
            NewHash(algorithm: .phash, value: Array(repeating: 3, count: 8), quality: nil, imageKey: 1),
        ]
        let stored = try await store.createCase(NewCase(id: "c_1", secret: secret, hashes: hashes))
        #expect(stored.count == 3 && Set(stored.map(\.imageID)).count == 2)
        #expect(try await store.caseCredentials(caseID: "c_1")?.secret == secret)
        let platform = try await store.addPlatform(name: "p", key: APIKey.generate())
        await #expect(throws: BankError.self) { try await store.addPlatform(name: "p", key: APIKey.generate()) }
        let refs = try await store.matchReferences(platform: platform, imageIDs: [stored[0].imageID])
        let again = try await store.matchReferences(platform: platform, imageIDs: [stored[0].imageID])
        #expect(refs == again && refs.count == 1)
        try await store.recordFeedback(platform: platform, matchRef: refs.values.first!, outcome: .removed, contentID: nil)
        let status = try #require(try await store.caseStatus(caseID: "c_1"))
        #expect(status.images.first?.feedback[.removed] == 1 && status.images.first?.platformsMatched == 1)

        // Reopening sees everything; withdrawal deletes the hashes.
        let reopened = try SQLiteBankStore(directory: dir.url.appendingPathComponent("new/data").path)
        #expect(try await reopened.loadHashes().count == 3)
        let removed = try await reopened.withdrawCase(caseID: "c_1")
        #expect(removed.count == 3)
        #expect(try await reopened.loadHashes().isEmpty)
        #expect(try await reopened.withdrawCase(caseID: "c_1").isEmpty)
        await #expect(throws: BankError.self) { try await reopened.addHashes(caseID: "c_1", hashes: hashes) }
        let actions = try await reopened.auditEntries(limit: 100, after: nil).map(\.action)
        #expect(actions == ["case_opened", "platform_added", "match", "match", "feedback", "case_withdrawn"])
    }
}
