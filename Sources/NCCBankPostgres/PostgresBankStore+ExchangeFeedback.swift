import Foundation
import Logging
import NCCBank
import NCCExchange
import PostgresNIO

/// Matches against imported hashes and the feedback that goes back to their exchanges (`FeedbackOutbox`).
///
/// Outbox times are stored as seconds since `Date`'s reference date (double precision), so a `Date` reads back
/// exactly as it was given (PostgreSQL's timestamps keep microseconds only).
extension PostgresBankStore {
    // MARK: Imported match references

    /// The platform's match reference of each imported hash still stored, remembered (kept after the record goes),
    /// with one `match` audit record each.
    public func importedMatchReferences(platform: PlatformRecord, hashIDs: [Int64]) async throws -> [Int64: String] {
        if hashIDs.isEmpty { return [:] }
        let key = referenceKey.withLock { $0 }!
        let ids = Array(Set(hashIDs)).sorted()
        return try await transaction { c, logger in
            var found: [(id: Int64, exchange: String, bank: String)] = []
            // Locks the records against a concurrent removal until this transaction ends.
            for try await (id, exchange, bank) in try await c.query("""
                SELECT r.id, r.exchange, e.bank FROM exchange_records r JOIN exchanges e ON e.name = r.exchange
                WHERE r.id = ANY(\(ids)::bigint[]) ORDER BY r.id FOR SHARE OF r
                """, logger: logger).decode((Int64, String, String).self) {
                found.append((id, exchange, bank))
            }
            if found.isEmpty { return [:] }
            let refs = found.map { key.importedReference(platformID: platform.id, hashID: $0.id) }
            let now = Date()
            try await c.query("""
                INSERT INTO imported_match_refs (ref, platform_id, hash_id, exchange, created_at)
                SELECT r, \(platform.id), h, e, \(now) FROM UNNEST(\(refs)::text[], \(found.map(\.id))::bigint[], \(found.map(\.exchange))::text[]) AS t(r, h, e)
                ON CONFLICT (ref) DO NOTHING
                """, logger: logger)
            try await c.query("""
                INSERT INTO audit (at, actor, action, match_ref, detail)
                SELECT \(now), \("platform:\(platform.name)"), 'match', r, 'bank ' || b FROM UNNEST(\(refs)::text[], \(found.map(\.bank))::text[]) WITH ORDINALITY AS t(r, b, n) ORDER BY n
                """, logger: logger)
            var result: [Int64: String] = [:]
            for (row, ref) in zip(found, refs) { result[row.id] = ref }
            return result
        }
    }

    /// Queues a platform's outcome on an imported hash for its exchange and audits it, in one transaction;
    /// returns whether the outbox item was new.
    @discardableResult
    public func recordImportedFeedback(platform: PlatformRecord, matchRef: String, outcome: FeedbackOutcome, contentID: String?) async throws -> Bool {
        guard let exchangeOutcome = ExchangeFeedbackOutcome(rawValue: outcome.rawValue) else {
            throw BankError(.storeFailed, "The outcome \(outcome.rawValue) has no exchange feedback.")
        }
        return try await transaction { c, logger in
            var hashID: Int64?
            for try await id in try await c.query("""
                SELECT hash_id FROM imported_match_refs WHERE ref = \(matchRef) AND platform_id = \(platform.id)
                """, logger: logger).decode(Int64.self) {
                hashID = id
            }
            guard let hashID else { throw BankError.matchRefNotFound }
            var stored = false
            for try await _ in try await c.query("SELECT 1 FROM exchange_records WHERE id = \(hashID) FOR SHARE", logger: logger).decode(Int.self) {
                stored = true
            }
            guard stored else { throw BankError.hashWithdrawnForFeedback }
            let now = Date()
            var new = false
            for try await _ in try await c.query("""
                INSERT INTO exchange_feedback (exchange, signal_type, signal_value, entry, outcome, state, not_before, attempts, created_at, record_key)
                SELECT exchange, signal_type, signal_value, entry, \(exchangeOutcome.rawValue), 'pending', \(now.timeIntervalSinceReferenceDate), 0, \(now), record_key
                FROM exchange_records WHERE id = \(hashID)
                ON CONFLICT (exchange, record_key, outcome) DO NOTHING RETURNING 1
                """, logger: logger).decode(Int.self) {
                new = true
            }
            try await c.query("""
                INSERT INTO imported_feedback (match_ref, platform_id, outcome, content_id, created_at)
                VALUES (\(matchRef), \(platform.id), \(outcome.rawValue), \(contentID), \(now))
                """, logger: logger)
            try await Self.audit(c, logger, actor: "platform:\(platform.name)", action: "feedback", matchRef: matchRef, detail: outcome.rawValue)
            return new
        }
    }

    // MARK: Outbox

    /// Queues `key` unless an item with that key exists; returns whether it was new. Throws `exchange_not_found`
    /// for an exchange not configured.
    public func enqueue(_ key: FeedbackItem.Key, now: Date) async throws -> Bool {
        let keys = RecordKeys([key.record])
        return try await transaction { c, logger in
            // Shares the exchange's row with other enqueues, so a concurrent removal waits for this one (and then
            // removes the item while it is still pending).
            var exists = false
            for try await _ in try await c.query("SELECT 1 FROM exchanges WHERE name = \(key.exchange) FOR SHARE", logger: logger).decode(Int.self) {
                exists = true
            }
            guard exists else { throw BankError.exchangeNotFound(key.exchange) }
            var new = false
            for try await _ in try await c.query("""
                INSERT INTO exchange_feedback (exchange, signal_type, signal_value, entry, outcome, state, not_before, attempts, created_at, record_key)
                SELECT \(key.exchange), t, v, e, \(key.outcome.rawValue), 'pending', \(now.timeIntervalSinceReferenceDate), 0, \(Date()),
                       \(unescaped: Self.recordKeySQL("t", "v", "e"))
                FROM (VALUES (\(keys.types[0]), \(keys.values[0]), \(keys.entries[0]))) AS k(t, v, e)
                ON CONFLICT (exchange, record_key, outcome) DO NOTHING RETURNING 1
                """, logger: logger).decode(Int.self) {
                new = true
            }
            return new
        }
    }

    /// Up to `limit` pending items due at `now`, oldest first.
    public func due(now: Date, limit: Int) async throws -> [FeedbackItem] {
        try await transaction(writing: false) { c, logger in
            try await Self.feedbackItems(try await c.query("""
                SELECT \(unescaped: Self.feedbackColumns) FROM exchange_feedback
                WHERE state = 'pending' AND not_before <= \(now.timeIntervalSinceReferenceDate) ORDER BY id LIMIT \(Int64(max(0, limit)))
                """, logger: logger))
        }
    }

    /// Records the outcome of one try and clears its in-doubt mark (`sent_at`), counting the try unless
    /// `markSending` did; a delivered item stays delivered.
    public func record(_ key: FeedbackItem.Key, state: FeedbackItem.State, error: ExchangeError.Code?) async throws {
        let keys = RecordKeys([key.record])
        var name = "pending", notBefore: Double?, deliveredAt: Double?, failure: String?
        switch state {
        case .pending(let date): notBefore = date.timeIntervalSinceReferenceDate
        case .delivered(let date): name = "delivered"; deliveredAt = date.timeIntervalSinceReferenceDate
        case .failed(let code): name = "failed"; failure = code.rawValue
        }
        try await transaction { [name, notBefore, deliveredAt, failure] c, logger in
            _ = try await c.query("""
                UPDATE exchange_feedback f SET state = \(name), not_before = \(notBefore), delivered_at = \(deliveredAt), failure = \(failure),
                    attempts = f.attempts + (CASE WHEN f.sent_at IS NULL THEN 1 ELSE 0 END), last_error = \(error?.rawValue), sent_at = NULL
                FROM (VALUES (\(keys.types[0]), \(keys.values[0]), \(keys.entries[0]))) AS k(t, v, e)
                WHERE f.exchange = \(key.exchange) AND f.record_key = \(unescaped: Self.recordKeySQL("k.t", "k.v", "k.e"))
                  AND f.outcome = \(key.outcome.rawValue) AND f.state <> 'delivered'
                """, logger: logger)
        }
    }

    /// Every item, in the order they were queued.
    public func items() async throws -> [FeedbackItem] {
        try await transaction(writing: false, deadline: .connection) { c, logger in
            try await Self.feedbackItems(try await c.query("SELECT \(unescaped: Self.feedbackColumns) FROM exchange_feedback ORDER BY id", logger: logger))
        }
    }

    /// Marks a try beginning at `at` (`sent_at`, one more try, due again at `recheckAt`), committed before the
    /// request leaves, if the item is pending with exactly `attempts` tries (so two replicas never send it at
    /// once); returns whether it did.
    public func markSending(_ key: FeedbackItem.Key, attempts: Int, at: Date, recheckAt: Date) async throws -> Bool {
        let keys = RecordKeys([key.record])
        return try await transaction { c, logger in
            var marked = false
            for try await _ in try await c.query("""
                UPDATE exchange_feedback f SET sent_at = \(at.timeIntervalSinceReferenceDate), not_before = \(recheckAt.timeIntervalSinceReferenceDate),
                    attempts = f.attempts + 1
                FROM (VALUES (\(keys.types[0]), \(keys.values[0]), \(keys.entries[0]))) AS k(t, v, e)
                WHERE f.exchange = \(key.exchange) AND f.record_key = \(unescaped: Self.recordKeySQL("k.t", "k.v", "k.e"))
                  AND f.outcome = \(key.outcome.rawValue) AND f.state = 'pending' AND f.attempts = \(Int32(clamping: attempts))
                RETURNING 1
                """, logger: logger).decode(Int.self) {
                marked = true
            }
            return marked
        }
    }

    /// Moves a pending item's due time, keeping `sent_at` and its tries.
    public func postpone(_ key: FeedbackItem.Key, until notBefore: Date) async throws {
        let keys = RecordKeys([key.record])
        try await transaction { c, logger in
            _ = try await c.query("""
                UPDATE exchange_feedback f SET not_before = \(notBefore.timeIntervalSinceReferenceDate)
                FROM (VALUES (\(keys.types[0]), \(keys.values[0]), \(keys.entries[0]))) AS k(t, v, e)
                WHERE f.exchange = \(key.exchange) AND f.record_key = \(unescaped: Self.recordKeySQL("k.t", "k.v", "k.e"))
                  AND f.outcome = \(key.outcome.rawValue) AND f.state = 'pending'
                """, logger: logger)
        }
    }

    /// The current record `id` of `exchange`, or nil: one look-up through the unique record key.
    /// - Warning: returns an imported hash value; never log or serve it.
    public func record(_ id: ExchangeRecord.ID, exchange: String) async throws -> ExchangeRecord? {
        let keys = RecordKeys([id])
        let rows = try await transaction(writing: false) { c, logger in
            try await StoredRecordRow.rows(try await c.query("""
                SELECT \(unescaped: StoredRecordRow.columns)
                FROM exchange_records r, (VALUES (\(keys.types[0]), \(keys.values[0]), \(keys.entries[0]))) AS k(t, v, e)
                WHERE r.exchange = \(exchange) AND r.record_key = \(unescaped: Self.recordKeySQL("k.t", "k.v", "k.e"))
                """, logger: logger))
        }
        return try rows.first?.record()
    }

    static let feedbackColumns = "exchange, signal_type, signal_value, entry, outcome, state, not_before, delivered_at, failure, attempts, last_error, sent_at"

    static func feedbackItems(_ rows: PostgresRowSequence) async throws -> [FeedbackItem] {
        var items: [FeedbackItem] = []
        for try await (exchange, type, value, entryText, outcomeName, stateName, notBefore, deliveredAt, failure, attempts, lastError, sentAt) in rows.decode(
            (String, String, String, String, String, String, Double?, Double?, String?, Int32, String?, Double?).self) {
            let entry = entryText.isEmpty ? nil : RecordKeys.entry(entryText)
            guard let outcome = ExchangeFeedbackOutcome(rawValue: outcomeName), entryText.isEmpty || entry != nil else {
                throw BankError(.storeCorrupt, "A stored feedback item cannot be read; the bank was written by a newer nccmatch, or is damaged.")
            }
            let key = FeedbackItem.Key(exchange: exchange, record: .init(signalType: ExchangeSignalType(name: type), signalValue: value, entry: entry),
                                       outcome: outcome)
            var item = FeedbackItem(key: key, now: Date(timeIntervalSinceReferenceDate: notBefore ?? 0))
            switch stateName {
            case "delivered": item.state = .delivered(at: Date(timeIntervalSinceReferenceDate: deliveredAt ?? 0))
            case "failed": item.state = .failed(failure.flatMap(ExchangeError.Code.init(rawValue:)) ?? .unexpectedStatus)
            default: break
            }
            item.attempts = Int(attempts)
            item.lastError = lastError.flatMap(ExchangeError.Code.init(rawValue:))
            item.inDoubtSince = sentAt.map(Date.init(timeIntervalSinceReferenceDate:))
            items.append(item)
        }
        return items
    }
}
