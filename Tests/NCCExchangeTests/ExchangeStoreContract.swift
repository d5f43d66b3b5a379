import Foundation
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
}
