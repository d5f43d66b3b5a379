import Foundation

/// The feedback outbox's contents as a value: items by key, in the order they were queued. The in-memory
/// outboxes (`MemoryFeedbackOutbox`, and `MemoryBankStore` inside its one lock) keep their queue in one of these,
/// so the outbox rules are written once.
public struct FeedbackQueue: Sendable {
    private var byKey: [FeedbackItem.Key: FeedbackItem] = [:]
    private var order: [FeedbackItem.Key] = []

    /// An empty queue.
    public init() {}

    /// Queues `key` as a new pending item unless an item with that key exists; returns whether it was new.
    public mutating func enqueue(_ key: FeedbackItem.Key, now: Date) -> Bool {
        guard byKey[key] == nil else { return false }
        byKey[key] = FeedbackItem(key: key, now: now)
        order.append(key)
        return true
    }

    /// Up to `limit` pending items due at `now`, oldest first.
    public func due(now: Date, limit: Int) -> [FeedbackItem] {
        var due: [FeedbackItem] = []
        for key in order where due.count < limit {
            if let item = byKey[key], case .pending(let notBefore) = item.state, notBefore <= now { due.append(item) }
        }
        return due
    }

    /// Records one try's outcome and clears the in-doubt mark; counts the try unless `markSending` did. A
    /// delivered item stays delivered (a late duplicate answer cannot reopen it), an unknown key changes nothing.
    public mutating func record(_ key: FeedbackItem.Key, state: FeedbackItem.State, error: ExchangeError.Code?) {
        guard var item = byKey[key] else { return }
        if case .delivered = item.state { return }
        item.state = state
        if item.inDoubtSince == nil { item.attempts += 1 }
        item.inDoubtSince = nil
        item.lastError = error
        byKey[key] = item
    }

    /// Marks a try of `key` beginning at `at` (in doubt since `at`, one more try, due again at `recheckAt`) if the
    /// item is pending with exactly `attempts` tries; returns whether it did.
    public mutating func markSending(_ key: FeedbackItem.Key, attempts: Int, at: Date, recheckAt: Date) -> Bool {
        guard var item = byKey[key], case .pending = item.state, item.attempts == attempts else { return false }
        item.inDoubtSince = at
        item.attempts += 1
        item.state = .pending(notBefore: recheckAt)
        byKey[key] = item
        return true
    }

    /// Moves a pending item's due time, keeping its in-doubt mark and tries.
    public mutating func postpone(_ key: FeedbackItem.Key, until notBefore: Date) {
        guard var item = byKey[key], case .pending = item.state else { return }
        item.state = .pending(notBefore: notBefore)
        byKey[key] = item
    }

    /// Every item, in the order they were queued.
    public var items: [FeedbackItem] { order.compactMap { byKey[$0] } }

    /// Drops the pending items of `exchange` (delivered and failed ones stay visible).
    public mutating func removePending(exchange: String) {
        let pending = Set(byKey.values.filter {
            if case .pending = $0.state { $0.key.exchange == exchange } else { false }
        }.map(\.key))
        guard !pending.isEmpty else { return }
        for key in pending { byKey[key] = nil }
        order.removeAll { pending.contains($0) }
    }
}
