import Foundation
import NCCExchange
import Synchronization
import NCCTestSupport
import Testing

@Suite("Exchange sync")
struct ExchangeSyncTests {
    /// 6 StopNCII pages of 800, chained by tokens `p1`...`p5`.
    static let pages: [String] = (0..<6).map { page in
        FixtureFiles.stopNCIIPage((0..<800).map { FixtureFiles.stopNCIIRecord(FixtureFiles.pdq(page * 800 + $0)) },
                                  token: page < 5 ? "p\(page + 1)" : nil, more: page < 5, nextSet: 1_700_000_500)
    }

    static func pageIndex(_ request: ReplayRequest) -> Int { request.query["nextPageToken"].flatMap { Int($0.dropFirst()) } ?? 0 }

    @Test("A fetch stopped by a failing exchange resumes from its checkpoint: no page read twice, none lost")
    func restartMidFetch() async throws {
        let failing = Mutex(true)
        let server = try await ReplayServer.start { request in
            let index = Self.pageIndex(request)
            // Page 3 fails (5xx, every retry) until the exchange "recovers".
            if index == 3, failing.withLock({ $0 }) { return .status(503) }
            return .json(Self.pages[index])
        }
        defer { Task { await server.stop() } }
        let store = MemoryExchangeRecordStore()
        let importer = StopNCIIImporterTests.importer(server)
        await #expect(throws: ExchangeError.self) { try await ExchangeSync(exchange: "s", importer: importer, store: store).run() }
        #expect(store.pagesApplied(exchange: "s") == 3)
        #expect(try await store.records(exchange: "s").count == 2_400)
        // The checkpoint survives as JSON (what a bank store keeps), and a new sync, as after a restart, resumes.
        let stored = try #require(try await store.checkpoint(exchange: "s"))
        let decoded = try JSONDecoder().decode(ExchangeCheckpoint.self, from: JSONEncoder().encode(stored))
        #expect(decoded == stored && !decoded.isAtEnd)
        failing.withLock { $0 = false }
        let before = server.requests.count
        let report = try await ExchangeSync(exchange: "s", importer: importer, store: store).run()
        #expect(report.pages == 3 && report.reachedEnd)
        let resumed = server.requests.dropFirst(before).map { Self.pageIndex($0) }
        #expect(resumed == [3, 4, 5])
        let records = try await store.records(exchange: "s")
        #expect(records.count == 4_800 && Set(records.map(\.signalValue)).count == 4_800)
    }

    @Test("A stale page token restarts the run from its start timestamp: replayed records replace, never double")
    func staleToken() async throws {
        let server = try await ReplayServer.start { .json(Self.pages[Self.pageIndex($0)]) }
        defer { Task { await server.stop() } }
        let store = MemoryExchangeRecordStore()
        try await ExchangeSync(exchange: "s", importer: StopNCIIImporterTests.importer(server, now: 1_700_000_000), store: store, maxPages: 2).run()
        let later = StopNCIIImporterTests.importer(server, now: 1_700_000_000 + 7_200)
        let before = server.requests.count
        try await ExchangeSync(exchange: "s", importer: later, store: store).run()
        #expect(server.requests[before].query["nextPageToken"] == nil && server.requests[before].query["startTimestamp"] == "10")
        #expect(try await store.records(exchange: "s").count == 4_800)
    }

    @Test("An importer refuses another importer's checkpoint with a typed error")
    func checkpointMismatch() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("s.txt").path
        try "pdq \(FixtureFiles.pdq(1))\n".write(toFile: path, atomically: true, encoding: .utf8)
        let page = try await SignalFileImporter(path: path, format: .localFile).fetchPage(after: nil)
        let importer = StopNCIIImporter(baseURL: URL(string: "http://127.0.0.1:9")!, fetchFunctionKey: "k", subscriptionKey: "k")
        do {
            _ = try await importer.fetchPage(after: page.checkpoint)
            Issue.record("expected a checkpoint mismatch")
        } catch {
            #expect(error.code == .checkpointMismatch)
        }
    }
}
