import Foundation
import GRDB
import NCCBank
import NCCBankPostgres
import NCCBankSQLite
import NCCHashing
import NCCTestSupport
import Testing

/// Banks written before videos (no `images.kind`) are migrated at open: their items read as pictures, keep their
/// hashes, and take videos afterwards. Each bank is made by the current driver and then turned back into the
/// older schema (the column dropped, the migration's record removed), as a bank from before it.
@Suite struct VideoSchemaMigrationTests {
    static let pictures = [
        NewHash(algorithm: .pdq, value: Array(repeating: 1, count: 32), quality: 80, imageKey: 0),
        NewHash(algorithm: .md5, value: Array(repeating: 2, count: 16), quality: nil, imageKey: 0),
        NewHash(algorithm: .phash, value: Array(repeating: 3, count: 8), quality: nil, imageKey: 1),
    ]

    /// What must hold of an older bank once migrated.
    static func expectMigrated(_ store: any BankStore) async throws {
        let loaded = try await store.loadHashes()
        #expect(loaded.count == 3 && loaded.allSatisfy { $0.kind == .picture })
        #expect(try await store.caseStatus(caseID: "c_old")?.images.map(\.kind) == [.picture, .picture])
        let video = StoreContract.videoCase(frames: 3).filter { $0.kind == .video }.map { var h = $0; h.imageKey = 2; return h }
        let added = try await store.addHashes(caseID: "c_old", hashes: video)
        #expect(added.count == 4 && added.allSatisfy { $0.kind == .video })
        #expect(try await store.caseStatus(caseID: "c_old")?.images.map(\.kind) == [.picture, .picture, .video])
    }

    @Test func sqliteBankFromBeforeVideosIsMigrated() async throws {
        try await withStore(.sqlite) { fixture in
            do {
                let store = try await fixture.open()
                _ = try await store.createCase(NewCase(id: "c_old", secret: try StoreContract.secret(), hashes: Self.pictures))
            }
            // The store is closed (its directory lock released); the file goes back to schema v1.
            let queue = try DatabaseQueue(path: fixture.location + "/" + SQLiteBankStore.fileName)
            try await queue.write { db in
                try db.execute(sql: "ALTER TABLE images DROP COLUMN kind")
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier LIKE 'v2:%'")
            }
            let columns = try await queue.read { db in try Row.fetchAll(db, sql: "PRAGMA table_info(images)").map { $0["name"] as String } }
            #expect(columns == ["id", "case_id", "image_key"])
            try queue.close()
            try await Self.expectMigrated(try await fixture.open())
        }
    }

    @Test(.enabled(if: Backend.runPostgres, Comment(rawValue: Backend.postgresSkipReason)))
    func postgresBankFromBeforeVideosIsMigrated() async throws {
        try await withStore(.postgres) { fixture in
            let store = try await fixture.openPostgres()
            _ = try await store.createCase(NewCase(id: "c_old", secret: try StoreContract.secret(), hashes: Self.pictures))
            try await TestDatabases.run(url: fixture.location, sql: "ALTER TABLE images DROP COLUMN kind")
            try await TestDatabases.run(url: fixture.location, sql: "DELETE FROM nccmatch_migrations WHERE version = 4")
            let reopened = try await fixture.openPostgres()
            // Opening migrated it already; a second run has nothing left to do.
            #expect(try await reopened.migrate().applied.isEmpty)
            try await Self.expectMigrated(reopened)
            // Replicas loading the whole bank see the old items as pictures and the new one as a video.
            let snapshot = try await reopened.loadHashes()
            #expect(snapshot.filter { $0.kind == .video }.count == 4 && snapshot.filter { $0.kind == .picture }.count == 3)
        }
    }
}
