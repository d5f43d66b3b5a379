import Foundation

/// Sends what an outbox holds: each due item to its exchange's sender, marked delivered only once accepted,
/// tried again with a growing wait after a transient failure, failed for good after a permanent one.
public struct FeedbackDelivery: Sendable {
    /// What one pass did.
    public struct Report: Sendable, Hashable {
        /// Accepted by the exchange (or with nothing to send).
        public var delivered = 0
        /// To be tried again.
        public var retrying = 0
        /// Failed for good.
        public var failed = 0
    }

    /// The outbox.
    public var outbox: any FeedbackOutbox
    /// A sender per exchange name.
    public var senders: [String: any FeedbackSender]
    /// The first wait after a transient failure, in seconds, doubling per try up to `maxDelay`.
    public var retryDelay: TimeInterval
    /// The longest wait between tries, in seconds.
    public var maxDelay: TimeInterval
    /// Tries before an item fails for good (transient failures included).
    public var maxAttempts: Int

    /// Makes a delivery.
    public init(outbox: any FeedbackOutbox, senders: [String: any FeedbackSender], retryDelay: TimeInterval = 30,
                maxDelay: TimeInterval = 6 * 3_600, maxAttempts: Int = 20) {
        self.outbox = outbox
        self.senders = senders
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
            let failure: ExchangeError?
            do throws(ExchangeError) {
                _ = try await sender.send(item.key)
                failure = nil
            } catch {
                failure = error
            }
            guard let failure else {
                try await outbox.record(item.key, state: .delivered(at: now), error: nil)
                report.delivered += 1
                continue
            }
            if failure.isTransient, item.attempts + 1 < maxAttempts {
                let wait = min(maxDelay, retryDelay * pow(2, Double(item.attempts)))
                try await outbox.record(item.key, state: .pending(notBefore: now.addingTimeInterval(wait)), error: failure.code)
                report.retrying += 1
            } else {
                try await outbox.record(item.key, state: .failed(failure.code), error: failure.code)
                report.failed += 1
            }
        }
        return report
    }
}
