import Synchronization

/// Whether platforms are matching just now: background work (the exchange fetch loop) reads it to step aside, so
/// an import never takes their CPU. Busy means a match request is being answered, or one ended within `settle`
/// (the gap between a client's back-to-back requests); a lone request now and then does not count as load.
final class MatchActivity: Sendable {
    private struct State {
        var inFlight = 0
        var lastEnd: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    /// How long after a request ends matching still counts as busy.
    let settle: Duration

    /// Makes a tracker.
    init(settle: Duration = .milliseconds(100)) {
        self.settle = settle
    }

    /// Notes a match request starting; pair with `end()`.
    func begin() {
        state.withLock { $0.inFlight += 1 }
    }

    /// Notes a match request ending.
    func end() {
        let now = ContinuousClock.now
        state.withLock {
            $0.inFlight -= 1
            $0.lastEnd = now
        }
    }

    /// Whether a match request is being answered or ended within `settle`.
    func isBusy() -> Bool {
        let (inFlight, lastEnd) = state.withLock { ($0.inFlight, $0.lastEnd) }
        if inFlight > 0 { return true }
        guard let lastEnd else { return false }
        return ContinuousClock.now - lastEnd < settle
    }
}
