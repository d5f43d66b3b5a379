import Synchronization
import Testing

@testable import NCCServer

/// A clock the test moves by hand, so refills are exact and no test sleeps.
final class DrivenClock: Sendable {
    private let seconds = Mutex(1_000.0)
    /// The current time, in seconds.
    var now: Double { seconds.withLock { $0 } }
    /// Moves the time forward by `delta` seconds.
    func advance(_ delta: Double) { seconds.withLock { $0 += delta } }
    /// The clock as `RateLimiter` reads it.
    var reading: @Sendable () -> Double { { self.now } }
}

@Suite struct RateLimiterTests {
    @Test func aBurstOfCapacityPassesAndTheNextIsToldHowLongToWait() {
        let clock = DrivenClock()
        let limiter = RateLimiter(capacity: 5, ratePerSecond: 0.5, clock: clock.reading)
        for _ in 0..<5 { #expect(limiter.take("client") == nil) }
        // Empty: one token comes back in 2 s.
        #expect(limiter.take("client") == 2)
        // Another key has its own bucket.
        #expect(limiter.take("other") == nil)
    }

    @Test func tokensComeBackAtTheRateAndNeverAboveTheCapacity() {
        let clock = DrivenClock()
        let limiter = RateLimiter(capacity: 2, ratePerSecond: 1, clock: clock.reading)
        #expect(limiter.take("k") == nil)
        #expect(limiter.take("k") == nil)
        #expect(limiter.take("k") == 1)
        clock.advance(0.5)
        #expect(limiter.take("k") == 1, "half a token is not a token; the wait is rounded up to whole seconds")
        clock.advance(0.5)
        #expect(limiter.take("k") == nil, "one token after one second")
        #expect(limiter.take("k") == 1)
        // A long quiet spell refills to the capacity, not beyond it.
        clock.advance(1_000)
        #expect(limiter.take("k") == nil)
        #expect(limiter.take("k") == nil)
        #expect(limiter.take("k") == 1)
    }

    @Test func aCostAboveTheCapacityIsRefusedWithTheTimeToFill() {
        let clock = DrivenClock()
        let limiter = RateLimiter(capacity: 4, ratePerSecond: 2, clock: clock.reading)
        // Never passes, and takes nothing: the wait is the time to fill the bucket (at least 1 s).
        #expect(limiter.take("k", cost: 5) == 1)
        #expect(limiter.entryCount == 0)
        #expect(limiter.take("k", cost: 3) == nil)
        // One token left: two more come in one second at 2 per second.
        #expect(limiter.take("k", cost: 3) == 1)
        // Filling the bucket (3 tokens more) takes 1.5 s, rounded up.
        #expect(limiter.take("k", cost: 5) == 2)
        #expect(limiter.entryCount == 1)
    }

    @Test func waitTakesNothingAndRefundGivesBack() {
        let clock = DrivenClock()
        let limiter = RateLimiter(capacity: 1, ratePerSecond: 0.1, clock: clock.reading)
        #expect(limiter.wait("k") == nil)
        #expect(limiter.wait("k") == nil, "wait only looks")
        #expect(limiter.take("k") == nil)
        #expect(limiter.wait("k") == 10)
        limiter.refund("k")
        #expect(limiter.wait("k") == nil)
        #expect(limiter.entryCount == 0, "a bucket refunded to full carries nothing and is dropped")
        // A refund never goes above the capacity.
        limiter.refund("k", cost: 5)
        #expect(limiter.take("k") == nil)
        #expect(limiter.take("k") == 10)
    }

    @Test func refilledBucketsArePrunedAsTimePasses() {
        let clock = DrivenClock()
        // Fills in 10 s, so buckets untouched for 10 s are dropped at the next prune.
        let limiter = RateLimiter(capacity: 10, ratePerSecond: 1, clock: clock.reading)
        for i in 0..<1_000 { #expect(limiter.take("client-\(i)") == nil) }
        #expect(limiter.entryCount == 1_000)
        clock.advance(5)
        #expect(limiter.take("late", cost: 8) == nil)
        #expect(limiter.entryCount == 1_001, "no prune is due before a fill period (10 s) has passed")
        clock.advance(6)
        #expect(limiter.take("later") == nil)
        // The 1,000 first are full again and dropped; "late" is at 8 of 10 tokens and is kept, with its debt.
        #expect(limiter.entryCount == 2)
        #expect(limiter.take("late", cost: 10) == 2)
    }

    // 10 minutes: catches a deadlock; the parallel suite on 2 cores can starve a test for minutes.
    @Test(.timeLimit(.minutes(10)))
    func atMostAHundredThousandKeysAreHeldAndTheLeastRecentGoFirst() {
        let clock = DrivenClock()
        // A stranger sending fresh keys: the bucket table stays bounded by the default cap of 100,000.
        let limiter = RateLimiter(capacity: 1, ratePerSecond: 1.0 / 3_600, clock: clock.reading)
        #expect(limiter.maxEntries == 100_000)
        for i in 0..<100_000 {
            clock.advance(0.000_001)
            _ = limiter.take("stranger-\(i)")
        }
        #expect(limiter.entryCount == 100_000)
        clock.advance(0.000_001)
        _ = limiter.take("one-too-many")
        #expect(limiter.entryCount <= 100_000)
        #expect(limiter.entryCount >= 75_000, "pruning keeps the three quarters most recently touched")
        // The most recent keys are still throttled; the oldest were forgotten (a full bucket again).
        #expect(limiter.take("one-too-many") != nil)
        #expect(limiter.take("stranger-99999") != nil)
        #expect(limiter.take("stranger-0") == nil)
    }
}
