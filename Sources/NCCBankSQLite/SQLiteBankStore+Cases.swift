import Foundation
import GRDB
import NCCBank
import NCCHashing

/// Cases and their hashes: open, read, add to, withdraw, report, load for the indexes.
extension SQLiteBankStore {
    /// Inserts hashes of a case, making image rows as needed.
    static func insertHashes(_ db: Database, caseID: String, hashes: [NewHash]) throws -> [StoredHash] {
        var imageIDs: [Int: (id: Int64, kind: BankItemKind)] = [:]
        let rows = try Row.fetchAll(db, sql: "SELECT id, image_key, kind FROM images WHERE case_id = ?", arguments: [caseID])
        for row in rows { imageIDs[row["image_key"]] = (row["id"], itemKind(row["kind"])) }
        let insertImage = try db.cachedStatement(sql: "INSERT INTO images (case_id, image_key, kind) VALUES (?, ?, ?)")
        let insertHash = try db.cachedStatement(sql: "INSERT INTO hashes (image_id, algorithm, value, quality) VALUES (?, ?, ?, ?)")
        var stored: [StoredHash] = []
        stored.reserveCapacity(hashes.count)
        for hash in hashes {
            let image: (id: Int64, kind: BankItemKind)
            if let known = imageIDs[hash.imageKey] {
                image = known
            } else {
                try insertImage.execute(arguments: [caseID, hash.imageKey, hash.kind.rawValue])
                image = (db.lastInsertedRowID, hash.kind)
                imageIDs[hash.imageKey] = image
            }
            try insertHash.execute(arguments: [image.id, hash.algorithm.rawValue, Data(hash.value), hash.quality])
            stored.append(StoredHash(id: db.lastInsertedRowID, imageID: image.id, algorithm: hash.algorithm, value: hash.value, kind: image.kind))
        }
        return stored
    }

    /// Stores a new case and its hashes in one transaction, with a `case_opened` audit record.
    public func createCase(_ newCase: NewCase) async throws -> [StoredHash] {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO cases (id, secret_hash, secret_salt, secret_parameters, status, created_at) VALUES (?, ?, ?, ?, 'active', ?)",
                arguments: [newCase.id, Data(newCase.secret.hash), Data(newCase.secret.salt), newCase.secret.parameters, Date()])
            let stored = try Self.insertHashes(db, caseID: newCase.id, hashes: newCase.hashes)
            let images = Set(newCase.hashes.map(\.imageKey)).count
            try Self.audit(db, actor: "case", action: "case_opened", caseID: newCase.id, detail: "\(stored.count) hashes of \(images) pictures")
            return stored
        }
    }

    /// The stored secret and state of a case; nil when there is no such case.
    public func caseCredentials(caseID: String) async throws -> (secret: StoredSecret, state: CaseState)? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT secret_hash, secret_salt, secret_parameters, status FROM cases WHERE id = ?", arguments: [caseID]) else {
                return nil
            }
            let status: String = row["status"]
            return (try Self.storedSecret(row), CaseState(rawValue: status) ?? .withdrawn)
        }
    }

    /// The stored secret of a row with `secret_parameters`, `secret_salt` and `secret_hash`.
    static func storedSecret(_ row: Row) throws -> StoredSecret {
        let hash: Data = row["secret_hash"], salt: Data = row["secret_salt"]
        return try StoredSecret(parameters: row["secret_parameters"], salt: Array(salt), hash: Array(hash))
    }

    static func requireActive(_ db: Database, caseID: String) throws {
        guard let status = try String.fetchOne(db, sql: "SELECT status FROM cases WHERE id = ?", arguments: [caseID]) else {
            throw BankError.caseNotFound
        }
        if status != CaseState.active.rawValue {
            throw BankError.caseWithdrawnForChanges
        }
    }

    /// Adds hashes to an active case, with a `hashes_added` audit record.
    public func addHashes(caseID: String, hashes: [NewHash]) async throws -> [StoredHash] {
        try await write { db in
            try Self.requireActive(db, caseID: caseID)
            let stored = try Self.insertHashes(db, caseID: caseID, hashes: hashes)
            try Self.audit(db, actor: "case", action: "hashes_added", caseID: caseID, detail: "\(stored.count) hashes")
            return stored
        }
    }

    /// Deletes a case's hashes and marks it withdrawn; the audit record keeps only counts.
    public func withdrawCase(caseID: String) async throws -> [StoredHash] {
        try await write { db in
            guard let status = try String.fetchOne(db, sql: "SELECT status FROM cases WHERE id = ?", arguments: [caseID]) else {
                throw BankError.caseNotFound
            }
            if status == CaseState.withdrawn.rawValue { return [] }
            let removed = try Self.fetchHashes(db, sql: """
                SELECT h.id, h.image_id, h.algorithm, h.value, i.kind FROM hashes h JOIN images i ON i.id = h.image_id WHERE i.case_id = ?
                """, arguments: [caseID], skippingDamaged: true)
            try db.execute(sql: "DELETE FROM hashes WHERE image_id IN (SELECT id FROM images WHERE case_id = ?)", arguments: [caseID])
            try db.execute(sql: "UPDATE cases SET status = 'withdrawn', withdrawn_at = ? WHERE id = ?", arguments: [Date(), caseID])
            try Self.audit(db, actor: "case", action: "case_withdrawn", caseID: caseID, detail: "\(removed.count) hashes deleted")
            return removed
        }
    }

    /// The hash of a row's algorithm and value columns, or nil when the row is damaged (unknown algorithm,
    /// not a BLOB, wrong length for its algorithm). Never traps on a value of the wrong type.
    static func hashValue(algorithm: DatabaseValue, value: DatabaseValue) -> (HashAlgorithm, [UInt8])? {
        guard let name = String.fromDatabaseValue(algorithm), let algorithm = HashAlgorithm(rawValue: name),
              case .blob(let data) = value.storage, data.count == algorithm.bitCount / 8 else { return nil }
        return (algorithm, Array(data))
    }

    /// The item kind of an `images.kind` value (`picture` for anything else: the column's check allows no other).
    static func itemKind(_ value: DatabaseValue) -> BankItemKind {
        String.fromDatabaseValue(value).flatMap(BankItemKind.init(rawValue:)) ?? .picture
    }

    /// Hashes of the rows `sql` selects (id, image id, algorithm, value, item kind). A damaged row throws
    /// `store_corrupt`, or is left out with `skippingDamaged` (it was never in any index).
    static func fetchHashes(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments(),
                            skippingDamaged: Bool = false) throws -> [StoredHash] {
        var result: [StoredHash] = []
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try cursor.next() {
            guard let (algorithm, value) = hashValue(algorithm: row[2], value: row[3]),
                  let id = Int64.fromDatabaseValue(row[0]), let imageID = Int64.fromDatabaseValue(row[1]) else {
                if skippingDamaged { continue }
                throw BankError(.storeCorrupt, "The bank holds a damaged hash row (not a hash of its algorithm's length); restart the server, whose start-up check says what to do.")
            }
            result.append(StoredHash(id: id, imageID: imageID, algorithm: algorithm, value: value, kind: itemKind(row[4])))
        }
        return result
    }

    /// Per picture: hash count, platforms that matched it, latest outcome per match reference.
    public func caseStatus(caseID: String) async throws -> CaseStatusReport? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT status, created_at, withdrawn_at FROM cases WHERE id = ?", arguments: [caseID]) else {
                return nil
            }
            let status: String = row["status"]
            var report = CaseStatusReport(caseID: caseID, state: CaseState(rawValue: status) ?? .withdrawn,
                                          createdAt: row["created_at"], withdrawnAt: row["withdrawn_at"], images: [])
            let images = try Row.fetchAll(db, sql: """
                SELECT i.id, i.image_key, i.kind,
                       (SELECT COUNT(*) FROM hashes h WHERE h.image_id = i.id) AS hashes,
                       (SELECT COUNT(DISTINCT platform_id) FROM match_refs m WHERE m.image_id = i.id) AS platforms
                FROM images i WHERE i.case_id = ? ORDER BY i.image_key
                """, arguments: [caseID])
            for image in images {
                var feedback: [FeedbackOutcome: Int] = [:]
                // The latest outcome of each match reference of this picture.
                let outcomes = try Row.fetchAll(db, sql: """
                    SELECT f.outcome, COUNT(*) AS n FROM feedback f
                    JOIN match_refs m ON m.ref = f.match_ref
                    WHERE m.image_id = ? AND f.id = (SELECT MAX(id) FROM feedback g WHERE g.match_ref = f.match_ref)
                    GROUP BY f.outcome
                    """, arguments: [image["id"] as Int64])
                for outcome in outcomes {
                    if let value = FeedbackOutcome(rawValue: outcome["outcome"]) { feedback[value] = outcome["n"] }
                }
                report.images.append(.init(image: image["image_key"], hashes: image["hashes"], platformsMatched: image["platforms"], feedback: feedback,
                                           kind: Self.itemKind(image["kind"])))
            }
            return report
        }
    }

    /// Every stored hash, in id order, for building the indexes.
    /// - Warning: returns bank hash values; never log or serve them.
    public func loadHashes() async throws -> [StoredHash] {
        try await read { db in
            try Self.fetchHashes(db, sql: "SELECT h.id, h.image_id, h.algorithm, h.value, i.kind FROM hashes h JOIN images i ON i.id = h.image_id ORDER BY h.id")
        }
    }
}
