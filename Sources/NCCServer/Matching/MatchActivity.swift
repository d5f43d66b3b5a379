import Synchronization

/// When the service last answered a match request: background work (the exchange fetch loop) reads it to step
/// aside while platforms are matching, so an import never takes their CPU.
final class MatchActivity: Sendable {
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    /// Notes a match request now.
    func note() {
        let now = ContinuousClock.now
        last.withLock { $0 = now }
    }

    /// Whether a match request arrived within `window`.
    func isBusy(within window: Duration = .seconds(1)) -> Bool {
        guard let at = last.withLock({ $0 }) else { return false }
        return ContinuousClock.now - at < window
    }
}
