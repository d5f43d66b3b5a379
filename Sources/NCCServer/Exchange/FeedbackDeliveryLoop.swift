import Foundation
import Logging
import NCCBank
import NCCExchange

/// `serve`'s feedback delivery loop: sends the outbox's due items to their exchanges, one at a time, in its own
/// task so matching never waits for it.
///
/// Each tick takes the due items (`FeedbackOutbox.due`), sends each with its exchange's sender and records the
/// outcome (`FeedbackOutbox.record`): delivered once the exchange accepted it (or when there is nothing to send:
/// NCMEC has no vote for pending review, a file exchange takes no feedback); a transient failure waits
/// `retryDelay` doubling per try up to `maxDelay`, for at most `maxAttempts` tries; a permanent refusal (wrong keys,
/// an unknown entry) fails the item for good with its code, as `nccmatch exchange feedback` shows. An exchange whose
/// credentials are missing from the environment keeps its items pending (tried again with the same doubling
/// waits), so setting the variable and restarting the server delivers them. Log lines and metrics carry exchange
/// names, counts and codes only.
///
/// A try is marked in the store before its request leaves. An item still marked when found (this or another
/// process died during its request) or whose request ended without an answer is in doubt: for StopNCII with a
/// feedback source it is settled from the exchange's record (`FeedbackSettlement`: delivered without sending when
/// the record shows our feedback, `nccmatch_feedback_settled_total{as="delivered"}`; sent again once the feed was
/// read past the try, or after three fetch intervals); for other exchanges it is sent again.
struct FeedbackDeliveryLoop: Sendable {
    /// The store holding the outbox and the exchanges' settings.
    let store: any ExchangeBankStore
    /// Where credentials are read from (the process's environment).
    let environment: [String: String]
    let metrics: ServiceMetrics
    let logger: Logger
    /// How often due items are looked for.
    var tick: Duration = .seconds(1)
    /// Items taken per look.
    var batch = 100
    /// The first wait after a transient failure, in seconds.
    var retryDelay: TimeInterval = 30
    /// The longest wait between tries, in seconds.
    var maxDelay: TimeInterval = 6 * 3_600
    /// Tries before an item fails for good.
    var maxAttempts = 20
    /// Ticks between refreshes of the pending gauge (it reads every item).
    var gaugeEvery = 10

    /// Runs until the task is cancelled.
    func run() async {
        var senders: [String: (settings: ExchangeSettings, sender: Result<(any FeedbackSender)?, ExchangeConnectionError>)] = [:]
        var ticks = 0
        var gaugeNames: Set<String> = []
        var storeFailures = 0
        while !Task.isCancelled {
            do {
                let exchanges = Dictionary(try await store.exchanges().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
                senders = senders.filter { exchanges[$0.key] == $0.value.settings }
                var more = true
                var warned: Set<String> = []
                while more, !Task.isCancelled {
                    let due = try await store.due(now: Date(), limit: batch)
                    more = due.count == batch
                    for item in due {
                        if Task.isCancelled { return }
                        guard let exchange = exchanges[item.key.exchange] else {
                            try await store.record(item.key, state: .failed(.misconfigured), error: .misconfigured)
                            continue
                        }
                        if senders[exchange.name] == nil {
                            senders[exchange.name] = (exchange, Result { () throws(ExchangeConnectionError) in try exchange.makeFeedbackSender(environment: environment) })
                        }
                        let sender = senders[exchange.name]!.sender
                        if case .failure(let error) = sender, warned.insert(exchange.name).inserted {
                            // Once per exchange and pass, not once per item.
                            logger.warning("feedback not sent: the exchange's configuration is incomplete", metadata: [
                                "exchange": "\(exchange.name)", "code": "\(error.code.rawValue)", "variable": "\(error.variable ?? "-")"])
                        }
                        try await deliver(item, via: sender, exchanges: exchanges)
                    }
                }
                if ticks % gaugeEvery == 0 { gaugeNames = try await updateGauge(exchanges: Set(exchanges.keys), previous: gaugeNames) }
                storeFailures = 0
            } catch {
                // Once when the store goes away (a PostgreSQL outage), then once a minute.
                storeFailures += 1
                if storeFailures % 60 == 1 {
                    logger.error("feedback delivery paused: the store failed", metadata: ["code": "\(ExchangeFetchLoop.code(of: error))", "failures": "\(storeFailures)"])
                }
            }
            ticks += 1
            try? await Task.sleep(for: tick)
        }
    }

    /// One try of one item, recorded in the outbox (`FeedbackDelivery.attempt`: an item in doubt is settled from
    /// the exchange's record first; a try is marked before its request leaves).
    func deliver(_ item: FeedbackItem, via sender: Result<(any FeedbackSender)?, ExchangeConnectionError>,
                 exchanges: [String: ExchangeSettings]) async throws {
        let now = Date()
        let exchange = item.key.exchange
        let delivery = FeedbackDelivery(outbox: store, senders: [:], exchanges: exchanges, records: store,
                                        retryDelay: retryDelay, maxDelay: maxDelay, maxAttempts: maxAttempts)
        switch sender {
        case .failure:
            let later = now.addingTimeInterval(delivery.wait(afterAttempts: item.attempts))
            if item.inDoubtSince != nil {
                // Kept in doubt (its mark is what settles it once the credentials are back), due again later.
                try await store.postpone(item.key, until: later)
            } else {
                try await store.record(item.key, state: .pending(notBefore: later), error: .misconfigured)
            }
        case .success(nil):
            // A file exchange: there is no one to send feedback to.
            try await store.record(item.key, state: .delivered(at: now), error: nil)
        case .success(let sender?):
            switch try await delivery.attempt(item, with: sender, now: now) {
            case .delivered(let sent):
                if sent == .accepted { metrics.add("nccmatch_feedback_delivered_total{exchange=\"\(exchange)\"}") }
            case .settled:
                metrics.add("nccmatch_feedback_settled_total{exchange=\"\(exchange)\",as=\"delivered\"}")
                logger.notice("feedback in doubt found in the exchange's record: delivered, not sent again", metadata: ["exchange": "\(exchange)"])
            case .waiting, .taken:
                break
            case .inDoubt(let code):
                metrics.add("nccmatch_feedback_in_doubt_total{exchange=\"\(exchange)\",code=\"\(code.rawValue)\"}")
                logger.notice("feedback sent without an answer: to be settled from the exchange's feed", metadata: [
                    "exchange": "\(exchange)", "code": "\(code.rawValue)", "attempts": "\(item.attempts + 1)"])
            case .retrying(let code):
                metrics.add("nccmatch_feedback_retried_total{exchange=\"\(exchange)\",code=\"\(code.rawValue)\"}")
                logger.notice("feedback to be tried again", metadata: ["exchange": "\(exchange)", "code": "\(code.rawValue)", "attempts": "\(item.attempts + 1)"])
            case .failed(let code):
                metrics.add("nccmatch_feedback_failed_total{exchange=\"\(exchange)\",code=\"\(code.rawValue)\"}")
                logger.error("feedback refused for good", metadata: ["exchange": "\(exchange)", "code": "\(code.rawValue)", "attempts": "\(item.attempts + 1)"])
            }
        }
    }

    /// Sets `nccmatch_feedback_pending{exchange=}` for each exchange (0 for those with none, and for exchanges gone
    /// since the last refresh); returns the names set.
    private func updateGauge(exchanges: Set<String>, previous: Set<String>) async throws -> Set<String> {
        var pending: [String: Int] = [:]
        for name in exchanges.union(previous) { pending[name] = 0 }
        for item in try await store.items() {
            if case .pending = item.state { pending[item.key.exchange, default: 0] += 1 }
        }
        for (name, count) in pending { metrics.set("nccmatch_feedback_pending{exchange=\"\(name)\"}", count) }
        return exchanges
    }
}
