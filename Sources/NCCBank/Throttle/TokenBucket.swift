/// The arithmetic of a token bucket, written once for every throttle (in memory or in a shared database).
///
/// A bucket holds up to `capacity` tokens and gains `ratePerSecond` tokens per second; each try takes one
/// (or `cost`). A bucket never seen is full.
public struct TokenBucket: Sendable, Hashable {
    /// Most tokens the bucket holds (the burst).
    public var capacity: Double
    /// Tokens gained per second.
    public var ratePerSecond: Double

    /// A bucket shape.
    public init(capacity: Double, ratePerSecond: Double) {
        self.capacity = capacity
        self.ratePerSecond = ratePerSecond
    }

    /// The tokens `seconds` after the bucket held `tokens`: refilled, never above `capacity`.
    public func refilled(_ tokens: Double, after seconds: Double) -> Double {
        min(capacity, tokens + max(0, seconds) * ratePerSecond)
    }

    /// Whole seconds until `cost` tokens (at most `capacity`) are there when the bucket holds `tokens`:
    /// nil when they are there now, else at least 1.
    public func wait(needing cost: Double = 1, having tokens: Double) -> Int? {
        let needed = min(cost, capacity)
        if tokens >= needed { return nil }
        return max(1, Int(((needed - tokens) / ratePerSecond).rounded(.up)))
    }

    /// Seconds after which an untouched bucket is full again, whatever it held: older buckets carry no
    /// information and can be dropped.
    public var secondsToFull: Double { capacity / ratePerSecond }
}
