import Foundation
import GRDB
import NCCBank
import NCCExchange
import NCCHashing

/// Exchange records and checkpoints (`ExchangeRecordStore`), the imported hashes' change feed, their match
/// references and the feedback outbox (`FeedbackOutbox`); banks, exchanges' settings and quarantine are in `+Banks`.
///
/// A page is one write transaction through cached prepared statements: one `INSERT ... ON CONFLICT DO UPDATE`
/// per upsert (the record keeps its id), one `DELETE ... RETURNING id` per removal, no reads per record. Every
/// change takes the next store-wide version (`store_version`), read once and written once per transaction.
extension SQLiteBankStore: ExchangeBankStore {
    // MARK: Keys and rows

    /// A record's key columns: `entry_key` is '' without an upstream entry, else `<member>/<entry id>`.
    struct RecordKey {
        var entryKey: String
        var signalType: String
        var signalValue: String
        var entryMember: Int?
        var entryID: String?

        init(_ id: ExchangeRecord.ID) {
            entryKey = Self.entryKey(id.entry)
            signalType = id.signalType.name
            signalValue = id.signalValue
            entryMember = id.entry?.memberID
            entryID = id.entry?.entryID
        }

        static func entryKey(_ entry: UpstreamEntry?) -> String {
            entry.map { "\($0.memberID)/\($0.entryID)" } ?? ""
        }

        /// Reads the key columns of a row (`signal_type`, `signal_value`, `entry_member`, `entry_id`).
        static func id(_ row: Row) -> ExchangeRecord.ID {
            let member: Int? = row["entry_member"]
            let entryID: String? = row["entry_id"]
            let entry = member.flatMap { member in entryID.map { UpstreamEntry(memberID: member, entryID: $0) } }
            return ExchangeRecord.ID(signalType: ExchangeSignalType(name: row["signal_type"]), signalValue: row["signal_value"], entry: entry)
        }
    }

    static func storeVersion(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT value FROM store_version WHERE id = 1") ?? 0
    }

    static func setStoreVersion(_ db: Database, _ version: Int64) throws {
        try db.execute(sql: "UPDATE store_version SET value = ? WHERE id = 1", arguments: [version])
    }

    static func damagedRecord() -> BankError {
        BankError(.storeCorrupt, "An exchange record in the bank is damaged; remove the exchange and fetch it again.")
    }

    // MARK: ExchangeRecordStore

    /// The checkpoint stored with the last applied page; nil before the first or for an unknown exchange.
    public func checkpoint(exchange: String) async throws -> ExchangeCheckpoint? {
        let text = try await read { db -> String? in
            try String.fetchOne(db, sql: """
                SELECT c.checkpoint FROM exchange_checkpoints c JOIN exchanges e ON e.id = c.exchange_id WHERE e.name = ?
                """, arguments: [exchange])
        }
        guard let text else { return nil }
        do {
            return try JSONDecoder().decode(ExchangeCheckpoint.self, from: Data(text.utf8))
        } catch {
            throw BankError(.storeCorrupt, "The checkpoint of the exchange \(exchange) is damaged; remove the exchange and add it again to fetch it from the start.", underlying: error)
        }
    }

    /// Applies a page and stores its checkpoint in one transaction; throws `exchange_not_found` (nothing written).
    ///
    /// An upsert keeps a stored record's id and moves it to a new version; a withdrawn or deleted record removes
    /// it; a removal leaves a tombstone; `.replaceEntry` removes the entry's records that are not among the new
    /// ones (those that are keep their ids) and upserts the new ones.
    public func apply(_ changes: [ExchangeChange], checkpoint: ExchangeCheckpoint, exchange: String) async throws {
        let checkpointText = String(decoding: try JSONEncoder().encode(checkpoint), as: UTF8.self)
        try await write { db in
            let exchangeID = try Self.requireExchange(db, exchange)
            var writer = try PageWriter(db, exchangeID: exchangeID, version: Self.storeVersion(db))
            for change in changes {
                switch change {
                case .upsert(let record): try writer.put(record)
                case .remove(let id): try writer.remove(RecordKey(id))
                case .replaceEntry(let entry, let records): try writer.replace(entry, with: records)
                }
            }
            try Self.setStoreVersion(db, writer.version)
            try db.execute(sql: """
                INSERT INTO exchange_checkpoints (exchange_id, checkpoint, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (exchange_id) DO UPDATE SET checkpoint = excluded.checkpoint, updated_at = excluded.updated_at
                """, arguments: [exchangeID, checkpointText, Date().timeIntervalSince1970])
        }
    }

    /// Writes one page's changes through prepared statements, handing out versions.
    struct PageWriter {
        let exchangeID: Int64
        var version: Int64
        let upsert: Statement
        let delete: Statement
        let deleteByID: Statement
        let tombstone: Statement
        let entryRecords: Statement
        let encoder = JSONEncoder()

        init(_ db: Database, exchangeID: Int64, version: Int64) throws {
            self.exchangeID = exchangeID
            self.version = version
            upsert = try db.cachedStatement(sql: """
                INSERT INTO exchange_records (exchange_id, entry_key, signal_type, signal_value, entry_member, entry_id, status,
                    case_numbers, feedback, last_modified, classification, algorithm, value, version)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (exchange_id, entry_key, signal_type, signal_value) DO UPDATE SET
                    status = excluded.status, case_numbers = excluded.case_numbers, feedback = excluded.feedback,
                    last_modified = excluded.last_modified, classification = excluded.classification, version = excluded.version
                """)
            delete = try db.cachedStatement(sql: """
                DELETE FROM exchange_records WHERE exchange_id = ? AND entry_key = ? AND signal_type = ? AND signal_value = ? RETURNING id
                """)
            deleteByID = try db.cachedStatement(sql: "DELETE FROM exchange_records WHERE id = ?")
            tombstone = try db.cachedStatement(sql: "INSERT INTO imported_tombstones (hash_id, version) VALUES (?, ?)")
            entryRecords = try db.cachedStatement(sql: "SELECT id, signal_type, signal_value FROM exchange_records WHERE exchange_id = ? AND entry_key = ? ORDER BY id")
        }

        mutating func put(_ record: ExchangeRecord) throws {
            let key = RecordKey(record.id)
            if record.status.removesHash { return try remove(key) }
            version += 1
            let matchable = ImportedHash.matchable(record.id)
            let caseNumbers = record.caseNumbers.isEmpty ? nil : record.caseNumbersJSON
            let feedback = record.feedback.isEmpty ? nil : String(decoding: try encoder.encode(record.feedback), as: UTF8.self)
            try upsert.execute(arguments: [
                exchangeID, key.entryKey, key.signalType, key.signalValue, key.entryMember, key.entryID, record.status.rawValue,
                caseNumbers, feedback, record.lastModified, record.classification,
                matchable?.algorithm.rawValue, matchable.map { Data($0.value) }, version,
            ])
        }

        mutating func remove(_ key: RecordKey) throws {
            guard let id = try Int64.fetchOne(delete, arguments: [exchangeID, key.entryKey, key.signalType, key.signalValue]) else { return }
            version += 1
            try tombstone.execute(arguments: [id, version])
        }

        mutating func replace(_ entry: UpstreamEntry, with records: [ExchangeRecord]) throws {
            let kept = Set(records.filter { !$0.status.removesHash }.map { RecordKey($0.id) }.map { "\($0.signalType)\u{0}\($0.signalValue)" })
            let old = try Row.fetchAll(entryRecords, arguments: [exchangeID, RecordKey.entryKey(entry)])
            for row in old where !kept.contains("\(row["signal_type"] as String)\u{0}\(row["signal_value"] as String)") {
                let id: Int64 = row["id"]
                try deleteByID.execute(arguments: [id])
                version += 1
                try tombstone.execute(arguments: [id, version])
            }
            for record in records { try put(record) }
        }
    }

    /// The current records of an exchange, in id order (none for an unknown exchange).
    /// - Warning: returns imported hash values; never log or serve them.
    public func records(exchange: String) async throws -> [ExchangeRecord] {
        try await read { db in
            guard let id = try Self.exchangeID(db, exchange) else { return [] }
            let decoder = JSONDecoder()
            return try Row.fetchAll(db, sql: "SELECT * FROM exchange_records WHERE exchange_id = ? ORDER BY id", arguments: [id]).map {
                try Self.exchangeRecord($0, decoder: decoder)
            }
        }
    }

    /// A record from its `exchange_records` row; throws `store_corrupt` for a damaged one.
    static func exchangeRecord(_ row: Row, decoder: JSONDecoder = JSONDecoder()) throws -> ExchangeRecord {
        guard let status = ExchangeHashStatus(rawValue: row["status"]) else { throw Self.damagedRecord() }
        let caseNumbers: String? = row["case_numbers"]
        let feedback: String? = row["feedback"]
        do {
            return ExchangeRecord(
                id: RecordKey.id(row), status: status,
                caseNumbers: try caseNumbers.map { try decoder.decode([String: ExchangeHashStatus].self, from: Data($0.utf8)) } ?? [:],
                feedback: try feedback.map { try decoder.decode([UpstreamFeedback].self, from: Data($0.utf8)) } ?? [],
                lastModified: row["last_modified"], classification: row["classification"])
        } catch {
            throw Self.damagedRecord()
        }
    }

    // MARK: The change feed

    /// Matchable upserts and removals after `version`, oldest first, at most `limit` together, read in one
    /// transaction through the version indexes.
    /// - Warning: returns imported hash values; never log or serve them.
    public func importedChanges(after version: Int64, limit: Int) async throws -> ImportedChanges {
        let limit = max(1, limit)
        return try await read { db in
            var exchanges: [Int64: (name: String, bank: String)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, name, bank FROM exchanges") {
                exchanges[row["id"]] = (row["name"], row["bank"])
            }
            var changes = ImportedChanges(upserted: [], removed: [], version: version, hasMore: false)
            changes.upserted.reserveCapacity(min(limit, 100_000))
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT id, version, exchange_id, algorithm, value FROM exchange_records WHERE algorithm IS NOT NULL AND version > ?1
                UNION ALL
                SELECT hash_id, version, NULL, NULL, NULL FROM imported_tombstones WHERE version > ?1
                ORDER BY 2 LIMIT ?2
                """, arguments: [version, limit + 1])
            var count = 0
            while let row = try cursor.next() {
                if count == limit {
                    changes.hasMore = true
                    break
                }
                count += 1
                changes.version = row[1]
                let id: Int64 = row[0]
                guard let exchangeID: Int64 = row[2] else {
                    changes.removed.append(id)
                    continue
                }
                guard let exchange = exchanges[exchangeID], let algorithm = HashAlgorithm(rawValue: row[3]),
                      let value: Data = row[4], value.count == algorithm.bitCount / 8 else { throw Self.damagedRecord() }
                changes.upserted.append(ImportedHash(id: id, bank: exchange.bank, exchange: exchange.name, algorithm: algorithm, value: Array(value)))
            }
            if !changes.hasMore { changes.version = max(changes.version, try Self.storeVersion(db)) }
            return changes
        }
    }

    // MARK: Imported match references and feedback

    /// The platform's `x_` reference for each stored imported hash, kept so feedback finds the record later (also
    /// after it goes), one `match` audit record each.
    public func importedMatchReferences(platform: PlatformRecord, hashIDs: [Int64]) async throws -> [Int64: String] {
        if hashIDs.isEmpty { return [:] }
        let (refs, key) = try await write { db -> ([Int64: String], MatchReferenceKey) in
            let key = try self.referenceKey(db)
            let record = try db.cachedStatement(sql: """
                SELECT r.entry_key, r.signal_type, r.signal_value, r.entry_member, r.entry_id, e.name, e.bank
                FROM exchange_records r JOIN exchanges e ON e.id = r.exchange_id WHERE r.id = ?
                """)
            let find = try db.cachedStatement(sql: "SELECT ref FROM imported_match_refs WHERE platform_id = ? AND hash_id = ?")
            let insert = try db.cachedStatement(sql: """
                INSERT INTO imported_match_refs (ref, platform_id, hash_id, exchange, entry_key, signal_type, signal_value, entry_member, entry_id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let now = Date().timeIntervalSince1970
            var refs: [Int64: String] = [:]
            for hashID in Set(hashIDs).sorted() {
                guard let row = try Row.fetchOne(record, arguments: [hashID]) else { continue }
                var ref = try String.fetchOne(find, arguments: [platform.id, hashID])
                if ref == nil {
                    let fresh = key.importedReference(platformID: platform.id, hashID: hashID)
                    try insert.execute(arguments: [fresh, platform.id, hashID, row["name"], row["entry_key"], row["signal_type"],
                                                   row["signal_value"], row["entry_member"], row["entry_id"], now])
                    ref = fresh
                }
                refs[hashID] = ref
                try Self.audit(db, actor: "platform:\(platform.name)", action: "match", matchRef: ref, detail: "bank \(row["bank"] as String)")
            }
            return (refs, key)
        }
        cachedReferenceKey.withLock { $0 = key }
        return refs
    }

    /// Queues the platform's outcome for the record behind an `x_` reference (`match_ref_not_found`,
    /// `hash_withdrawn`), with a `feedback` audit record, in one transaction; returns whether the item was new.
    @discardableResult
    public func recordImportedFeedback(platform: PlatformRecord, matchRef: String, outcome: FeedbackOutcome, contentID: String?) async throws -> Bool {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM imported_match_refs WHERE ref = ? AND platform_id = ?",
                                             arguments: [matchRef, platform.id]) else {
                throw BankError.matchRefNotFound
            }
            let hashID: Int64 = row["hash_id"]
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM exchange_records WHERE id = ?", arguments: [hashID]) != nil else {
                throw BankError.hashWithdrawnForFeedback
            }
            let key = FeedbackItem.Key(exchange: row["exchange"], record: RecordKey.id(row), outcome: ExchangeFeedbackOutcome(outcome))
            let new = try Self.enqueue(db, key, now: Date())
            try Self.audit(db, actor: "platform:\(platform.name)", action: "feedback", matchRef: matchRef, detail: outcome.rawValue)
            return new
        }
    }

    // MARK: FeedbackOutbox

    static let outboxKeyClause = "exchange = ? AND entry_key = ? AND signal_type = ? AND signal_value = ? AND outcome = ?"

    static func keyArguments(_ key: FeedbackItem.Key) -> StatementArguments {
        let record = RecordKey(key.record)
        return [key.exchange, record.entryKey, record.signalType, record.signalValue, key.outcome.rawValue]
    }

    static func enqueue(_ db: Database, _ key: FeedbackItem.Key, now: Date) throws -> Bool {
        let record = RecordKey(key.record)
        try db.execute(sql: """
            INSERT OR IGNORE INTO feedback_outbox (exchange, entry_key, signal_type, signal_value, entry_member, entry_id, outcome,
                state, not_before, attempts, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, 0, ?)
            """, arguments: [key.exchange, record.entryKey, record.signalType, record.signalValue, record.entryMember, record.entryID,
                             key.outcome.rawValue, now.timeIntervalSince1970, now.timeIntervalSince1970])
        return db.changesCount > 0
    }

    static func item(_ row: Row) throws -> FeedbackItem {
        guard let outcome = ExchangeFeedbackOutcome(rawValue: row["outcome"]) else { throw damagedRecord() }
        var item = FeedbackItem(key: .init(exchange: row["exchange"], record: RecordKey.id(row), outcome: outcome), now: Date())
        switch row["state"] as String {
        case "pending": item.state = .pending(notBefore: Date(timeIntervalSince1970: row["not_before"] ?? 0))
        case "delivered": item.state = .delivered(at: Date(timeIntervalSince1970: row["delivered_at"] ?? 0))
        default: item.state = .failed(ExchangeError.Code(rawValue: row["failed_code"] ?? "") ?? .unexpectedStatus)
        }
        item.attempts = row["attempts"]
        item.lastError = (row["last_error"] as String?).flatMap(ExchangeError.Code.init(rawValue:))
        item.inDoubtSince = (row["sent_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        return item
    }

    /// Queues `key` unless queued already (also once delivered); throws `exchange_not_found` for an exchange not
    /// configured. Returns whether it was new.
    public func enqueue(_ key: FeedbackItem.Key, now: Date) async throws -> Bool {
        try await write { db in
            _ = try Self.requireExchange(db, key.exchange)
            return try Self.enqueue(db, key, now: now)
        }
    }

    /// Up to `limit` pending items due at `now`, in the order they were queued: a walk of the partial index
    /// `feedback_outbox_due` (pending items only, in queue order, with their time), so delivered and failed items
    /// cost nothing however many there are.
    public func due(now: Date, limit: Int) async throws -> [FeedbackItem] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM feedback_outbox WHERE state = 'pending' AND not_before <= ? ORDER BY id LIMIT ?",
                             arguments: [now.timeIntervalSince1970, max(0, limit)]).map(Self.item)
        }
    }

    /// Records one try's outcome and clears its in-doubt mark (`sent_at`), counting the try unless `markSending`
    /// did; a delivered item stays delivered, an unknown key changes nothing.
    public func record(_ key: FeedbackItem.Key, state: FeedbackItem.State, error: ExchangeError.Code?) async throws {
        try await write { db in
            var arguments: StatementArguments
            switch state {
            case .pending(let notBefore):
                arguments = ["pending", notBefore.timeIntervalSince1970, nil, nil]
            case .delivered(let at):
                arguments = ["delivered", nil, at.timeIntervalSince1970, nil]
            case .failed(let code):
                arguments = ["failed", nil, nil, code.rawValue]
            }
            arguments += [error?.rawValue]
            arguments += Self.keyArguments(key)
            try db.execute(sql: """
                UPDATE feedback_outbox SET state = ?, not_before = ?, delivered_at = ?, failed_code = ?, last_error = ?,
                    attempts = attempts + (CASE WHEN sent_at IS NULL THEN 1 ELSE 0 END), sent_at = NULL
                WHERE \(Self.outboxKeyClause) AND state <> 'delivered'
                """, arguments: arguments)
        }
    }

    /// Every item, in the order they were queued.
    public func items() async throws -> [FeedbackItem] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM feedback_outbox ORDER BY id").map(Self.item) }
    }

    /// Marks a try beginning at `at` (`sent_at`, one more try, due again at `recheckAt`), committed before the
    /// request leaves, if the item is pending with exactly `attempts` tries; returns whether it did.
    public func markSending(_ key: FeedbackItem.Key, attempts: Int, at: Date, recheckAt: Date) async throws -> Bool {
        try await write { db in
            try db.execute(sql: """
                UPDATE feedback_outbox SET sent_at = ?, not_before = ?, attempts = attempts + 1
                WHERE \(Self.outboxKeyClause) AND state = 'pending' AND attempts = ?
                """, arguments: [at.timeIntervalSince1970, recheckAt.timeIntervalSince1970] + Self.keyArguments(key) + [attempts])
            return db.changesCount > 0
        }
    }

    /// Moves a pending item's due time, keeping `sent_at` and its tries.
    public func postpone(_ key: FeedbackItem.Key, until notBefore: Date) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE feedback_outbox SET not_before = ? WHERE \(Self.outboxKeyClause) AND state = 'pending'",
                           arguments: [notBefore.timeIntervalSince1970] + Self.keyArguments(key))
        }
    }

    /// The current record `id` of `exchange`, or nil: one look-up through the record key's unique index.
    /// - Warning: returns an imported hash value; never log or serve it.
    public func record(_ id: ExchangeRecord.ID, exchange: String) async throws -> ExchangeRecord? {
        let key = RecordKey(id)
        return try await read { db in
            guard let exchangeID = try Self.exchangeID(db, exchange),
                  let row = try Row.fetchOne(db, sql: """
                      SELECT * FROM exchange_records WHERE exchange_id = ? AND entry_key = ? AND signal_type = ? AND signal_value = ?
                      """, arguments: [exchangeID, key.entryKey, key.signalType, key.signalValue]) else { return nil }
            return try Self.exchangeRecord(row)
        }
    }
}
