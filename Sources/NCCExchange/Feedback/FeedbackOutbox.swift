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

    /// Makes a new pending item.
    public init(key: Key, now: Date) {
        self.key = key
        state = .pending(notBefore: now)
        attempts = 0
    }
}

/// A durable queue of feedback to send. The bank stores implement it; an enqueued item survives a crash, and
/// an item is marked delivered only after the exchange accepted it (so a crash between the two sends it again,
/// which StopNCII's and NCMEC's feedback endpoints take as the same feedback).
public protocol FeedbackOutbox: Sendable {
    /// Queues `key` unless an item with that key exists; returns whether it was new.
    func enqueue(_ key: FeedbackItem.Key, now: Date) async throws -> Bool
    /// Up to `limit` pending items due at `now`, oldest first.
    func due(now: Date, limit: Int) async throws -> [FeedbackItem]
    /// Records the outcome of one try.
    func record(_ key: FeedbackItem.Key, state: FeedbackItem.State, error: ExchangeError.Code?) async throws
    /// Every item, for the operator's view.
    func items() async throws -> [FeedbackItem]
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
}
