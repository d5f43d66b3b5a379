import Synchronization

/// One request's time for the bank's database: every store call made while this is `current` shares
/// `seconds`, counted from its first call, so a request making several calls while the database is away
/// still answers within them (a withdrawal reads the secret throttle, then the case, then writes).
///
/// Set by the service around each request on a shared bank (`SharedBankStore.callTimeout`); read by the
/// driver, which gives each call the time left, never more than its own timeout.
public final class RequestDeadline: Sendable {
    /// The deadline of the running request, if any.
    @TaskLocal public static var current: RequestDeadline?

    /// Seconds all the request's calls may take together.
    public let seconds: Double
    private let start = Mutex<ContinuousClock.Instant?>(nil)

    /// A deadline `seconds` after the first call.
    public init(seconds: Double) { self.seconds = seconds }

    /// Seconds left (the clock starts at the first call); zero or less once passed.
    public func remaining() -> Double {
        let now = ContinuousClock.now
        let used = start.withLock { start in
            if start == nil { start = now }
            return now - start!
        }
        return seconds - (Double(used.components.seconds) + Double(used.components.attoseconds) / 1e18)
    }
}
