import Foundation
import NCCBank
import NCCBankPostgres
import NCCHashing
import NCCTestSupport
import Testing

/// The store contract, the same bodies on SQLite and PostgreSQL (see `Backend`).
@Suite struct BankStoreTests {
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

    static let hashes = [
        NewHash(algorithm: .pdq, value: Array(repeating: 1, count: 32), quality: 80, imageKey: 0),
        NewHash(algorithm: .md5, value: Array(repeating: 2, count: 16), quality: nil, imageKey: 0),
        NewHash(algorithm: .phash, value: Array(repeating: 3, count: 8), quality: nil, imageKey: 1),
    ]

    @Test(arguments: Backend.allCases)
    func casesPlatformsMatchReferencesAndWithdrawal(backend: Backend) async throws {
        try await withStore(backend) { fixture in
            let store = try await fixture.open()
            let secret = try Secrets.hashCaseSecret("s", rounds: Secrets.testingMinimumRounds)
            let hashes = Self.hashes
            let stored = try await store.createCase(NewCase(id: "c_1", secret: secret, hashes: hashes))
            #expect(stored.count == 3 && Set(stored.map(\.imageID)).count == 2)
            #expect(stored.map(\.value) == hashes.map(\.value))
            #expect(try await store.caseCredentials(caseID: "c_1")?.secret == secret)
            #expect(try await store.caseCredentials(caseID: "c_1")?.state == .active)
            #expect(try await store.caseCredentials(caseID: "nope") == nil)
            let platform = try await store.addPlatform(name: "p", key: APIKey.generate())
            await #expect(throws: BankError.self) { try await store.addPlatform(name: "p", key: APIKey.generate()) }
            #expect(try await store.platform(keyPrefix: platform.keyPrefix) == platform)
            let refs = try await store.matchReferences(platform: platform, imageIDs: [stored[0].imageID])
            let again = try await store.matchReferences(platform: platform, imageIDs: [stored[0].imageID])
            #expect(refs == again && refs.count == 1)
            try await store.recordFeedback(platform: platform, matchRef: refs.values.first!, outcome: .removed, contentID: nil)
            let status = try #require(try await store.caseStatus(caseID: "c_1"))
            #expect(status.images.first?.feedback[.removed] == 1 && status.images.first?.platformsMatched == 1)
            #expect(status.images.map(\.hashes) == [2, 1])

            // Reopening sees everything; withdrawal deletes the hashes.
            let reopened = try await fixture.open()
            #expect(try await reopened.loadHashes().count == 3)
            let removed = try await reopened.withdrawCase(caseID: "c_1")
            #expect(removed.count == 3)
            #expect(try await reopened.loadHashes().isEmpty)
            #expect(try await reopened.withdrawCase(caseID: "c_1").isEmpty)
            await #expect(throws: BankError.self) { try await reopened.addHashes(caseID: "c_1", hashes: hashes) }
            #expect(try await reopened.matchReferences(platform: platform, imageIDs: [stored[0].imageID]).isEmpty)
            let actions = try await reopened.auditEntries(limit: 100, after: nil).map(\.action)
            #expect(actions == ["case_opened", "platform_added", "match", "match", "feedback", "case_withdrawn"])
            let withdrawn = try #require(try await reopened.caseStatus(caseID: "c_1"))
            #expect(withdrawn.state == .withdrawn && withdrawn.withdrawnAt != nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func rejectedRequestsChangeNothing(backend: Backend) async throws {
        try await withStore(backend) { fixture in
            let store = try await fixture.open()
            let secret = try Secrets.hashCaseSecret("s", rounds: Secrets.testingMinimumRounds)
            _ = try await store.createCase(NewCase(id: "c_1", secret: secret, hashes: Self.hashes))
            // A second case with the same id fails as a whole: no hashes, no audit record.
            await #expect(throws: BankError.self) {
                try await store.createCase(NewCase(id: "c_1", secret: secret, hashes: Self.hashes))
            }
            #expect(try await store.loadHashes().count == 3)
            await #expect(throws: BankError.self) { try await store.addHashes(caseID: "missing", hashes: Self.hashes) }
            let error = await #expect(throws: BankError.self) { try await store.withdrawCase(caseID: "missing") }
            #expect(error?.code == "case_not_found")
            let platform = try await store.addPlatform(name: "p", key: APIKey.generate())
            let feedbackError = await #expect(throws: BankError.self) {
                try await store.recordFeedback(platform: platform, matchRef: "m_unknown", outcome: .removed, contentID: nil)
            }
            #expect(feedbackError?.code == "match_ref_not_found")
            let revoked = try await store.revokePlatform(name: "p")
            #expect(revoked.revokedAt != nil)
            let notFound = await #expect(throws: BankError.self) { try await store.revokePlatform(name: "q") }
            #expect(notFound?.code == "platform_not_found")
            #expect(try await store.listPlatforms().map(\.name) == ["p"])
            let actions = try await store.auditEntries(limit: 100, after: nil).map(\.action)
            #expect(actions == ["case_opened", "platform_added", "platform_revoked"])
            let later = try await store.auditEntries(limit: 100, after: try await store.auditEntries(limit: 1, after: nil).first!.id - 1)
            #expect(later.map(\.action) == ["platform_revoked"])
        }
    }

    @Test(arguments: Backend.allCases)
    func concurrentWritesAllLand(backend: Backend) async throws {
        try await withStore(backend) { fixture in
            let store = try await fixture.open()
            let secret = try Secrets.hashCaseSecret("s", rounds: Secrets.testingMinimumRounds)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        let hash = NewHash(algorithm: .sha256, value: Array(repeating: UInt8(i), count: 32), quality: nil, imageKey: 0)
                        _ = try await store.createCase(NewCase(id: "c_\(i)", secret: secret, hashes: [hash]))
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.loadHashes().count == 20)
        }
    }

    /// PostgreSQL only: the numbered change feed replicas follow.
    @Test(.enabled(if: Backend.postgresURL != nil, "NCCMATCH_TEST_POSTGRES_URL is not set: PostgreSQL case skipped"))
    func postgresChangeFeedIsGapFreeAndOrdered() async throws {
        try await withStore(.postgres) { fixture in
            let store = try #require(try await fixture.open() as? PostgresBankStore)
            let secret = try Secrets.hashCaseSecret("s", rounds: Secrets.testingMinimumRounds)
            #expect(try await store.latestSequence() == 0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<10 {
                    group.addTask {
                        _ = try await store.createCase(NewCase(id: "c_\(i)", secret: secret, hashes: Self.hashes))
                    }
                }
                try await group.waitForAll()
            }
            _ = try await store.withdrawCase(caseID: "c_3")
            let changes = try await store.changes(after: 0)
            #expect(changes.map(\.sequence) == Array(1...11))
            #expect(changes.last?.kind == "case_withdrawn" && changes.last?.removedImageIDs.count == 2)
            // The withdrawn case's hashes are gone from its earlier change too: nothing re-adds them.
            #expect(changes.dropLast().map(\.hashes.count).sorted() == [0] + Array(repeating: 3, count: 9))
            let snapshot = try await store.loadHashesAndSequence()
            #expect(snapshot.sequence == 11 && snapshot.hashes.count == 27)
            #expect(try await store.changes(after: 11).isEmpty)
            #expect(try await store.migrate().applied.isEmpty)
        }
    }

    /// Export from SQLite, import into each backend: the same cases, secrets' verifiers and hash groups.
    @Test(arguments: Backend.allCases)
    func exportFromSQLiteImportsIntoEitherBackend(backend: Backend) async throws {
        try await withStore(.sqlite) { source in
            let from = try await source.open()
            let secret = try Secrets.hashCaseSecret("s", rounds: Secrets.testingMinimumRounds)
            for i in 0..<5 {
                let extra = NewHash(algorithm: .sha256, value: Array(repeating: UInt8(i), count: 32), quality: nil, imageKey: 7)
                _ = try await from.createCase(NewCase(id: "c_\(i)", secret: secret, hashes: Self.hashes + [extra]))
            }
            _ = try await from.withdrawCase(caseID: "c_2")
            let dir = try TemporaryDirectory(prefix: "nccmatch-export")
            defer { dir.remove() }
            let file = dir.url.appendingPathComponent("bank.jsonl").path
            let written = try await BankTransfer.export(from: from, to: file)
            #expect(written.cases == 4 && written.hashes == 16)
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(!text.contains("\"s\""))

            try await withStore(backend) { target in
                let to = try await target.open()
                // As after an interrupted import: one case is there already, and is skipped.
                let already = try #require(try await from.exportCases().first { $0.id == "c_3" })
                _ = try await to.createCase(already)
                let imported = try await BankTransfer.importBank(from: file, into: to)
                #expect(imported.cases == 3 && imported.hashes == 12 && imported.skipped == 1)
                #expect(try await to.exportCases().map(\.id) == ["c_0", "c_1", "c_3", "c_4"])
                let original = try await from.exportCases()
                let copy = try await to.exportCases()
                // Every hash is loaded back for the index, in id order; on PostgreSQL each imported case is one
                // numbered change with its hashes, so running replicas pick it up.
                let loaded = try await to.loadHashes()
                #expect(loaded.count == 16 && loaded.map(\.id) == loaded.map(\.id).sorted())
                #expect(Set(loaded.map(\.value)) == Set(copy.flatMap { $0.hashes.map(\.value) }))
                if let postgres = to as? PostgresBankStore {
                    let changes = try await postgres.changes(after: 0)
                    #expect(changes.map(\.sequence) == [1, 2, 3, 4])
                    #expect(changes.map(\.hashes.count) == [4, 4, 4, 4])
                }
                #expect(original.map(\.secret) == copy.map(\.secret))
                #expect(original.map { Set($0.hashes) } == copy.map { Set($0.hashes) })
                // The owner's secret still works after the move.
                let credentials = try #require(try await to.caseCredentials(caseID: "c_1"))
                #expect(Secrets.verifyCaseSecret("s", against: credentials.secret))
                // Running it again adds nothing.
                #expect(try await BankTransfer.importBank(from: file, into: to).skipped == 4)

                // A damaged file is refused before anything is written.
                var damaged = text
                damaged = damaged.replacingOccurrences(of: "c_4", with: "c_9")
                try damaged.write(toFile: file, atomically: true, encoding: .utf8)
                let error = await #expect(throws: BankError.self) { try await BankTransfer.importBank(from: file, into: to) }
                #expect(error?.code == "import_invalid")
                #expect(try await to.caseCredentials(caseID: "c_9") == nil)
            }
        }
    }

    /// sslmode=require gives an encrypted connection (the test cluster offers TLS with a self-signed
    /// certificate when openssl was there to make one); sslmode=disable a plain one.
    @Test(.enabled(if: Backend.postgresURL != nil, "NCCMATCH_TEST_POSTGRES_URL is not set: PostgreSQL case skipped"))
    func postgresTLSWhenTheURLAsksForIt() async throws {
        try await withStore(.postgres) { fixture in
            var components = URLComponents(string: fixture.location)!
            components.queryItems = [URLQueryItem(name: "sslmode", value: "disable")]
            let plain = try await PostgresBankStore(url: components.string!)
            #expect(try await plain.connectionIsEncrypted() == false)
            components.queryItems = [URLQueryItem(name: "sslmode", value: "require")]
            do {
                let tls = try await PostgresBankStore(url: components.string!)
                #expect(try await tls.connectionIsEncrypted())
            } catch let error as BankError where error.code == "database_unavailable" {
                print("PostgreSQL TLS case SKIPPED: the test server offers no TLS (\(error.message))")
            }
        }
    }

    @Test func databaseURLsAreParsed() throws {
        let url = try PostgresDatabaseURL("postgres://bank:s%40cret@db.example:6543/ncc?sslmode=require")
        #expect(url.host == "db.example" && url.port == 6543 && url.username == "bank" && url.password == "s@cret")
        #expect(url.database == "ncc" && url.sslMode == "require")
        #expect(!url.description.contains("cret"))
        #expect(try PostgresDatabaseURL("postgresql://bank@localhost").database == "bank")
        #expect(throws: BankError.self) { try PostgresDatabaseURL("mysql://x@y/z") }
        #expect(throws: BankError.self) { try PostgresDatabaseURL("postgres://x@y/z?sslmode=sometimes") }
        #expect(throws: BankError.self) { try PostgresDatabaseURL("postgres://y/z") }
    }

    @Test func unreachableDatabaseFailsClearly() async throws {
        let error = await #expect(throws: BankError.self) {
            _ = try await PostgresBankStore(url: "postgres://nobody@127.0.0.1:1/none?sslmode=disable", timeout: 2)
        }
        #expect(error?.code == "database_unavailable")
    }
}
