import Foundation
import GRDB
import NCCHashing

/// The default `BankStore`: one SQLite file, `bank.sqlite`, in the data directory, through GRDB.
///
/// Durability: WAL journal with `synchronous = FULL`, so every committed transaction is fsynced to the
/// WAL before the call returns. An acknowledged write therefore survives `kill -9` (which `NORMAL` would
/// also give) and a power cut or kernel crash (which `NORMAL` would not). Commits are rare next to
/// matches (which only read), so the fsync per commit costs little.
///
/// Several processes may open the same file (the server and `nccmatch admin`): WAL lets readers and one
/// writer work at once; a writer waits up to 10 s for another.
public final class SQLiteBankStore: BankStore {
    /// The file name inside the data directory.
    public static let fileName = "bank.sqlite"

    let pool: DatabasePool
    /// Path of the database file.
    public let path: String
    /// Repairs made while opening (modes tightened to 0700/0600), one sentence each, for the log; no user data.
    public let openingNotes: [String]
    /// What the start-up integrity check found, when it ran (`openForServing`); nil otherwise.
    public let integrity: BankIntegrityReport?

    /// Opens (creating the folder and file on first use) the bank in `directory` and migrates it, without
    /// the full integrity check (`nccmatch admin`, which may run beside the server, opens it this way).
    ///
    /// The directory is made 0700 and the files 0600, also when they already exist. A fresh bank is made
    /// only where no `bank.sqlite` exists: an empty, foreign or unreadable file is refused.
    /// Throws `BankError` `store_unavailable` with the underlying cause when the folder or file cannot be
    /// made or opened, `store_empty`, `store_corrupt` or `store_not_a_bank` for a file that is not a
    /// usable bank, or `store_too_new` when the file was written by a newer nccmatch.
    public convenience init(directory: String) throws {
        try self.init(directory: directory, checkingIntegrity: false)
    }

    /// Opens the bank; with `checkingIntegrity`, also runs `PRAGMA quick_check` and validates every stored
    /// hash, read-only, before anything may write (see `openForServing`).
    init(directory: String, checkingIntegrity: Bool) throws {
        var notes = try Self.secureDirectory(directory)
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        let created = try Self.prepareFile(path: path, directory: directory)
        // Companions left by an earlier run (a -wal after a crash) get 0600 too; SQLite makes new -wal and
        // -shm files with the mode of the database file, which is 0600 from here on.
        notes += Self.secureFiles(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        /// Removes a bank this call created and could not finish, so that no empty file is left behind.
        func discardFresh() {
            guard created else { return }
            for file in [path, path + "-wal", path + "-shm"] { unlink(file) }
        }
        // An existing file is checked read-only first: nothing writes to a bank that is refused.
        let integrity = created ? nil : try Self.checkReadOnly(path: path, directory: directory, full: checkingIntegrity)
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            discardFresh()
            throw Self.openFailure(error, path: path, directory: directory, exportHelps: false)
        }
        notes += Self.secureFiles(path)
        let migrator = Self.migrator
        do {
            if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
                throw BankError(code: "store_too_new", message: "The bank database \(path) was written by a newer nccmatch; run that version or newer.")
            }
            do {
                try migrator.migrate(pool)
            } catch {
                if let database = error as? DatabaseError, [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(database.resultCode) {
                    throw Self.openFailure(database, path: path, directory: directory, exportHelps: false)
                }
                throw BankError(code: "store_unavailable", message: "The bank database \(path) could not be brought up to date; check that \(directory) is writable and the disk not full.", underlying: error)
            }
        } catch {
            discardFresh()
            throw Self.openFailure(error, path: path, directory: directory, exportHelps: false)
        }
        notes += Self.secureFiles(path)
        self.pool = pool
        self.path = path
        self.openingNotes = notes
        self.integrity = checkingIntegrity ? integrity ?? BankIntegrityReport(hashes: 0, quickCheckSeconds: 0, hashCheckSeconds: 0) : nil
    }

    /// Runs a write transaction, mapping database failures to `BankError`.
    func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch let error as BankError {
            throw error
        } catch {
            throw BankError(code: "store_failed", message: "The bank could not save the change; nothing was changed.", underlying: error)
        }
    }

    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let error as BankError {
            throw error
        } catch {
            throw BankError(code: "store_failed", message: "The bank could not be read.", underlying: error)
        }
    }

    static func audit(_ db: Database, actor: String, action: String, caseID: String? = nil, matchRef: String? = nil, detail: String? = nil) throws {
        try db.execute(
            sql: "INSERT INTO audit (at, actor, action, case_id, match_ref, detail) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [Date(), actor, action, caseID, matchRef, detail])
    }

    /// Inserts hashes of a case, making image rows as needed.
    static func insertHashes(_ db: Database, caseID: String, hashes: [NewHash]) throws -> [StoredHash] {
        var imageIDs: [Int: Int64] = [:]
        let rows = try Row.fetchAll(db, sql: "SELECT id, image_key FROM images WHERE case_id = ?", arguments: [caseID])
        for row in rows { imageIDs[row["image_key"]] = row["id"] }
        let insertImage = try db.cachedStatement(sql: "INSERT INTO images (case_id, image_key) VALUES (?, ?)")
        let insertHash = try db.cachedStatement(sql: "INSERT INTO hashes (image_id, algorithm, value, quality) VALUES (?, ?, ?, ?)")
        var stored: [StoredHash] = []
        stored.reserveCapacity(hashes.count)
        for hash in hashes {
            let imageID: Int64
            if let known = imageIDs[hash.imageKey] {
                imageID = known
            } else {
                try insertImage.execute(arguments: [caseID, hash.imageKey])
                imageID = db.lastInsertedRowID
                imageIDs[hash.imageKey] = imageID
            }
            try insertHash.execute(arguments: [imageID, hash.algorithm.rawValue, Data(hash.value), hash.quality])
            stored.append(StoredHash(id: db.lastInsertedRowID, imageID: imageID, algorithm: hash.algorithm, value: hash.value))
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
            let parameters: String = row["secret_parameters"]
            let parts = parameters.split(separator: "$")
            guard parts.count == 2, let rounds = Int(parts[1]) else {
                throw BankError(code: "store_corrupt", message: "The stored secret of a case has unknown parameters.")
            }
            let hash: Data = row["secret_hash"], salt: Data = row["secret_salt"]
            let status: String = row["status"]
            return (StoredSecret(scheme: String(parts[0]), rounds: rounds, salt: Array(salt), hash: Array(hash)),
                    CaseState(rawValue: status) ?? .withdrawn)
        }
    }

    static func requireActive(_ db: Database, caseID: String) throws {
        guard let status = try String.fetchOne(db, sql: "SELECT status FROM cases WHERE id = ?", arguments: [caseID]) else {
            throw BankError(code: "case_not_found", message: "There is no case with this id.")
        }
        if status != CaseState.active.rawValue {
            throw BankError(code: "case_withdrawn", message: "This case was withdrawn, so it no longer accepts changes. You can open a new case at any time.")
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
                throw BankError(code: "case_not_found", message: "There is no case with this id.")
            }
            if status == CaseState.withdrawn.rawValue { return [] }
            let removed = try Self.fetchHashes(db, sql: """
                SELECT h.id, h.image_id, h.algorithm, h.value FROM hashes h JOIN images i ON i.id = h.image_id WHERE i.case_id = ?
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

    /// Hashes of the rows `sql` selects (id, image id, algorithm, value). A damaged row throws
    /// `store_corrupt`, or is left out with `skippingDamaged` (it was never in any index).
    static func fetchHashes(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments(),
                            skippingDamaged: Bool = false) throws -> [StoredHash] {
        var result: [StoredHash] = []
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try cursor.next() {
            guard let (algorithm, value) = hashValue(algorithm: row[2], value: row[3]),
                  let id = Int64.fromDatabaseValue(row[0]), let imageID = Int64.fromDatabaseValue(row[1]) else {
                if skippingDamaged { continue }
                throw BankError(code: "store_corrupt", message: "The bank holds a damaged hash row (not a hash of its algorithm's length); restart the server, whose start-up check says what to do.")
            }
            result.append(StoredHash(id: id, imageID: imageID, algorithm: algorithm, value: value))
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
                SELECT i.id, i.image_key,
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
                report.images.append(.init(image: image["image_key"], hashes: image["hashes"], platformsMatched: image["platforms"], feedback: feedback))
            }
            return report
        }
    }

    /// Every stored hash, in id order, for building the indexes.
    /// - Warning: returns bank hash values; never log or serve them.
    public func loadHashes() async throws -> [StoredHash] {
        try await read { db in
            try Self.fetchHashes(db, sql: "SELECT id, image_id, algorithm, value FROM hashes ORDER BY id")
        }
    }

    static func platform(from row: Row) -> PlatformRecord {
        let hash: Data = row["key_hash"]
        return PlatformRecord(id: row["id"], name: row["name"], keyPrefix: row["key_prefix"], keyHash: Array(hash),
                              createdAt: row["created_at"], revokedAt: row["revoked_at"])
    }

    /// The platform whose key has this prefix, revoked or not.
    public func platform(keyPrefix: String) async throws -> PlatformRecord? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM platforms WHERE key_prefix = ?", arguments: [keyPrefix]).map(Self.platform(from:))
        }
    }

    /// Adds a platform with the SHA-256 of its key, with a `platform_added` audit record.
    public func addPlatform(name: String, key: APIKey) async throws -> PlatformRecord {
        try await write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM platforms WHERE name = ?", arguments: [name]) != nil {
                throw BankError(code: "platform_exists", message: "A platform named \(name) already exists; pick another name, or revoke it and add it under a new name.")
            }
            try db.execute(sql: "INSERT INTO platforms (name, key_prefix, key_hash, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [name, key.prefix, Data(key.storedHash), Date()])
            let id = db.lastInsertedRowID
            try Self.audit(db, actor: "operator", action: "platform_added", detail: name)
            return try Self.platform(from: Row.fetchOne(db, sql: "SELECT * FROM platforms WHERE id = ?", arguments: [id])!)
        }
    }

    /// Every platform, in the order they were added.
    public func listPlatforms() async throws -> [PlatformRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM platforms ORDER BY id").map(Self.platform(from:))
        }
    }

    /// Revokes a platform's key (idempotent), with a `platform_revoked` audit record.
    public func revokePlatform(name: String) async throws -> PlatformRecord {
        try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM platforms WHERE name = ?", arguments: [name]) != nil else {
                throw BankError(code: "platform_not_found", message: "There is no platform named \(name); `nccmatch admin platform list` shows them.")
            }
            try db.execute(sql: "UPDATE platforms SET revoked_at = COALESCE(revoked_at, ?) WHERE name = ?", arguments: [Date(), name])
            try Self.audit(db, actor: "operator", action: "platform_revoked", detail: name)
            return try Self.platform(from: Row.fetchOne(db, sql: "SELECT * FROM platforms WHERE name = ?", arguments: [name])!)
        }
    }

    /// Gets or makes the platform's match reference for each live image, one `match` audit record each.
    public func matchReferences(platform: PlatformRecord, imageIDs: [Int64]) async throws -> [Int64: String] {
        if imageIDs.isEmpty { return [:] }
        return try await write { db in
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
                    let fresh = Secrets.newMatchReference()
                    try insert.execute(arguments: [fresh, platform.id, imageID, now])
                    ref = fresh
                }
                refs[imageID] = ref
                try Self.audit(db, actor: "platform:\(platform.name)", action: "match", matchRef: ref)
            }
            return refs
        }
    }

    /// Stores a review outcome for one of the platform's match references, with a `feedback` audit record.
    public func recordFeedback(platform: PlatformRecord, matchRef: String, outcome: FeedbackOutcome, contentID: String?) async throws {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT c.status FROM match_refs m JOIN images i ON i.id = m.image_id JOIN cases c ON c.id = i.case_id
                WHERE m.ref = ? AND m.platform_id = ?
                """, arguments: [matchRef, platform.id]) else {
                throw BankError(code: "match_ref_not_found", message: "This match reference is not one your platform received; check the value returned by /v1/match.")
            }
            let status: String = row["status"]
            if status != CaseState.active.rawValue {
                throw BankError(code: "case_withdrawn", message: "The picture behind this match reference was withdrawn from the bank; no feedback is needed.")
            }
            try db.execute(sql: "INSERT INTO feedback (match_ref, platform_id, outcome, content_id, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [matchRef, platform.id, outcome.rawValue, contentID, Date()])
            try Self.audit(db, actor: "platform:\(platform.name)", action: "feedback", matchRef: matchRef, detail: outcome.rawValue)
        }
    }

    /// Audit entries, oldest first: the latest `limit`, or those after the id `after`.
    public func auditEntries(limit: Int, after: Int64?) async throws -> [AuditEntry] {
        try await read { db in
            let rows: [Row]
            if let after {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, limit])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM (SELECT * FROM audit ORDER BY id DESC LIMIT ?) ORDER BY id", arguments: [limit])
            }
            return rows.map { row in
                AuditEntry(id: row["id"], at: row["at"], actor: row["actor"], action: row["action"],
                           caseID: row["case_id"], matchRef: row["match_ref"], detail: row["detail"])
            }
        }
    }

    /// Every active case with its secret verifier and hashes (picture numbers kept), ordered by case id.
    public func exportCases() async throws -> [NewCase] {
        try await read { db in
            var cases: [NewCase] = []
            var index: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, secret_hash, secret_salt, secret_parameters FROM cases WHERE status = 'active' ORDER BY id") {
                let parameters: String = row["secret_parameters"]
                let parts = parameters.split(separator: "$")
                guard parts.count == 2, let rounds = Int(parts[1]) else {
                    throw BankError(code: "store_corrupt", message: "The stored secret of a case has unknown parameters.")
                }
                let hash: Data = row["secret_hash"], salt: Data = row["secret_salt"]
                let id: String = row["id"]
                index[id] = cases.count
                cases.append(NewCase(id: id, secret: StoredSecret(scheme: String(parts[0]), rounds: rounds, salt: Array(salt), hash: Array(hash)), hashes: []))
            }
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT i.case_id, i.image_key, h.algorithm, h.value, h.quality FROM hashes h JOIN images i ON i.id = h.image_id ORDER BY h.id
                """)
            while let row = try cursor.next() {
                // Damaged rows (wrong length, unknown algorithm) are left out, so that export saves the rest.
                guard let caseID = String.fromDatabaseValue(row[0]), let at = index[caseID],
                      let (algorithm, value) = Self.hashValue(algorithm: row[2], value: row[3]),
                      let imageKey = Int.fromDatabaseValue(row[1]) else { continue }
                cases[at].hashes.append(NewHash(algorithm: algorithm, value: value, quality: Int.fromDatabaseValue(row[4]), imageKey: imageKey))
            }
            return cases
        }
    }

    /// Appends one audit record.
    public func appendAudit(actor: String, action: String, caseID: String?, matchRef: String?, detail: String?) async throws {
        try await write { db in
            try Self.audit(db, actor: actor, action: action, caseID: caseID, matchRef: matchRef, detail: detail)
        }
    }
}
