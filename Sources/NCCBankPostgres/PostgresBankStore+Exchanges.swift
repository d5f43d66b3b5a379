import Foundation
import Logging
import NCCBank
import NCCExchange
import NCCHashing
import PostgresNIO

/// Exchanges (`ExchangeBankStore`): their settings, their records and checkpoints (`ExchangeRecordStore`), and
/// the imported hashes' change feed.
///
/// Every transaction that changes exchange records first locks the one row of `exchange_version` (`FOR UPDATE`),
/// so such writers take turns until they commit, hand out versions in commit order, and a follower reading
/// `version > v` never misses a row committed later with a smaller version. A page is a few multi-row
/// statements (arrays through `UNNEST`), never one statement per record.
extension PostgresBankStore: ExchangeBankStore {
    // MARK: Settings

    /// Seconds a page's `apply` or a batch of `importedChanges` may take in all before it fails with
    /// `database_unavailable` (at least; the store's own timeout when longer).
    static let exchangeCallTimeout: Double = 60

    static let exchangeColumns = "name, kind, bank, endpoint, credential_environment, interval_seconds, enabled, created_at, feedback_source"

    static func exchanges(_ rows: PostgresRowSequence) async throws -> [ExchangeSettings] {
        var result: [ExchangeSettings] = []
        for try await (name, kind, bank, endpoint, credentials, interval, enabled, created, feedbackSource) in rows.decode(
            (String, String, String, String?, String, Int64, Bool, Date, String?).self) {
            guard let kind = ExchangeSettings.Kind(rawValue: kind),
                  let environment = try? JSONDecoder().decode([String: String].self, from: Data(credentials.utf8)) else {
                throw BankError(.storeCorrupt, "The exchange \(name) has settings this nccmatch cannot read; the bank was written by a newer nccmatch, or is damaged.")
            }
            result.append(ExchangeSettings(name: name, kind: kind, bank: bank, endpoint: endpoint, credentialEnvironment: environment,
                                           intervalSeconds: Int(interval), enabled: enabled, createdAt: created, feedbackSource: feedbackSource))
        }
        return result
    }

    static func credentialText(_ settings: ExchangeSettings) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(settings.credentialEnvironment), as: UTF8.self)
    }

    /// The SQL of a record's key from the SQL expressions of its signal type name, value and entry text: the
    /// SHA-256 of the three joined by zero bytes (text never holds one), short enough for any btree entry.
    static func recordKeySQL(_ type: String, _ value: String, _ entry: String) -> String {
        "sha256(convert_to(\(type), 'UTF8') || '\\x00'::bytea || convert_to(\(value), 'UTF8') || '\\x00'::bytea || convert_to(\(entry), 'UTF8'))"
    }

    /// Locks the store-wide version row until the transaction ends and returns the latest version.
    static func lockVersion(_ c: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        var version: Int64?
        for try await value in try await c.query("SELECT version FROM exchange_version WHERE id = 1 FOR UPDATE", logger: logger).decode(Int64.self) {
            version = value
        }
        guard let version else { throw BankError(.storeCorrupt, "The bank's exchange version is missing; the bank's database is damaged.") }
        return version
    }

    static func setVersion(_ c: PostgresConnection, _ logger: Logger, _ version: Int64) async throws {
        try await c.query("UPDATE exchange_version SET version = \(version) WHERE id = 1", logger: logger)
    }

    /// Whether the exchange exists; `lock` locks its row until the transaction ends (against concurrent enqueues).
    static func exchangeExists(_ c: PostgresConnection, _ logger: Logger, name: String, lock: Bool = false) async throws -> Bool {
        var found = false
        for try await _ in try await c.query("SELECT 1 FROM exchanges WHERE name = \(name) \(unescaped: lock ? "FOR UPDATE" : "")", logger: logger).decode(Int.self) {
            found = true
        }
        return found
    }

    /// Every exchange, by name.
    public func exchanges() async throws -> [ExchangeSettings] {
        try await transaction(writing: false) { c, logger in
            try await Self.exchanges(try await c.query("SELECT \(unescaped: Self.exchangeColumns) FROM exchanges ORDER BY name", logger: logger))
        }
    }

    /// Adds an exchange filling an existing bank other than the own bank (`bank_invalid`, `exchange_exists`,
    /// `bank_in_use`, `bank_not_found`), with an `exchange_added` audit record.
    public func addExchange(_ settings: ExchangeSettings) async throws {
        try BankError.validate(settings)
        let credentials = try Self.credentialText(settings)
        try await transaction { c, logger in
            if try await Self.exchangeExists(c, logger, name: settings.name) { throw BankError.exchangeExists(settings.name) }
            if settings.bank == BankSettings.ownBankName { throw BankError.ownBankNotForExchanges }
            var bank = false
            for try await _ in try await c.query("SELECT 1 FROM banks WHERE name = \(settings.bank) FOR SHARE", logger: logger).decode(Int.self) { bank = true }
            guard bank else { throw BankError.bankNotFound(settings.bank) }
            do {
                try await c.query("""
                    INSERT INTO exchanges (\(unescaped: Self.exchangeColumns))
                    VALUES (\(settings.name), \(settings.kind.rawValue), \(settings.bank), \(settings.endpoint), \(credentials),
                            \(Int64(settings.intervalSeconds)), \(settings.enabled), \(settings.createdAt), \(settings.feedbackSource))
                    """, logger: logger)
            } catch where Self.isUniqueViolation(error) {
                // Added by another writer since the check above.
                throw BankError.exchangeExists(settings.name)
            }
            try await Self.audit(c, logger, actor: "operator", action: "exchange_added", detail: "\(settings.name) into \(settings.bank)")
        }
    }

    /// Replaces an exchange's switch, interval, endpoint, credential names and feedback source (`bank_invalid`, `exchange_not_found`);
    /// its name, kind and bank stay. Writes an `exchange_changed` audit record.
    public func updateExchange(_ settings: ExchangeSettings) async throws {
        try BankError.validate(settings)
        let credentials = try Self.credentialText(settings)
        try await transaction { c, logger in
            var found = false
            for try await _ in try await c.query("""
                UPDATE exchanges SET enabled = \(settings.enabled), interval_seconds = \(Int64(settings.intervalSeconds)),
                    endpoint = \(settings.endpoint), credential_environment = \(credentials), feedback_source = \(settings.feedbackSource)
                WHERE name = \(settings.name) RETURNING 1
                """, logger: logger).decode(Int.self) {
                found = true
            }
            guard found else { throw BankError.exchangeNotFound(settings.name) }
            try await Self.audit(c, logger, actor: "operator", action: "exchange_changed", detail: settings.name)
        }
    }

    /// Removes an exchange with its records (leaving tombstones), checkpoint and pending feedback, with an
    /// `exchange_removed` audit record; returns how many records went.
    public func removeExchange(name: String) async throws -> Int {
        try await transaction(deadline: .connection) { c, logger in
            let version = try await Self.lockVersion(c, logger)
            guard try await Self.exchangeExists(c, logger, name: name, lock: true) else { throw BankError.exchangeNotFound(name) }
            var removed: Int64 = 0, latest = version
            for try await (count, last) in try await c.query("""
                WITH gone AS (DELETE FROM exchange_records WHERE exchange = \(name) RETURNING id),
                kept AS (INSERT INTO exchange_tombstones (version, id, exchange)
                         SELECT \(version) + row_number() OVER (ORDER BY id), id, \(name) FROM gone RETURNING version)
                SELECT (SELECT count(*) FROM gone), COALESCE((SELECT max(version) FROM kept), \(version))
                """, logger: logger).decode((Int64, Int64).self) {
                removed = count
                latest = last
            }
            try await Self.setVersion(c, logger, latest)
            try await c.query("DELETE FROM exchange_feedback WHERE exchange = \(name) AND state = 'pending'", logger: logger)
            try await c.query("DELETE FROM exchange_checkpoints WHERE exchange = \(name)", logger: logger)
            try await c.query("DELETE FROM exchanges WHERE name = \(name)", logger: logger)
            try await Self.audit(c, logger, actor: "operator", action: "exchange_removed", detail: "\(name): \(removed) records")
            return Int(removed)
        }
    }

    /// How many records an exchange holds (all signal types); throws `exchange_not_found`.
    public func exchangeRecordCount(exchange: String) async throws -> Int {
        try await transaction(writing: false) { c, logger in
            guard try await Self.exchangeExists(c, logger, name: exchange) else { throw BankError.exchangeNotFound(exchange) }
            var count: Int64 = 0
            for try await value in try await c.query("SELECT count(*) FROM exchange_records WHERE exchange = \(exchange)", logger: logger).decode(Int64.self) {
                count = value
            }
            return Int(count)
        }
    }

    // MARK: Records and checkpoints

    /// The checkpoint stored with the exchange's last applied page, or nil.
    public func checkpoint(exchange: String) async throws -> ExchangeCheckpoint? {
        let text = try await transaction(writing: false) { c, logger -> String? in
            var text: String?
            for try await value in try await c.query("SELECT checkpoint FROM exchange_checkpoints WHERE exchange = \(exchange)", logger: logger).decode(String.self) {
                text = value
            }
            return text
        }
        guard let text else { return nil }
        do {
            return try JSONDecoder().decode(ExchangeCheckpoint.self, from: Data(text.utf8))
        } catch {
            throw BankError(.storeCorrupt, "The stored checkpoint of the exchange \(exchange) cannot be read; the bank was written by a newer nccmatch, or is damaged.")
        }
    }

    /// Applies a page's changes and stores its checkpoint in one transaction: removals (with tombstones), then
    /// upserts (a stored record keeps its id and moves to a newer version), each a single multi-row statement.
    public func apply(_ changes: [ExchangeChange], checkpoint: ExchangeCheckpoint, exchange: String) async throws {
        let plan = RecordPlan(changes)
        let checkpointText = String(decoding: try JSONEncoder().encode(checkpoint), as: UTF8.self)
        // Bounded as a whole (a stuck server fails the page, which the next fetch retries), with room for a file's
        // pages of 10,000 records on a loaded machine.
        try await transaction(timeout: max(timeout, Self.exchangeCallTimeout)) { c, logger in
            var version = try await Self.lockVersion(c, logger)
            guard try await Self.exchangeExists(c, logger, name: exchange) else { throw BankError.exchangeNotFound(exchange) }
            let start = version
            var gone: [Int64] = []
            if !plan.removals.isEmpty {
                let keys = RecordKeys(plan.removals)
                for try await id in try await c.query("""
                    DELETE FROM exchange_records r USING UNNEST(\(keys.types)::text[], \(keys.values)::text[], \(keys.entries)::text[]) AS k(t, v, e)
                    WHERE r.exchange = \(exchange) AND r.record_key = \(unescaped: Self.recordKeySQL("k.t", "k.v", "k.e"))
                    RETURNING r.id
                    """, logger: logger).decode(Int64.self) {
                    gone.append(id)
                }
            }
            if !plan.clearedEntries.isEmpty {
                // Entries replaced whole: their stored records that this page does not store again.
                let kept = RecordKeys(plan.upserts.map(\.id))
                for try await id in try await c.query("""
                    DELETE FROM exchange_records r
                    WHERE r.exchange = \(exchange) AND r.entry <> '' AND r.entry = ANY(\(plan.clearedEntries)::text[])
                      AND NOT EXISTS (SELECT 1 FROM UNNEST(\(kept.types)::text[], \(kept.values)::text[], \(kept.entries)::text[]) AS k(t, v, e)
                                      WHERE r.signal_type = k.t AND r.signal_value = k.v AND r.entry = k.e)
                    RETURNING r.id
                    """, logger: logger).decode(Int64.self) {
                    gone.append(id)
                }
            }
            if !gone.isEmpty {
                gone.sort()
                try await c.query("""
                    INSERT INTO exchange_tombstones (version, id, exchange)
                    SELECT \(version) + n, id, \(exchange) FROM UNNEST(\(gone)::bigint[]) WITH ORDINALITY AS t(id, n)
                    """, logger: logger)
                version += Int64(gone.count)
            }
            if !plan.upserts.isEmpty {
                let rows = UpsertRows(plan.upserts)
                try await c.query("""
                    INSERT INTO exchange_records (exchange, signal_type, signal_value, entry, status, case_numbers, feedback,
                                                  last_modified, classification, algorithm, value, version, record_key)
                    SELECT \(exchange), t, v, e, s, NULLIF(cn, ''), NULLIF(fb, ''), CASE WHEN hl THEN lm END, CASE WHEN hc THEN cl END,
                           NULLIF(a, ''), NULLIF(b, ''::bytea), \(version) + n, \(unescaped: Self.recordKeySQL("t", "v", "e"))
                    FROM UNNEST(\(rows.keys.types)::text[], \(rows.keys.values)::text[], \(rows.keys.entries)::text[], \(rows.statuses)::text[],
                                \(rows.caseNumbers)::text[], \(rows.feedback)::text[], \(rows.lastModified)::bigint[], \(rows.hasLastModified)::boolean[],
                                \(rows.classifications)::text[], \(rows.hasClassification)::boolean[], \(rows.algorithms)::text[], \(rows.values)::bytea[])
                         WITH ORDINALITY AS x(t, v, e, s, cn, fb, lm, hl, cl, hc, a, b, n)
                    ON CONFLICT (exchange, record_key) DO UPDATE SET
                        status = EXCLUDED.status, case_numbers = EXCLUDED.case_numbers, feedback = EXCLUDED.feedback,
                        last_modified = EXCLUDED.last_modified, classification = EXCLUDED.classification,
                        algorithm = EXCLUDED.algorithm, value = EXCLUDED.value, version = EXCLUDED.version
                    """, logger: logger)
                version += Int64(plan.upserts.count)
            }
            if version != start { try await Self.setVersion(c, logger, version) }
            try await c.query("""
                INSERT INTO exchange_checkpoints (exchange, checkpoint, updated_at) VALUES (\(exchange), \(checkpointText), \(Date()))
                ON CONFLICT (exchange) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = EXCLUDED.updated_at
                """, logger: logger)
        }
    }

    /// The current records of `exchange` (none for an exchange that does not exist).
    /// - Warning: returns imported hash values; never log or serve them.
    public func records(exchange: String) async throws -> [ExchangeRecord] {
        let rows = try await transaction(writing: false, deadline: .connection) { c, logger in
            try await StoredRecordRow.rows(try await c.query("""
                SELECT \(unescaped: StoredRecordRow.columns) FROM exchange_records WHERE exchange = \(exchange) ORDER BY id
                """, logger: logger))
        }
        return try rows.map { try $0.record() }
    }

    // MARK: Change feed

    /// Imported hash changes after `version`, oldest first, at most `limit` upserts and removals together, read
    /// in one snapshot (`REPEATABLE READ`). Upserts are read as a few arrays per exchange and algorithm (ids and
    /// the values concatenated) rather than one row per hash.
    /// - Warning: returns imported hash values; never log or serve them.
    public func importedChanges(after version: Int64, limit: Int) async throws -> ImportedChanges {
        let limit = Int64(max(1, min(limit, 1_000_000)))
        return try await transaction(writing: false, timeout: max(timeout, Self.exchangeCallTimeout)) { c, logger in
            try await c.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            var latest = version
            for try await value in try await c.query("SELECT version FROM exchange_version WHERE id = 1", logger: logger).decode(Int64.self) {
                latest = max(latest, value)
            }
            // Nothing new (a follower's usual poll): one query.
            if latest == version { return ImportedChanges(upserted: [], removed: [], version: version, hasMore: false) }
            // The limit-th and the next change's versions: the batch ends at the first; a second means more wait.
            var bounds: [Int64] = []
            for try await value in try await c.query("""
                SELECT version FROM (
                    (SELECT version FROM exchange_records WHERE version > \(version) AND algorithm IS NOT NULL ORDER BY version LIMIT \(limit + 1))
                    UNION ALL
                    (SELECT version FROM exchange_tombstones WHERE version > \(version) ORDER BY version LIMIT \(limit + 1))
                ) AS changes ORDER BY version OFFSET \(limit - 1) LIMIT 2
                """, logger: logger).decode(Int64.self) {
                bounds.append(value)
            }
            let hasMore = bounds.count == 2
            let upper = bounds.first ?? latest
            var banks: [String: String] = [:]
            for try await (name, bank) in try await c.query("SELECT name, bank FROM exchanges", logger: logger).decode((String, String).self) {
                banks[name] = bank
            }
            var upserted: [ImportedHash] = []
            var order: [Int64] = []
            for try await (exchange, name, ids, versions, values) in try await c.query("""
                SELECT exchange, algorithm, array_agg(id ORDER BY version), array_agg(version ORDER BY version), string_agg(value, ''::bytea ORDER BY version)
                FROM exchange_records WHERE version > \(version) AND version <= \(upper) AND algorithm IS NOT NULL
                GROUP BY exchange, algorithm
                """, logger: logger).decode((String, String, [Int64], [Int64], Data).self) {
                guard let algorithm = HashAlgorithm(rawValue: name) else { continue }
                let size = algorithm.bitCount / 8
                guard values.count == ids.count * size, versions.count == ids.count else {
                    throw BankError(.storeCorrupt, "Stored imported \(name) hashes do not have the length of their kind; the bank's database is damaged.")
                }
                let bank = banks[exchange] ?? exchange
                values.withUnsafeBytes { bytes in
                    for (i, id) in ids.enumerated() {
                        upserted.append(ImportedHash(id: id, bank: bank, exchange: exchange, algorithm: algorithm,
                                                     value: Array(bytes[(i * size)..<((i + 1) * size)])))
                    }
                }
                order += versions
            }
            // Oldest first across exchanges and algorithms.
            if upserted.count > 1 {
                let sorted = order.indices.sorted { order[$0] < order[$1] }
                upserted = sorted.map { upserted[$0] }
            }
            var removed: [Int64] = []
            for try await ids in try await c.query("""
                SELECT COALESCE(array_agg(id ORDER BY version), '{}') FROM exchange_tombstones WHERE version > \(version) AND version <= \(upper)
                """, logger: logger).decode([Int64].self) {
                removed = ids
            }
            return ImportedChanges(upserted: upserted, removed: removed, version: hasMore ? upper : max(upper, latest), hasMore: hasMore)
        }
    }
}

// MARK: Rows

/// A page's changes reduced to their outcome, in feed order: the last change to an id wins, a record whose status
/// is withdrawn or deleted removes its id, and an entry replaced whole loses every stored record the page does
/// not store again.
struct RecordPlan {
    var upserts: [ExchangeRecord] = []
    var removals: [ExchangeRecord.ID] = []
    /// Entries (`RecordKeys.entryText`) replaced whole.
    var clearedEntries: [String] = []

    init(_ changes: [ExchangeChange]) {
        var last: [ExchangeRecord.ID: (order: Int, record: ExchangeRecord?)] = [:]
        var byEntry: [UpstreamEntry: Set<ExchangeRecord.ID>] = [:]
        var cleared: Set<UpstreamEntry> = []
        var order = 0
        func put(_ given: ExchangeRecord.ID, _ record: ExchangeRecord?) {
            // Keyed as stored (the kind by its name), so two spellings of one kind never make two rows of one statement.
            var id = given
            id.signalType = ExchangeSignalType(name: given.signalType.name)
            last[id] = (order, record)
            order += 1
            if let entry = id.entry { byEntry[entry, default: []].insert(id) }
        }
        for change in changes {
            switch change {
            case .upsert(let record): put(record.id, record.status.removesHash ? nil : record)
            case .remove(let id): put(id, nil)
            case .replaceEntry(let entry, let records):
                for id in byEntry[entry] ?? [] where last[id]?.record != nil { put(id, nil) }
                cleared.insert(entry)
                for record in records { put(record.id, record.status.removesHash ? nil : record) }
            }
        }
        for (id, value) in last.sorted(by: { $0.value.order < $1.value.order }) {
            if let record = value.record {
                upserts.append(record)
            } else if id.entry.map({ !cleared.contains($0) }) ?? true {
                // A removal inside a cleared entry goes with the entry's clearing.
                removals.append(id)
            }
        }
        clearedEntries = cleared.map(RecordKeys.entryText).sorted()
    }
}

/// Record keys as the parallel arrays the statements take.
struct RecordKeys {
    var types: [String] = [], values: [String] = [], entries: [String] = []

    init(_ ids: [ExchangeRecord.ID]) {
        types.reserveCapacity(ids.count)
        values.reserveCapacity(ids.count)
        entries.reserveCapacity(ids.count)
        for id in ids {
            // By name: `.other("ImagePDQ")` is the same kind as `.imagePDQ`, stored once.
            types.append(id.signalType.name)
            values.append(id.signalValue)
            entries.append(id.entry.map(Self.entryText) ?? "")
        }
    }

    /// `<member>:<entry id>` (none: the empty text).
    static func entryText(_ entry: UpstreamEntry) -> String { "\(entry.memberID):\(entry.entryID)" }

    static func entry(_ text: String) -> UpstreamEntry? {
        guard let colon = text.firstIndex(of: ":"), let member = Int(text[..<colon]) else { return nil }
        return UpstreamEntry(memberID: member, entryID: String(text[text.index(after: colon)...]))
    }
}

/// A page's upserts as the parallel arrays of one `INSERT ... ON CONFLICT` (empty text and bytes stand for NULL).
struct UpsertRows {
    var keys: RecordKeys
    var statuses: [String] = [], caseNumbers: [String] = [], feedback: [String] = []
    var lastModified: [Int64] = [], hasLastModified: [Bool] = [], classifications: [String] = [], hasClassification: [Bool] = []
    var algorithms: [String] = [], values: [ByteBuffer] = []

    init(_ records: [ExchangeRecord]) {
        keys = RecordKeys(records.map(\.id))
        for record in records {
            statuses.append(record.status.rawValue)
            caseNumbers.append(record.caseNumbers.isEmpty ? "" : record.caseNumbersJSON)
            feedback.append(record.feedback.isEmpty ? "" : (try? JSONEncoder().encode(record.feedback)).map { String(decoding: $0, as: UTF8.self) } ?? "")
            lastModified.append(record.lastModified ?? 0)
            hasLastModified.append(record.lastModified != nil)
            classifications.append(record.classification ?? "")
            hasClassification.append(record.classification != nil)
            if let (algorithm, bytes) = ImportedHash.matchable(record.id) {
                algorithms.append(algorithm.rawValue)
                values.append(ByteBuffer(bytes: bytes))
            } else {
                algorithms.append("")
                values.append(ByteBuffer())
            }
        }
    }
}

/// One stored record's columns.
struct StoredRecordRow: Sendable {
    let type: String, value: String, entry: String, status: String
    let caseNumbers: String?, feedback: String?, lastModified: Int64?, classification: String?

    /// The `exchange_records` columns `rows` reads, in its order.
    static let columns = "signal_type, signal_value, entry, status, case_numbers, feedback, last_modified, classification"

    /// The rows of a query selecting `columns`.
    static func rows(_ sequence: PostgresRowSequence) async throws -> [StoredRecordRow] {
        var rows: [StoredRecordRow] = []
        for try await row in sequence.decode((String, String, String, String, String?, String?, Int64?, String?).self) {
            rows.append(StoredRecordRow(type: row.0, value: row.1, entry: row.2, status: row.3, caseNumbers: row.4,
                                        feedback: row.5, lastModified: row.6, classification: row.7))
        }
        return rows
    }

    func record() throws -> ExchangeRecord {
        let entry = entry.isEmpty ? nil : RecordKeys.entry(entry)
        guard let status = ExchangeHashStatus(rawValue: status), self.entry.isEmpty || entry != nil else { throw Self.unreadable }
        let decoder = JSONDecoder()
        var numbers: [String: ExchangeHashStatus] = [:]
        var feedback: [UpstreamFeedback] = []
        do {
            if let caseNumbers { numbers = try decoder.decode([String: ExchangeHashStatus].self, from: Data(caseNumbers.utf8)) }
            if let text = self.feedback { feedback = try decoder.decode([UpstreamFeedback].self, from: Data(text.utf8)) }
        } catch {
            throw Self.unreadable
        }
        return ExchangeRecord(id: .init(signalType: ExchangeSignalType(name: type), signalValue: value, entry: entry), status: status,
                              caseNumbers: numbers, feedback: feedback, lastModified: lastModified, classification: classification)
    }

    static let unreadable = BankError(.storeCorrupt, "A stored exchange record cannot be read; the bank was written by a newer nccmatch, or is damaged.")
}
