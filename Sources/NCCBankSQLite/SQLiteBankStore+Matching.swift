import Foundation
import GRDB
import NCCBank
import NCCHashing

/// Match references and the feedback platforms give on them.
extension SQLiteBankStore {
    /// The bank's match-reference key (`MatchReferenceKey`), made in this write transaction when the bank has
    /// none yet: a bank gets its key when it first matches, so opening a bank never adds to its file. The
    /// caller caches it once its transaction committed.
    func referenceKey(_ db: Database) throws -> MatchReferenceKey {
        if let key = cachedReferenceKey.withLock({ $0 }) { return key }
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS bank_keys (name TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL)")
        try db.execute(sql: "INSERT OR IGNORE INTO bank_keys (name, value) VALUES ('match_ref', ?)", arguments: [Data(MatchReferenceKey.newKeyBytes())])
        let stored = try Data.fetchOne(db, sql: "SELECT value FROM bank_keys WHERE name = 'match_ref'")
        return try MatchReferenceKey(bytes: stored.map(Array.init) ?? [])
    }

    /// Gets or makes the platform's match reference for each live image (`MatchReferenceKey`; pictures matched
    /// before the key existed keep the random reference they were given then), one `match` audit record each.
    public func matchReferences(platform: PlatformRecord, imageIDs: [Int64]) async throws -> [Int64: String] {
        if imageIDs.isEmpty { return [:] }
        let (refs, key) = try await write { db -> ([Int64: String], MatchReferenceKey) in
            let key = try self.referenceKey(db)
            var refs: [Int64: String] = [:]
            let find = try db.cachedStatement(sql: """
                SELECT m.ref FROM match_refs m JOIN images i ON i.id = m.image_id JOIN cases c ON c.id = i.case_id
                WHERE m.platform_id = ? AND m.image_id = ? AND c.status = 'active'
                """)
            let live = try db.cachedStatement(sql: "SELECT 1 FROM images i JOIN cases c ON c.id = i.case_id WHERE i.id = ? AND c.status = 'active'")
            let insert = try db.cachedStatement(sql: "INSERT INTO match_refs (ref, platform_id, image_id, created_at) VALUES (?, ?, ?, ?)")
            let now = Date()
            for imageID in Set(imageIDs) {
                var ref = try String.fetchOne(find, arguments: [platform.id, imageID])
                if ref == nil {
                    guard try Bool.fetchOne(live, arguments: [imageID]) != nil else { continue }
                    let fresh = key.reference(platformID: platform.id, imageID: imageID)
                    try insert.execute(arguments: [fresh, platform.id, imageID, now])
                    ref = fresh
                }
                refs[imageID] = ref
                try Self.audit(db, actor: "platform:\(platform.name)", action: "match", matchRef: ref)
            }
            return (refs, key)
        }
        cachedReferenceKey.withLock { $0 = key }
        return refs
    }

    /// Stores a review outcome for one of the platform's match references, with a `feedback` audit record.
    public func recordFeedback(platform: PlatformRecord, matchRef: String, outcome: FeedbackOutcome, contentID: String?) async throws {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT c.status FROM match_refs m JOIN images i ON i.id = m.image_id JOIN cases c ON c.id = i.case_id
                WHERE m.ref = ? AND m.platform_id = ?
                """, arguments: [matchRef, platform.id]) else {
                throw BankError.matchRefNotFound
            }
            let status: String = row["status"]
            if status != CaseState.active.rawValue {
                throw BankError.caseWithdrawnForFeedback
            }
            try db.execute(sql: "INSERT INTO feedback (match_ref, platform_id, outcome, content_id, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [matchRef, platform.id, outcome.rawValue, contentID, Date()])
            try Self.audit(db, actor: "platform:\(platform.name)", action: "feedback", matchRef: matchRef, detail: outcome.rawValue)
        }
    }
}
