import Foundation
import GRDB
import NCCBank
import NCCBankSQLite
import NCCExchange
import NCCTestSupport
import Testing

/// What only the SQLite driver shows of banks and exchanges: a bank from before them migrates at open, and pages
/// of 800 records (StopNCII's page size) go in and come out of the change feed in batches.
@Suite struct SQLiteExchangeBankTests {
    /// The tables schema v3 adds, children first.
    static let exchangeTables = ["quarantine", "feedback_outbox", "imported_match_refs", "imported_tombstones", "exchange_records",
                                 "exchange_checkpoints", "exchanges", "store_version", "banks"]

    @Test func sqliteBankFromBeforeExchangesIsMigrated() async throws {
        try await withStore(.sqlite) { fixture in
            do {
                let store = try await fixture.open()
                _ = try await store.createCase(NewCase(id: "c_old", secret: try StoreContract.secret(), hashes: StoreContract.hashes))
            }
            // The file goes back to schema v2, as a bank written before banks and exchanges.
            let queue = try DatabaseQueue(path: fixture.location + "/" + SQLiteBankStore.fileName)
            try await queue.write { db in
                for table in Self.exchangeTables { try db.execute(sql: "DROP TABLE \(table)") }
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier LIKE 'v3:%' OR identifier LIKE 'v4:%'")
            }
            try queue.close()
            let store = try await ExchangeBankContract.open(fixture)
            #expect(try await store.banks().map(\.name) == [BankSettings.ownBankName])
            #expect(try await store.loadHashes().count == 3)
            try await ExchangeBankContract.addFeed(store, exchange: "s", bank: "stop")
            try await store.apply([.upsert(ExchangeBankContract.record(1))], checkpoint: try await ExchangeBankContract.checkpoint(), exchange: "s")
            let changes = try await store.importedChanges(after: 0, limit: 10)
            #expect(changes.upserted.count == 1 && changes.version == 1)
            // Opening again migrates nothing more and keeps everything.
            let again = try await ExchangeBankContract.open(fixture)
            #expect(try await again.exchangeRecordCount(exchange: "s") == 1)
            #expect(try await again.caseStatus(caseID: "c_old")?.images.count == 2)
        }
    }

    /// Two store objects on one file (as `serve` and `nccmatch exchange fetch` beside it) applying pages at once:
    /// every change gets its own version, and a follower reading meanwhile misses none.
    @Test func twoWritersOnOneFileNeverShareAVersion() async throws {
        try await withStore(.sqlite) { fixture in
            let first = try await ExchangeBankContract.open(fixture)
            let second = try await ExchangeBankContract.open(fixture)
            try await ExchangeBankContract.addFeed(first, exchange: "a", bank: "stop")
            try await ExchangeBankContract.addFeed(second, exchange: "b", bank: "list")
            let mark = try await ExchangeBankContract.checkpoint()
            // The follower reads while the writers write, then catches up from where it stopped: had any change
            // taken a version it had already passed, it would be missing here.
            let follower = Task {
                var version: Int64 = 0
                var seen: Set<Int64> = []
                for _ in 0..<40 {
                    let changes = try await first.importedChanges(after: version, limit: 37)
                    #expect(changes.version >= version)
                    seen.formUnion(changes.upserted.map(\.id))
                    version = changes.version
                    try await Task.sleep(for: .milliseconds(2))
                }
                return (seen, version)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (store, exchange, offset) in [(first, "a", 0), (second, "b", 100_000)] {
                    group.addTask {
                        for page in 0..<20 {
                            let changes = (0..<50).map { ExchangeChange.upsert(ExchangeBankContract.record(offset + page * 50 + $0)) }
                            try await store.apply(changes, checkpoint: mark, exchange: exchange)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let (seen, version) = try await follower.value
            let rest = try await ExchangeBankContract.drain(second, after: version, limit: 333)
            #expect(seen.union(rest.upserted.map(\.id)).count == 2000)
            let all = try await ExchangeBankContract.drain(first, after: 0, limit: 333)
            #expect(all.upserted.count == 2000 && Set(all.upserted.map(\.id)).count == 2000 && all.version == 2000)
        }
    }

    /// Pages of 800 StopNCII-like records, each followed at once through the change feed, as `serve` does; the
    /// page count is `NCCMATCH_EXCHANGE_PAGES` (10 by default; 200 for the measurement in the report). Prints the
    /// time spent in `apply` and in `importedChanges`.
    @Test func pagesOf800AreAppliedAndFollowedInBatches() async throws {
        let pages = Int(ProcessInfo.processInfo.environment["NCCMATCH_EXCHANGE_PAGES"] ?? "") ?? 10
        try await ExchangeBankContract.withExchangeStore(.sqlite) { _, store in
            try await ExchangeBankContract.addFeed(store, exchange: "stopncii", bank: "stop")
            let mark = try await ExchangeBankContract.checkpoint()
            let clock = ContinuousClock()
            var applying = Duration.zero, following = Duration.zero
            var version: Int64 = 0
            var followed = 0
            for page in 0..<pages {
                let changes = (0..<800).map { ExchangeChange.upsert(ExchangeBankContract.record(page * 800 + $0)) }
                applying += try await clock.measure { try await store.apply(changes, checkpoint: mark, exchange: "stopncii") }
                following += try await clock.measure {
                    let next = try await store.importedChanges(after: version, limit: 10_000)
                    followed += next.upserted.count
                    version = next.version
                    #expect(!next.hasMore)
                }
            }
            #expect(followed == pages * 800)
            #expect(try await store.exchangeRecordCount(exchange: "stopncii") == pages * 800)
            // A replayed page changes no count and keeps the ids.
            let replay = (0..<800).map { ExchangeChange.upsert(ExchangeBankContract.record($0)) }
            try await store.apply(replay, checkpoint: mark, exchange: "stopncii")
            let again = try await store.importedChanges(after: version, limit: 10_000)
            #expect(again.upserted.count == 800 && again.upserted.allSatisfy { $0.id <= 800 })
            #expect(try await store.exchangeRecordCount(exchange: "stopncii") == pages * 800)
            print("SQLite exchange pages: \(pages) x 800 records, apply \(applying), importedChanges \(following)")
        }
    }
}
