import Foundation

/// Token buckets keyed by a string (a platform's key prefix, a case id).
///
/// Each bucket holds up to `capacity` tokens and gains `ratePerSecond` per second. Taking more than it
/// holds is refused with the whole seconds to wait.
final class RateLimiter: @unchecked Sendable {
    // `buckets` is only touched with `lock` held.
    private let lock = NSLock()
    private var buckets: [String: (tokens: Double, updated: Double)] = [:]
    /// Largest number of tokens a bucket holds (the burst).
    let capacity: Double
    /// Tokens gained per second.
    let ratePerSecond: Double

    init(capacity: Double, ratePerSecond: Double) {
        self.capacity = capacity
        self.ratePerSecond = ratePerSecond
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    private func refill(_ key: String, at now: Double) -> Double {
        guard let bucket = buckets[key] else { return capacity }
        return min(capacity, bucket.tokens + (now - bucket.updated) * ratePerSecond)
    }

    /// Takes `cost` tokens; nil when taken, else seconds to wait (at least 1). A cost above the capacity
    /// is refused with the time to fill the bucket.
    func take(_ key: String, cost: Double = 1) -> Int? {
        lock.lock(); defer { lock.unlock() }
        let now = Self.now()
        let tokens = refill(key, at: now)
        if tokens >= cost {
            buckets[key] = (tokens - cost, now)
            if buckets.count > 100_000 { prune(now) }
            return nil
        }
        buckets[key] = (tokens, now)
        return max(1, Int(((min(cost, capacity) - tokens) / ratePerSecond).rounded(.up)))
    }

    /// Seconds to wait before one token is there; nil when one is there now. Takes nothing.
    func wait(_ key: String) -> Int? {
        lock.lock(); defer { lock.unlock() }
        let tokens = refill(key, at: Self.now())
        return tokens >= 1 ? nil : max(1, Int(((1 - tokens) / ratePerSecond).rounded(.up)))
    }

    /// Gives tokens back (a request refused after taking them).
    func refund(_ key: String, cost: Double) {
        lock.lock(); defer { lock.unlock() }
        if let bucket = buckets[key] { buckets[key] = (min(capacity, bucket.tokens + cost), bucket.updated) }
    }

    /// Drops full buckets so the table stays small.
    private func prune(_ now: Double) {
        buckets = buckets.filter { refill($0.key, at: now) < capacity }
    }
}
