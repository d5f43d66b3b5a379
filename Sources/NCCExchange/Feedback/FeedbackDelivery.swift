import Foundation

/// Sends what an outbox holds: each due item to its exchange's sender, marked delivered only once accepted,
/// tried again with a growing wait after a transient failure, failed for good after a permanent one.
///
/// Each try is marked in the outbox before its request leaves (`FeedbackOutbox.markSending`); an item found
/// still marked (the process died during the request) or whose request ended without an answer (a time-out, a
/// reset connection) is in doubt, and is settled from the exchange's record (`FeedbackSettlement`) before it is
/// sent again. With StopNCII and `ExchangeSettings.feedbackSource` set, each item thus reaches the exchange
/// exactly once, across crashes too; otherwise at least once.
public struct FeedbackDelivery: Sendable {
    /// What one pass did.
    public struct Report: Sendable, Hashable {
        /// Accepted by the exchange (or with nothing to send), or settled as delivered from its record.
        public var delivered = 0
        /// Of `delivered`: in doubt, and found in the exchange's record, so not sent again.
        public var settled = 0
        /// To be tried again, or left in doubt for the exchange's feed to settle.
        public var retrying = 0
        /// Failed for good.
        public var failed = 0
    }

    /// What one try of one item came to.
    public enum Outcome: Sendable, Hashable {
        /// Accepted by the exchange (`.accepted`) or nothing to send (`.notApplicable`); marked delivered.
        case delivered(FeedbackSendResult)
        /// In doubt, and the exchange's record shows our feedback: marked delivered, nothing sent.
        case settled
        /// In doubt, waiting for the exchange's feed to show whether it holds it; nothing sent.
        case waiting
        /// Sent, and the request ended without an answer (`code`): left in doubt, to be settled.
        case inDoubt(ExchangeError.Code)
        /// A transient failure: pending again after a wait.
        case retrying(ExchangeError.Code)
        /// Failed for good.
        case failed(ExchangeError.Code)
        /// Another deliverer (another replica) marked or settled it first; nothing done.
        case taken
    }

    /// The outbox.
    public var outbox: any FeedbackOutbox
    /// A sender per exchange name.
    public var senders: [String: any FeedbackSender]
    /// The exchanges' settings by name, for settling items in doubt (`FeedbackSettlement.canSettle`).
    public var exchanges: [String: ExchangeSettings]
    /// Where the exchanges' records and checkpoints are read to settle items in doubt; nil sends them again.
    public var records: (any ExchangeRecordStore)?
    /// The settlement rule.
    public var settlement: FeedbackSettlement
    /// The first wait after a transient failure, in seconds, doubling per try up to `maxDelay`.
    public var retryDelay: TimeInterval
    /// The longest wait between tries, in seconds.
    public var maxDelay: TimeInterval
    /// Tries before an item fails for good (transient failures and unanswered requests included).
    public var maxAttempts: Int

    /// Makes a delivery.
    public init(outbox: any FeedbackOutbox, senders: [String: any FeedbackSender], exchanges: [String: ExchangeSettings] = [:],
                records: (any ExchangeRecordStore)? = nil, settlement: FeedbackSettlement = FeedbackSettlement(),
                retryDelay: TimeInterval = 30, maxDelay: TimeInterval = 6 * 3_600, maxAttempts: Int = 20) {
        self.outbox = outbox
        self.senders = senders
        self.exchanges = exchanges
        self.records = records
        self.settlement = settlement
        self.retryDelay = retryDelay
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
    }

    /// Sends up to `limit` due items, one at a time.
    public func deliverDue(now: Date = Date(), limit: Int = 1_000) async throws -> Report {
        var report = Report()
        for item in try await outbox.due(now: now, limit: limit) {
            if Task.isCancelled { break }
            guard let sender = senders[item.key.exchange] else {
                try await outbox.record(item.key, state: .failed(.misconfigured), error: .misconfigured)
                report.failed += 1
                continue
            }
            switch try await attempt(item, with: sender, now: now) {
            case .delivered: report.delivered += 1
            case .settled:
                report.delivered += 1
                report.settled += 1
            case .waiting, .inDoubt, .retrying: report.retrying += 1
            case .failed: report.failed += 1
            case .taken: break
            }
        }
        return report
    }

    /// The wait before try `attempts + 1` after a transient failure.
    public func wait(afterAttempts attempts: Int) -> TimeInterval {
        min(maxDelay, retryDelay * pow(2, Double(attempts)))
    }

    /// One try of `item` (as read from `due`), recorded in the outbox: an item in doubt is settled first; then
    /// the try is marked, sent, and its outcome recorded.
    public func attempt(_ item: FeedbackItem, with sender: any FeedbackSender, now: Date = Date()) async throws -> Outcome {
        let settings = exchanges[item.key.exchange]
        if item.inDoubtSince != nil, let records {
            switch try await settlement.decide(item, settings: settings, store: records, now: now) {
            case .delivered:
                try await outbox.record(item.key, state: .delivered(at: now), error: nil)
                return .settled
            case .wait(let until):
                try await outbox.postpone(item.key, until: until)
                return .waiting
            case .send:
                break
            }
        }
        // The mark holds the real start (not `now`, which may be a pass's start): the settlement compares it
        // with the exchange's clock.
        let started = Date()
        guard try await outbox.markSending(item.key, attempts: item.attempts, at: started,
                                           recheckAt: started.addingTimeInterval(settlement.answerWindow)) else { return .taken }
        let sent: Result<FeedbackSendResult, ExchangeError>
        do throws(ExchangeError) {
            sent = .success(try await sender.send(item.key))
        } catch {
            sent = .failure(error)
        }
        let failure: ExchangeError
        switch sent {
        case .success(let result):
            try await outbox.record(item.key, state: .delivered(at: now), error: nil)
            return .delivered(result)
        case .failure(let error):
            failure = error
        }
        let tries = item.attempts + 1
        // No answer: the exchange may hold it. Left marked (due again at `recheckAt`) for the settlement.
        if Self.unanswered(failure.code), records != nil, FeedbackSettlement.canSettle(settings), tries < maxAttempts {
            return .inDoubt(failure.code)
        }
        if failure.isTransient, tries < maxAttempts {
            try await outbox.record(item.key, state: .pending(notBefore: now.addingTimeInterval(wait(afterAttempts: item.attempts))), error: failure.code)
            return .retrying(failure.code)
        }
        try await outbox.record(item.key, state: .failed(failure.code), error: failure.code)
        return .failed(failure.code)
    }

    /// Whether a failure may have reached the exchange without its answer reaching us (a time-out, a connection
    /// lost), rather than a definite answer.
    public static func unanswered(_ code: ExchangeError.Code) -> Bool {
        code == .timedOut || code == .unreachable
    }
}
