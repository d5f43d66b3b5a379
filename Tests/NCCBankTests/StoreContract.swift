import Foundation
import NCCBank
import NCCHashing
import NCCTestSupport
import Testing

/// The store contract: one body per behaviour, run on every backend by the suites in
/// `StoreContractSuites.swift` (memory, SQLite, PostgreSQL).
enum StoreContract {
    static let hashes = [
        NewHash(algorithm: .pdq, value: Array(repeating: 1, count: 32), quality: 80, imageKey: 0),
        NewHash(algorithm: .md5, value: Array(repeating: 2, count: 16), quality: nil, imageKey: 0),
        NewHash(algorithm: .phash, value: Array(repeating: 3, count: 8), quality: nil, imageKey: 1),
    ]

    static func secret() throws -> StoredSecret {
        try Secrets.hashCaseSecret("s", rounds: Secrets.testingMinimumRounds)
    }

    static func casesPlatformsMatchReferencesAndWithdrawal(_ backend: Backend) async throws {
        try await withStore(backend) { fixture in
            let store = try await fixture.open()
            let secret = try secret()
            let stored = try await store.createCase(NewCase(id: "c_1", secret: secret, hashes: hashes))
            #expect(stored.count == 3 && Set(stored.map(\.imageID)).count == 2)
            #expect(stored.map(\.value) == hashes.map(\.value))
            #expect(try await store.caseCredentials(caseID: "c_1")?.secret == secret)
            #expect(try await store.caseCredentials(caseID: "c_1")?.state == .active)
            #expect(try await store.caseCredentials(caseID: "nope") == nil)
            let platform = try await store.addPlatform(name: "p", key: APIKey.generate())
            let exists = await #expect(throws: BankError.self) { try await store.addPlatform(name: "p", key: APIKey.generate()) }
            #expect(exists?.code == .platformExists)
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
            let closed = await #expect(throws: BankError.self) { try await reopened.addHashes(caseID: "c_1", hashes: hashes) }
            #expect(closed?.code == .caseWithdrawn)
            #expect(try await reopened.matchReferences(platform: platform, imageIDs: [stored[0].imageID]).isEmpty)
            let late = await #expect(throws: BankError.self) {
                try await reopened.recordFeedback(platform: platform, matchRef: refs.values.first!, outcome: .removed, contentID: nil)
            }
            #expect(late?.code == .caseWithdrawn)
            let actions = try await reopened.auditEntries(limit: 100, after: nil).map(\.action)
            #expect(actions == ["case_opened", "platform_added", "match", "match", "feedback", "case_withdrawn"])
            let withdrawn = try #require(try await reopened.caseStatus(caseID: "c_1"))
            #expect(withdrawn.state == .withdrawn && withdrawn.withdrawnAt != nil)
        }
    }

    static func rejectedRequestsChangeNothing(_ backend: Backend) async throws {
        try await withStore(backend) { fixture in
            let store = try await fixture.open()
            let secret = try secret()
            _ = try await store.createCase(NewCase(id: "c_1", secret: secret, hashes: hashes))
            // A second case with the same id fails as a whole: no hashes, no audit record.
            await #expect(throws: BankError.self) {
                try await store.createCase(NewCase(id: "c_1", secret: secret, hashes: hashes))
            }
            #expect(try await store.loadHashes().count == 3)
            let missing = await #expect(throws: BankError.self) { try await store.addHashes(caseID: "missing", hashes: hashes) }
            #expect(missing?.code == .caseNotFound)
            let error = await #expect(throws: BankError.self) { try await store.withdrawCase(caseID: "missing") }
            #expect(error?.code == .caseNotFound)
            let platform = try await store.addPlatform(name: "p", key: APIKey.generate())
            let feedbackError = await #expect(throws: BankError.self) {
                try await store.recordFeedback(platform: platform, matchRef: "m_unknown", outcome: .removed, contentID: nil)
            }
            #expect(feedbackError?.code == .matchRefNotFound)
            let revoked = try await store.revokePlatform(name: "p")
            #expect(revoked.revokedAt != nil)
            let notFound = await #expect(throws: BankError.self) { try await store.revokePlatform(name: "q") }
            #expect(notFound?.code == .platformNotFound)
            #expect(try await store.listPlatforms().map(\.name) == ["p"])
            let actions = try await store.auditEntries(limit: 100, after: nil).map(\.action)
            #expect(actions == ["case_opened", "platform_added", "platform_revoked"])
            let later = try await store.auditEntries(limit: 100, after: try await store.auditEntries(limit: 1, after: nil).first!.id - 1)
            #expect(later.map(\.action) == ["platform_revoked"])
        }
    }

    static func concurrentWritesAllLand(_ backend: Backend) async throws {
        try await withStore(backend) { fixture in
            let store = try await fixture.open()
            let secret = try secret()
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

    /// Match references are made one way on every backend: `m_` and 32 hex digits, the same for a platform
    /// and a picture after a reopen, different between platforms and pictures.
    static func matchReferencesAreStableAndPerPlatform(_ backend: Backend) async throws {
        try await withStore(backend) { fixture in
            let store = try await fixture.open()
            let stored = try await store.createCase(NewCase(id: "c_1", secret: try secret(), hashes: hashes))
            let pictures = Array(Set(stored.map(\.imageID))).sorted()
            let first = try await store.addPlatform(name: "first", key: APIKey.generate())
            let second = try await store.addPlatform(name: "second", key: APIKey.generate())
            let a = try await store.matchReferences(platform: first, imageIDs: pictures)
            let b = try await store.matchReferences(platform: second, imageIDs: pictures)
            #expect(a.count == 2 && b.count == 2)
            #expect(Set(a.values).isDisjoint(with: b.values) && Set(a.values).count == 2)
            for ref in Array(a.values) + Array(b.values) {
                #expect(ref.utf8.count == 34 && ref.hasPrefix("m_") && ref.dropFirst(2).allSatisfy { $0.isHexDigit && !$0.isUppercase })
            }
            let reopened = try await fixture.open()
            #expect(try await reopened.matchReferences(platform: first, imageIDs: pictures) == a)
        }
    }

    /// Export from SQLite, import into `backend`: the same cases, secrets' verifiers and hash groups.
    static func exportFromSQLiteImports(into backend: Backend) async throws {
        try await withStore(.sqlite) { source in
            let from = try await source.open()
            let secret = try secret()
            for i in 0..<5 {
                let extra = NewHash(algorithm: .sha256, value: Array(repeating: UInt8(i), count: 32), quality: nil, imageKey: 7)
                _ = try await from.createCase(NewCase(id: "c_\(i)", secret: secret, hashes: hashes + [extra]))
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
                // Every hash is loaded back for the index, in id order.
                let loaded = try await to.loadHashes()
                #expect(loaded.count == 16 && loaded.map(\.id) == loaded.map(\.id).sorted())
                #expect(Set(loaded.map(\.value)) == Set(copy.flatMap { $0.hashes.map(\.value) }))
                #expect(original.map(\.secret) == copy.map(\.secret))
                #expect(original.map { Set($0.hashes) } == copy.map { Set($0.hashes) })
                // The owner's secret still works after the move.
                let credentials = try #require(try await to.caseCredentials(caseID: "c_1"))
                #expect(Secrets.verifyCaseSecret("s", against: credentials.secret))
                // Running it again adds nothing.
                #expect(try await BankTransfer.importBank(from: file, into: to).skipped == 4)

                // A damaged file is refused before anything is written.
                let damaged = text.replacingOccurrences(of: "c_4", with: "c_9")
                try damaged.write(toFile: file, atomically: true, encoding: .utf8)
                let error = await #expect(throws: BankError.self) { try await BankTransfer.importBank(from: file, into: to) }
                #expect(error?.code == .importInvalid)
                #expect(try await to.caseCredentials(caseID: "c_9") == nil)
            }
        }
    }
}
