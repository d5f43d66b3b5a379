import Foundation
import Logging
import NCCBank
import NCCExchange
import Synchronization

/// `serve`'s exchange fetch loop: reads each enabled exchange's feed into the store, one exchange at a time, each at
/// its own interval, in its own task so matching never waits for it.
///
/// The exchanges are re-read from the store every tick (about a second), so `nccmatch exchange add`, `set` and
/// `remove` while the server runs take effect on the next tick. A run reads at most `maxPagesPerRun` pages; a feed
/// with more waiting is taken up again at once, after the other exchanges had their turn. Each page is
/// stored with its checkpoint in one store write (`ExchangeSync`), then `pageApplied` is called so the server's
/// indexes follow at once instead of on their next poll. A failed run is tried again after a wait doubling from the
/// exchange's interval up to `maxBackoffSeconds`. Log lines and metrics carry the exchange's name, counts and error
/// codes only: never hash values, credentials or the exchange's answers.
struct ExchangeFetchLoop: Sendable {
    /// The store holding exchanges, records and checkpoints.
    let store: any ExchangeBankStore
    /// Where credentials are read from (the process's environment), by the variable names each exchange gives.
    let environment: [String: String]
    let metrics: ServiceMetrics
    let logger: Logger
    /// Whether platforms are matching just now (`MatchActivity.isBusy`).
    let matchingBusy: @Sendable () -> Bool
    /// Called after each page is stored (the service's `refreshImported()`).
    let pageApplied: @Sendable () async -> Void
    /// The share of time the loop may work while platforms are matching: after each page it rests
    /// `(1 - share) / share` times as long as the page took, so an import costs matching about this share of one
    /// core's time and never competes for the rest. Idle, it runs at full speed.
    var shareWhileMatching = 0.1
    /// The longest rest after one page while platforms are matching.
    var maxRest: Duration = .seconds(1)
    /// How often the exchanges are re-read and due ones fetched.
    var tick: Duration = .seconds(1)
    /// Most pages per run before the other exchanges get their turn (800 records a page on StopNCII).
    var maxPagesPerRun = 100
    /// Longest wait after repeated failures, in seconds.
    var maxBackoffSeconds = 3_600

    /// What one run came to.
    enum RunOutcome: Equatable {
        /// Read to the feed's end (`true`) or stopped at `maxPagesPerRun` with more to read (`false`).
        case fetched(reachedEnd: Bool)
        /// Failed; what was stored before the failure stays stored with its checkpoint.
        case failed
    }

    /// Runs until the task is cancelled.
    func run() async {
        let clock = ContinuousClock()
        var nextRun: [String: ContinuousClock.Instant] = [:]
        var failures: [String: Int] = [:]
        var storeFailures = 0
        while !Task.isCancelled {
            // A feed with more pages waiting goes on without the tick's pause (a first import of a million
            // records is 13 runs of 100 pages); the other exchanges still get their turn between runs.
            var moreWaiting = false
            do {
                let exchanges = try await store.exchanges()
                storeFailures = 0
                let names = Set(exchanges.map(\.name))
                nextRun = nextRun.filter { names.contains($0.key) }
                failures = failures.filter { names.contains($0.key) }
                for exchange in exchanges where exchange.enabled {
                    if Task.isCancelled { return }
                    let started = clock.now
                    if let due = nextRun[exchange.name], due > started { continue }
                    switch await fetch(exchange) {
                    case .fetched(let reachedEnd):
                        failures[exchange.name] = nil
                        nextRun[exchange.name] = reachedEnd ? started + .seconds(exchange.intervalSeconds) : clock.now
                        if !reachedEnd { moreWaiting = true }
                    case .failed:
                        let count = (failures[exchange.name] ?? 0) + 1
                        failures[exchange.name] = count
                        nextRun[exchange.name] = clock.now + .seconds(backoff(interval: exchange.intervalSeconds, failures: count))
                    }
                }
            } catch {
                // Once when the store goes away (a PostgreSQL outage), then once a minute.
                storeFailures += 1
                if storeFailures % 60 == 1 {
                    logger.error("exchanges could not be read", metadata: ["code": "\(Self.code(of: error))", "failures": "\(storeFailures)"])
                }
            }
            if moreWaiting {
                await Task.yield()
            } else {
                try? await Task.sleep(for: tick)
            }
        }
    }

    /// Seconds to wait after `failures` failed runs in a row: the interval, doubling, at most `maxBackoffSeconds`
    /// (never less than the interval).
    func backoff(interval: Int, failures: Int) -> Int {
        let doubled = Double(interval) * pow(2, Double(max(0, failures - 1)))
        return max(interval, Int(min(doubled, Double(maxBackoffSeconds))))
    }

    /// One run of `exchange` from its checkpoint.
    func fetch(_ exchange: ExchangeSettings) async -> RunOutcome {
        let name = exchange.name
        let importer: any ExchangeImporter
        do {
            importer = try exchange.makeImporter(environment: environment)
        } catch {
            logger.error("exchange not fetched: its configuration is incomplete", metadata: [
                "exchange": "\(name)", "code": "\(error.code.rawValue)", "variable": "\(error.variable ?? "-")"])
            metrics.add("nccmatch_exchange_fetch_failures_total{exchange=\"\(name)\",code=\"\(error.code.rawValue)\"}")
            return .failed
        }
        let clock = ContinuousClock()
        let pageStart = Mutex(clock.now)
        let pages = PageAppliedStore(inner: store) { [matchingBusy, shareWhileMatching, maxRest] in
            metrics.add("nccmatch_exchange_pages_total{exchange=\"\(name)\"}")
            await pageApplied()
            // The page's whole cost (fetch, parse, store, index) since the last one ended; rest in proportion while
            // platforms are matching.
            let took = clock.now - pageStart.withLock { $0 }
            if matchingBusy() {
                // At most `maxRest`: under heavy matching a page's wall time is mostly waiting for a core, not
                // work, and resting nine times that would stop the import altogether.
                try? await Task.sleep(for: min(took * ((1 - shareWhileMatching) / shareWhileMatching), maxRest))
            }
            let now = clock.now
            pageStart.withLock { $0 = now }
        }
        let sync = ExchangeSync(exchange: name, importer: importer, store: pages, maxPages: maxPagesPerRun)
        let last = Mutex<ExchangeSync.Report?>(nil)
        do {
            let report = try await sync.run { report in last.withLock { $0 = report } }
            count(report, exchange: name)
            if report.pages > 0 {
                logger.info("exchange fetched", metadata: [
                    "exchange": "\(name)", "pages": "\(report.pages)", "stored": "\(report.upserted)", "removed": "\(report.removed)",
                    "rejected": "\(report.rejections.total)", "end": "\(report.reachedEnd)"])
            }
            return .fetched(reachedEnd: report.reachedEnd)
        } catch {
            if let report = last.withLock({ $0 }) { count(report, exchange: name) }
            let code = Self.code(of: error)
            logger.warning("exchange fetch failed", metadata: ["exchange": "\(name)", "code": "\(code)"])
            metrics.add("nccmatch_exchange_fetch_failures_total{exchange=\"\(name)\",code=\"\(code)\"}")
            return .failed
        }
    }

    private func count(_ report: ExchangeSync.Report, exchange: String) {
        for (reason, n) in report.rejections.counts {
            metrics.add("nccmatch_exchange_records_rejected_total{exchange=\"\(exchange)\",reason=\"\(reason.rawValue)\"}", n)
        }
        if report.upserted > 0 { metrics.add("nccmatch_exchange_records_stored_total{exchange=\"\(exchange)\"}", report.upserted) }
        if report.removed > 0 { metrics.add("nccmatch_exchange_records_removed_total{exchange=\"\(exchange)\"}", report.removed) }
    }

    /// An error's code for logs and metric labels: never its message's values.
    static func code(of error: any Error) -> String {
        switch error {
        case let error as ExchangeError: error.code.rawValue
        case let error as BankError: error.code.rawValue
        case let error as ExchangeConnectionError: error.code.rawValue
        case is CancellationError: "cancelled"
        default: "internal"
        }
    }
}

/// The store as `ExchangeSync` sees it, calling `applied` after each page's changes and checkpoint are stored.
private struct PageAppliedStore: ExchangeRecordStore {
    let inner: any ExchangeBankStore
    let applied: @Sendable () async -> Void

    func checkpoint(exchange: String) async throws -> ExchangeCheckpoint? { try await inner.checkpoint(exchange: exchange) }

    func apply(_ changes: [ExchangeChange], checkpoint: ExchangeCheckpoint, exchange: String) async throws {
        try await inner.apply(changes, checkpoint: checkpoint, exchange: exchange)
        await applied()
    }

    func records(exchange: String) async throws -> [ExchangeRecord] { try await inner.records(exchange: exchange) }
}
