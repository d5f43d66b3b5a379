import Synchronization

/// An `ExchangeRecordStore` in memory, for tests and as the reference of the store contract.
public final class MemoryExchangeRecordStore: ExchangeRecordStore {
    fileprivate struct Feed {
        var records: [ExchangeRecord.ID: ExchangeRecord] = [:]
        var byEntry: [UpstreamEntry: Set<ExchangeRecord.ID>] = [:]
        var checkpoint: ExchangeCheckpoint?
        var pagesApplied = 0
    }

    private let feeds = Mutex<[String: Feed]>([:])

    /// An empty store.
    public init() {}

    public func checkpoint(exchange: String) async throws -> ExchangeCheckpoint? {
        feeds.withLock { $0[exchange]?.checkpoint }
    }

    public func apply(_ changes: [ExchangeChange], checkpoint: ExchangeCheckpoint, exchange: String) async throws {
        feeds.withLock { feeds in
            var feed = feeds[exchange] ?? Feed()
            for change in changes {
                switch change {
                case .upsert(let record): feed.put(record)
                case .remove(let id): feed.remove(id)
                case .replaceEntry(let entry, let records):
                    for id in feed.byEntry[entry] ?? [] { feed.remove(id) }
                    for record in records { feed.put(record) }
                }
            }
            feed.checkpoint = checkpoint
            feed.pagesApplied += 1
            feeds[exchange] = feed
        }
    }

    public func records(exchange: String) async throws -> [ExchangeRecord] {
        feeds.withLock { Array(($0[exchange]?.records ?? [:]).values) }
    }

    /// Pages applied to `exchange` so far.
    public func pagesApplied(exchange: String) -> Int { feeds.withLock { $0[exchange]?.pagesApplied ?? 0 } }
}

extension MemoryExchangeRecordStore.Feed {
    mutating func put(_ record: ExchangeRecord) {
        records[record.id] = record
        if let entry = record.id.entry { byEntry[entry, default: []].insert(record.id) }
    }

    mutating func remove(_ id: ExchangeRecord.ID) {
        records[id] = nil
        if let entry = id.entry {
            byEntry[entry]?.remove(id)
            if byEntry[entry]?.isEmpty == true { byEntry[entry] = nil }
        }
    }
}
