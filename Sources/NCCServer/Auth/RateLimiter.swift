import Crypto
import Foundation
import Synchronization

/// Token buckets keyed by a string (a platform's key prefix, a client address, a case id), in bounded memory.
///
/// Each bucket holds up to `capacity` tokens and gains `ratePerSecond` per second. Taking more than it
/// holds is refused with the whole seconds to wait.
///
/// Memory is bounded by design, whatever keys a stranger sends: a key is kept as a 16-byte SHA-256 prefix
/// (never the raw text, which may be 80 KB of path), buckets that have refilled carry no information and are
/// dropped as time passes, and the table never holds more than `maxEntries` buckets (the least recently
/// touched go first).
final class RateLimiter: Sendable {
    /// A fixed-size digest of a key: two words of its SHA-256.
    struct Key: Hashable, Sendable {
        let high: UInt64
        let low: UInt64

        init(_ text: String) {
            let digest = SHA256.hash(data: Array(text.utf8))
            var words: (UInt64, UInt64) = (0, 0)
            digest.withUnsafeBytes { raw in
                words = (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            }
            high = words.0
            low = words.1
        }
    }

    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    private struct State {
        var buckets: [Key: Bucket] = [:]
        var lastPrune: Double = 0
    }

    private let state = Mutex(State())
    /// Largest number of tokens a bucket holds (the burst).
    let capacity: Double
    /// Tokens gained per second.
    let ratePerSecond: Double
    /// Most buckets kept at once.
    let maxEntries: Int
    /// The clock: seconds since an arbitrary start, never going back.
    private let now: @Sendable () -> Double

    /// Buckets of `capacity` tokens refilled at `ratePerSecond`, at most `maxEntries` of them (about 64 bytes each).
    /// - Parameter clock: seconds since an arbitrary start, never decreasing; the system's uptime unless a test
    ///   drives the time itself.
    init(capacity: Double, ratePerSecond: Double, maxEntries: Int = 100_000,
         clock: @escaping @Sendable () -> Double = RateLimiter.uptimeSeconds) {
        self.capacity = capacity
        self.ratePerSecond = ratePerSecond
        self.maxEntries = maxEntries
        self.now = clock
    }

    /// Seconds the system has been up (a monotonic clock): the default clock.
    static func uptimeSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Seconds for an empty bucket to fill: after that an untouched bucket equals a missing one.
    private var fillSeconds: Double { capacity / ratePerSecond }

    private func tokens(_ bucket: Bucket?, at now: Double) -> Double {
        guard let bucket else { return capacity }
        return min(capacity, bucket.tokens + (now - bucket.updated) * ratePerSecond)
    }

    private func waitSeconds(needing cost: Double, having tokens: Double) -> Int {
        max(1, Int(((min(cost, capacity) - tokens) / ratePerSecond).rounded(.up)))
    }

    /// Takes `cost` tokens; nil when taken, else seconds to wait (at least 1). A cost above the capacity
    /// is refused with the time to fill the bucket. Checking and taking are one step, so concurrent
    /// callers can never all pass one check.
    func take(_ key: String, cost: Double = 1) -> Int? {
        let k = Key(key)
        let now = self.now()
        return state.withLock { state in
            let available = tokens(state.buckets[k], at: now)
            defer { prune(&state, now: now) }
            if available >= cost {
                state.buckets[k] = Bucket(tokens: available - cost, updated: now)
                return nil
            }
            return waitSeconds(needing: cost, having: available)
        }
    }

    /// Seconds to wait before one token is there; nil when one is there now. Takes nothing.
    func wait(_ key: String) -> Int? {
        let k = Key(key)
        let now = self.now()
        return state.withLock { state in
            let available = tokens(state.buckets[k], at: now)
            return available >= 1 ? nil : waitSeconds(needing: 1, having: available)
        }
    }

    /// Gives tokens back (a request refused, or a secret that turned out right, after taking them).
    func refund(_ key: String, cost: Double = 1) {
        let k = Key(key)
        let now = self.now()
        state.withLock { state in
            guard let bucket = state.buckets[k] else { return }
            let refilled = min(capacity, tokens(bucket, at: now) + cost)
            state.buckets[k] = refilled >= capacity ? nil : Bucket(tokens: refilled, updated: now)
        }
    }

    /// Number of buckets held (for tests and metrics).
    var entryCount: Int { state.withLock { $0.buckets.count } }

    /// Drops refilled buckets once per fill period (or when the table is full), then the least recently
    /// touched ones while it is still over `maxEntries`.
    private func prune(_ state: inout State, now: Double) {
        let due = now - state.lastPrune >= min(60, fillSeconds)
        guard due || state.buckets.count > maxEntries else { return }
        state.lastPrune = now
        let horizon = fillSeconds
        state.buckets = state.buckets.filter { now - $0.value.updated < horizon && tokens($0.value, at: now) < capacity }
        if state.buckets.count > maxEntries {
            let keep = state.buckets.sorted { $0.value.updated > $1.value.updated }.prefix(maxEntries * 3 / 4)
            state.buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}
