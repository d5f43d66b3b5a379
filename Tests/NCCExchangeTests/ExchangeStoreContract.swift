import Foundation
import NCCBank
import NCCExchange
import NCCTestSupport
import Testing

/// What every `ExchangeRecordStore` and `FeedbackOutbox` must do, as bodies a store's tests call with a fresh store.
/// The in-memory ones run them here; the bank stores run the same bodies when they implement the protocols.
enum ExchangeStoreContract {
    static func pdqRecord(_ index: Int, entry: UpstreamEntry? = nil, status: ExchangeHashStatus = .active) -> ExchangeRecord {
        ExchangeRecord(id: .init(signalType: .imagePDQ, signalValue: FixtureFiles.pdq(index), entry: entry), status: status)
    }

    static func checkpoint() async throws -> ExchangeCheckpoint {
        // A real checkpoint, made by an importer (they are opaque).
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("c.txt").path
        try "pdq \(FixtureFiles.pdq(0))\n".write(toFile: path, atomically: true, encoding: .utf8)
        return try await SignalFileImporter(path: path, format: .localFile).fetchPage(after: nil).checkpoint
    }

    /// Upserts replace by id, removes of absent ids change nothing, entries are replaced whole, exchanges are apart,
    /// and the checkpoint is stored with the changes.
    static func records(_ store: any ExchangeRecordStore) async throws {
        let mark = try await checkpoint()
        #expect(try await store.checkpoint(exchange: "a") == nil)
        var changed = pdqRecord(1)
        changed.caseNumbers = ["case": .active]
        let entry = UpstreamEntry(memberID: 42, entryID: "e1")
        try await store.apply([.upsert(pdqRecord(1)), .upsert(pdqRecord(2)), .upsert(changed), .remove(pdqRecord(3).id),
                               .replaceEntry(entry, [pdqRecord(4, entry: entry), pdqRecord(5, entry: entry)]),
                               .upsert(pdqRecord(1, entry: UpstreamEntry(memberID: 43, entryID: "e2")))],
                              checkpoint: mark, exchange: "a")
        #expect(try await store.checkpoint(exchange: "a") == mark)
        #expect(try await store.checkpoint(exchange: "b") == nil)
        var records = try await store.records(exchange: "a")
        #expect(records.count == 5)
        #expect(records.first { $0.id == changed.id }?.caseNumbers == ["case": .active])

        try await store.apply([.remove(pdqRecord(2).id), .replaceEntry(entry, [pdqRecord(6, entry: entry)])], checkpoint: mark, exchange: "a")
        records = try await store.records(exchange: "a")
        #expect(Set(records.map(\.id)) == [changed.id, pdqRecord(6, entry: entry).id, pdqRecord(1, entry: UpstreamEntry(memberID: 43, entryID: "e2")).id])
        try await store.apply([.replaceEntry(entry, [])], checkpoint: mark, exchange: "a")
        #expect(try await store.records(exchange: "a").count == 2)
        #expect(try await store.records(exchange: "b").isEmpty)
    }

    /// Enqueue once per key, due oldest first and not before their time, delivered and failed items never due again.
    static func outbox(_ outbox: any FeedbackOutbox) async throws {
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        let keys = (0..<3).map { FeedbackItem.Key(exchange: "s", record: pdqRecord($0).id, outcome: .removed) }
        for key in keys { #expect(try await outbox.enqueue(key, now: t0)) }
        #expect(try await outbox.enqueue(keys[0], now: t0) == false)
        #expect(try await outbox.enqueue(.init(exchange: "s", record: keys[0].record, outcome: .notViolating), now: t0))
        #expect(try await outbox.due(now: t0, limit: 2).map(\.key) == [keys[0], keys[1]])
        try await outbox.record(keys[0], state: .delivered(at: t0), error: nil)
        try await outbox.record(keys[1], state: .pending(notBefore: t0.addingTimeInterval(60)), error: .serverError)
        try await outbox.record(keys[2], state: .failed(.unauthorized), error: .unauthorized)
        #expect(try await outbox.due(now: t0, limit: 10).map(\.key.outcome) == [.notViolating])
        #expect(try await outbox.due(now: t0.addingTimeInterval(60), limit: 10).map(\.key) == [keys[1], keys[0].withOutcome(.notViolating)])
        // A late answer cannot reopen a delivered item.
        try await outbox.record(keys[0], state: .pending(notBefore: t0), error: .serverError)
        let items = try await outbox.items()
        #expect(items.first { $0.key == keys[0] }?.state == .delivered(at: t0))
        #expect(items.first { $0.key == keys[1] }.map { ($0.attempts, $0.lastError) } ?? (0, nil) == (1, .serverError))
    }

    /// A try marked before its request leaves: the item stays pending, in doubt since the mark, one more try, not
    /// due before the recheck time, and survives as read by another deliverer; a second mark from the same read
    /// (another replica) is refused; `postpone` keeps the mark; recording the outcome clears it without counting
    /// the try again; a delivered, failed or unknown item is never marked.
    static func inDoubt(_ outbox: any FeedbackOutbox) async throws {
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        let keys = (0..<3).map { FeedbackItem.Key(exchange: "s", record: pdqRecord($0).id, outcome: .removed) }
        for key in keys { #expect(try await outbox.enqueue(key, now: t0)) }
        let read = try await outbox.due(now: t0, limit: 10)
        #expect(read.map(\.inDoubtSince) == [nil, nil, nil])
        let sentAt = t0.addingTimeInterval(1.25)
        #expect(try await outbox.markSending(keys[0], attempts: 0, at: sentAt, recheckAt: sentAt.addingTimeInterval(35)))
        // The same read, by another deliverer: refused.
        #expect(try await outbox.markSending(keys[0], attempts: 0, at: sentAt.addingTimeInterval(1), recheckAt: sentAt.addingTimeInterval(36)) == false)
        #expect(try await outbox.due(now: sentAt, limit: 10).map(\.key) == [keys[1], keys[2]])
        var found = try #require(try await outbox.due(now: sentAt.addingTimeInterval(35), limit: 10).first)
        #expect(found.key == keys[0] && found.inDoubtSince == sentAt && found.attempts == 1 && found.state == .pending(notBefore: sentAt.addingTimeInterval(35)))
        try await outbox.postpone(keys[0], until: sentAt.addingTimeInterval(40))
        #expect(try await outbox.due(now: sentAt.addingTimeInterval(39), limit: 10).map(\.key) == [keys[1], keys[2]])
        found = try #require(try await outbox.due(now: sentAt.addingTimeInterval(40), limit: 1).first)
        #expect(found.inDoubtSince == sentAt && found.attempts == 1)
        // Settled again from this read: a new mark, then the outcome.
        #expect(try await outbox.markSending(keys[0], attempts: 1, at: sentAt.addingTimeInterval(40), recheckAt: sentAt.addingTimeInterval(75)))
        try await outbox.record(keys[0], state: .delivered(at: sentAt.addingTimeInterval(41)), error: nil)
        var items = try await outbox.items()
        #expect(items.first { $0.key == keys[0] }.map { ($0.state, $0.attempts, $0.inDoubtSince) } ?? (.failed(.misconfigured), 0, nil)
                == (.delivered(at: sentAt.addingTimeInterval(41)), 2, nil))
        // A transient failure after a mark: pending again, the mark cleared, the try counted once.
        #expect(try await outbox.markSending(keys[1], attempts: 0, at: sentAt, recheckAt: sentAt.addingTimeInterval(35)))
        try await outbox.record(keys[1], state: .pending(notBefore: sentAt.addingTimeInterval(30)), error: .serverError)
        items = try await outbox.items()
        #expect(items.first { $0.key == keys[1] }.map { ($0.attempts, $0.inDoubtSince, $0.lastError) } ?? (0, sentAt, nil) == (1, nil, .serverError))
        // Never marked: delivered, failed, unknown.
        try await outbox.record(keys[2], state: .failed(.unauthorized), error: .unauthorized)
        #expect(try await outbox.markSending(keys[0], attempts: 2, at: sentAt, recheckAt: sentAt) == false)
        #expect(try await outbox.markSending(keys[2], attempts: 1, at: sentAt, recheckAt: sentAt) == false)
        #expect(try await outbox.markSending(.init(exchange: "s", record: pdqRecord(9).id, outcome: .removed), attempts: 0, at: sentAt, recheckAt: sentAt) == false)
        try await outbox.postpone(keys[0], until: sentAt)
        #expect(try await outbox.items().first { $0.key == keys[0] }?.state == .delivered(at: sentAt.addingTimeInterval(41)))
    }

    /// An exchange's feedback source is stored, changed and removed with its settings; an unusable one is refused
    /// with `bank_invalid` (nothing stored).
    static func feedbackSource(_ store: any ExchangeBankStore) async throws {
        try await store.addBank(BankSettings(name: "fs-bank"))
        try await store.addExchange(ExchangeSettings(name: "fs", kind: .stopNCII, bank: "fs-bank", feedbackSource: "Example Platform"))
        try await store.addExchange(ExchangeSettings(name: "fs-none", kind: .stopNCII, bank: "fs-bank"))
        var byName = Dictionary(uniqueKeysWithValues: try await store.exchanges().map { ($0.name, $0) })
        #expect(byName["fs"]?.feedbackSource == "Example Platform" && byName["fs-none"]?.feedbackSource == nil)
        var changed = try #require(byName["fs-none"])
        changed.feedbackSource = "Другая платформа"
        try await store.updateExchange(changed)
        var removed = try #require(byName["fs"])
        removed.feedbackSource = nil
        try await store.updateExchange(removed)
        byName = Dictionary(uniqueKeysWithValues: try await store.exchanges().map { ($0.name, $0) })
        #expect(byName["fs"]?.feedbackSource == nil && byName["fs-none"]?.feedbackSource == "Другая платформа")
        for bad in ["", "   ", "line\nbreak", String(repeating: "x", count: ExchangeSettings.maxFeedbackSourceLength + 1)] {
            var invalid = changed
            invalid.feedbackSource = bad
            await #expect(throws: BankError.self) { try await store.updateExchange(invalid) }
            await #expect(throws: BankError.self) {
                try await store.addExchange(ExchangeSettings(name: "fs-bad", kind: .stopNCII, bank: "fs-bank", feedbackSource: bad))
            }
        }
        #expect(try await store.exchanges().first { $0.name == "fs-none" }?.feedbackSource == "Другая платформа")
        #expect(try await store.exchanges().contains { $0.name == "fs-bad" } == false)
    }

    /// `record(_:exchange:)` finds a stored record by its id (with its upstream feedback), in its exchange only.
    static func recordLookup(_ store: any ExchangeRecordStore) async throws {
        var record = pdqRecord(1)
        record.feedback = [UpstreamFeedback(source: "Example Platform", value: "Blocked", tags: ["t"])]
        let entry = UpstreamEntry(memberID: 42, entryID: "e1")
        try await store.apply([.upsert(record), .upsert(pdqRecord(2, entry: entry))], checkpoint: try await checkpoint(), exchange: "a")
        #expect(try await store.record(record.id, exchange: "a") == record)
        #expect(try await store.record(pdqRecord(2, entry: entry).id, exchange: "a")?.id.entry == entry)
        #expect(try await store.record(pdqRecord(2).id, exchange: "a") == nil)
        #expect(try await store.record(record.id, exchange: "b") == nil)
        #expect(try await store.record(record.id, exchange: "unknown") == nil)
    }
}

extension FeedbackItem.Key {
    func withOutcome(_ outcome: ExchangeFeedbackOutcome) -> Self { .init(exchange: exchange, record: record, outcome: outcome) }
}

@Suite("Exchange store contract (in memory)")
struct MemoryExchangeStoreContractTests {
    @Test("MemoryExchangeRecordStore keeps the record store contract")
    func records() async throws { try await ExchangeStoreContract.records(MemoryExchangeRecordStore()) }

    @Test("MemoryFeedbackOutbox keeps the outbox contract")
    func outbox() async throws { try await ExchangeStoreContract.outbox(MemoryFeedbackOutbox()) }

    @Test("MemoryFeedbackOutbox marks tries in doubt")
    func inDoubt() async throws { try await ExchangeStoreContract.inDoubt(MemoryFeedbackOutbox()) }

    @Test("MemoryExchangeRecordStore finds a record by its id")
    func recordLookup() async throws { try await ExchangeStoreContract.recordLookup(MemoryExchangeRecordStore()) }

    @Test("MemoryBankStore marks tries in doubt, finds a record by its id, keeps an exchange's feedback source")
    func memoryBankStore() async throws {
        let outboxStore = MemoryBankStore()
        try await outboxStore.addBank(BankSettings(name: "imported"))
        try await outboxStore.addExchange(ExchangeSettings(name: "s", kind: .stopNCII, bank: "imported"))
        try await ExchangeStoreContract.inDoubt(outboxStore)
        let recordStore = MemoryBankStore()
        try await recordStore.addBank(BankSettings(name: "imported"))
        for name in ["a", "b"] { try await recordStore.addExchange(ExchangeSettings(name: name, kind: .stopNCII, bank: "imported")) }
        try await ExchangeStoreContract.recordLookup(recordStore)
        try await ExchangeStoreContract.feedbackSource(MemoryBankStore())
    }
}
