import Foundation
import Logging
import NCCBank
import NCCExchange

/// Starts `serve`'s two exchange loops (`ExchangeFetchLoop`, `FeedbackDeliveryLoop`) on a store that holds
/// exchanges, unless the operator turned them off (`serve --no-exchange-fetch`).
///
/// On a PostgreSQL bank shared by several replicas, exactly one replica should run the loops: the others are
/// started with `--no-exchange-fetch`. Two fetching replicas store the same pages twice (harmless: records replace
/// by id and each page's checkpoint is written with it), but two delivering replicas could send one feedback
/// twice. The store contract offers no cross-replica lock, so this is the operator's choice (docs/exchanges.md).
enum ExchangeLoops {
    /// Runs both loops until the task is cancelled. Call once the indexes are loaded.
    static func run(service: BankService, store: any ExchangeBankStore, shared: Bool, logger: Logger) async {
        let environment = ProcessInfo.processInfo.environment
        if shared {
            logger.notice("exchange fetch and feedback loops run on this replica; run them on one replica only (--no-exchange-fetch on the others)")
        }
        let fetch = ExchangeFetchLoop(store: store, environment: environment, metrics: service.metrics, logger: logger,
                                      matchingBusy: { service.matchActivity.isBusy() }) {
            // The page's hashes (and withdrawals) reach the indexes at once, not at the next second's poll.
            await service.refreshImported()
        }
        let delivery = FeedbackDeliveryLoop(store: store, environment: environment, metrics: service.metrics, logger: logger)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await fetch.run() }
            group.addTask { await delivery.run() }
            await group.waitForAll()
        }
    }
}
