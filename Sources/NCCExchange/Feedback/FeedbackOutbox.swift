import Foundation
import Synchronization

/// One feedback to send to an exchange: a platform's outcome on an imported record.
public struct FeedbackItem: Sendable, Hashable, Codable {
    /// Its identity: one item per exchange, record and outcome, so enqueuing it again changes nothing.
    public struct Key: Sendable, Hashable, Codable {
        /// The exchange's name (as in `ExchangeSync.exchange`).
        public var exchange: String
        /// The record the match was against.
        public var record: ExchangeRecord.ID
        /// The outcome.
        public var outcome: ExchangeFeedbackOutcome

        /// Makes a key.
        public init(exchange: String, record: ExchangeRecord.ID, outcome: ExchangeFeedbackOutcome) {
            self.exchange = exchange
            self.record = record
            self.outcome = outcome
        }
    }

    /// Where it stands.
    public enum State: Sendable, Hashable, Codable {
        /// Waiting to be sent (first time or after a transient failure), not before `notBefore`.
        case pending(notBefore: Date)
        /// The exchange accepted it.
        case delivered(at: Date)
        /// The exchange refused it for good (bad keys, unknown entry); the operator sees the code.
        case failed(ExchangeError.Code)
    }

    /// The identity.
    public var key: Key
    /// Where it stands.
    public var state: State
    /// Tries so far.
    public var attempts: Int
    /// The last failure's code, if any.
    public var lastError: ExchangeError.Code?
    /// When the try now under way began, if one is: set durably before the request leaves
    /// (`FeedbackOutbox.markSending`), cleared when its outcome is recorded. An item found pending with it set is
    /// IN DOUBT: the process died during the request, or the request ended without an answer (a time-out, a
    /// reset connection), so the exchange may or may not hold it. `FeedbackSettlement` settles such an item from
    /// the exchange's own record instead of sending it again blindly.
    public var inDoubtSince: Date?

    /// Makes a new pending item.
    public init(key: Key, now: Date) {
        self.key = key
        state = .pending(notBefore: now)
        attempts = 0
    }
}

/// A durable queue of feedback to send. The bank stores implement it; an enqueued item survives a crash.
///
/// A try is bracketed in the store: `markSending` before the request leaves (the item is then in doubt until
/// its outcome is known), `record` once the exchange answered. An item is marked delivered only after the
/// exchange accepted it, or after the exchange's own record showed it holds it (`FeedbackSettlement`), so a crash
/// between the two never loses it; and an item in doubt is settled from the exchange's feed before it is sent
/// again, so a crash does not send it twice either where the exchange shows our feedback (StopNCII with
/// `ExchangeSettings.feedbackSource` set).
public protocol FeedbackOutbox: Sendable {
    /// Queues `key` unless an item with that key exists; returns whether it was new.
    func enqueue(_ key: FeedbackItem.Key, now: Date) async throws -> Bool
    /// Up to `limit` pending items due at `now`, oldest first.
    func due(now: Date, limit: Int) async throws -> [FeedbackItem]
    /// Records the outcome of one try (delivered, pending again, failed) and clears its in-doubt mark; counts a
    /// try (`attempts + 1`) unless `markSending` counted it already. A delivered item stays delivered.
    func record(_ key: FeedbackItem.Key, state: FeedbackItem.State, error: ExchangeError.Code?) async throws
    /// Every item, for the operator's view.
    func items() async throws -> [FeedbackItem]
    /// Marks, durably and before the request leaves, that a try of `key` begins at `at`: the item stays pending
    /// with `inDoubtSince = at`, `attempts + 1`, and is not due again before `recheckAt` (the latest time its
    /// request can still be answered). Only if the item is pending with exactly `attempts` tries, as the caller
    /// read it: returns false, changing nothing, when another deliverer (another replica) marked or settled it
    /// first, so two deliverers never send one item at once.
    /// - Warning: send only after this returned true; `record` the outcome after, or the item stays in doubt.
    func markSending(_ key: FeedbackItem.Key, attempts: Int, at: Date, recheckAt: Date) async throws -> Bool
    /// Moves a pending item's due time to `notBefore`, keeping its in-doubt mark and its tries (an in-doubt item
    /// waiting for the exchange's feed to show it). Changes nothing for an item that is not pending.
    func postpone(_ key: FeedbackItem.Key, until notBefore: Date) async throws
}

/// A `FeedbackOutbox` in memory, for tests and as the reference of the contract.
public final class MemoryFeedbackOutbox: FeedbackOutbox {
    private let queue = Mutex(FeedbackQueue())

    /// An empty outbox.
    public init() {}

    public func enqueue(_ key: FeedbackItem.Key, now: Date) async throws -> Bool {
        queue.withLock { $0.enqueue(key, now: now) }
    }

    public func due(now: Date, limit: Int) async throws -> [FeedbackItem] {
        queue.withLock { $0.due(now: now, limit: limit) }
    }

    public func record(_ key: FeedbackItem.Key, state: FeedbackItem.State, error: ExchangeError.Code?) async throws {
        queue.withLock { $0.record(key, state: state, error: error) }
    }

    public func items() async throws -> [FeedbackItem] {
        queue.withLock { $0.items }
    }

    public func markSending(_ key: FeedbackItem.Key, attempts: Int, at: Date, recheckAt: Date) async throws -> Bool {
        queue.withLock { $0.markSending(key, attempts: attempts, at: at, recheckAt: recheckAt) }
    }

    public func postpone(_ key: FeedbackItem.Key, until notBefore: Date) async throws {
        queue.withLock { $0.postpone(key, until: notBefore) }
    }
}
