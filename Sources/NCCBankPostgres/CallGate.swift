import PostgresNIO
import Synchronization

/// One database call's outcome: the first of its result and its deadline wins (`PostgresBankStore.Deadline`).
final class CallGate<T: Sendable>: Sendable {
    /// Where the call is.
    enum Phase { case waiting, running, committing, done }
    /// What the deadline did.
    enum Expiry { case failed, committing, unaffected }

    private struct State: Sendable {
        var continuation: CheckedContinuation<T, any Error>?
        var timer: Task<Void, Never>?
        var connection: PostgresConnection?
        var phase = Phase.waiting

        /// Ends the call: hands back what must be closed and resumed, outside the lock.
        mutating func end() -> (CheckedContinuation<T, any Error>?, Task<Void, Never>?, PostgresConnection?) {
            phase = .done
            defer { continuation = nil; timer = nil; connection = nil }
            return (continuation, timer, connection)
        }
    }

    private let bounded: Bool
    private let state = Mutex(State())

    /// A gate whose deadline covers the whole call (`bounded`) or only getting a connection.
    init(bounded: Bool) { self.bounded = bounded }

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    func setTimer(_ task: Task<Void, Never>) {
        let finished = state.withLock { state in
            if state.phase == .done { return true }
            state.timer = task
            return false
        }
        if finished { task.cancel() }
    }

    /// The call holds `connection`; throws when its deadline already passed (then it must not start).
    func begin(_ connection: PostgresConnection?) throws {
        try state.withLock { state in
            guard state.phase == .waiting else { throw CancellationError() }
            state.phase = .running
            state.connection = connection
        }
    }

    /// The call is about to send `COMMIT`; throws when its deadline already passed (then it must roll back).
    func commit() throws {
        try state.withLock { state in
            guard state.phase == .running else { throw CancellationError() }
            state.phase = .committing
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let ended = state.withLock { state in state.phase == .done ? nil : state.end() }
        guard let (continuation, timer, _) = ended else { return }
        timer?.cancel()
        continuation?.resume(with: result)
    }

    /// The deadline passed: fails the call unless it finished, or (unbounded) holds a connection, or is
    /// committing. A running transaction's connection is closed, so the server rolls it back at once.
    func expire(_ error: any Error) -> Expiry {
        let bounded = self.bounded
        let (expiry, ended) = state.withLock { state -> (Expiry, (CheckedContinuation<T, any Error>?, Task<Void, Never>?, PostgresConnection?)?) in
            if state.phase == .done || (state.phase != .waiting && !bounded) { return (.unaffected, nil) }
            if state.phase == .committing { return (.committing, nil) }
            return (.failed, state.end())
        }
        if let (continuation, _, connection) = ended { fail(continuation, connection, error) }
        return expiry
    }

    /// The grace for a `COMMIT` already sent passed: fails the call (outcome unknown) unless it finished.
    func expireCommit(_ error: any Error) -> Bool {
        let ended = state.withLock { state in state.phase == .committing ? state.end() : nil }
        guard let (continuation, _, connection) = ended else { return false }
        fail(continuation, connection, error)
        return true
    }

    /// Closes the call's connection (the server rolls back what was not committed) and resumes the waiter.
    /// The timer is left running: it is the caller of `expire`, or has ended.
    private func fail(_ continuation: CheckedContinuation<T, any Error>?, _ connection: PostgresConnection?, _ error: any Error) {
        if let connection { connection.close().whenComplete { _ in } }
        continuation?.resume(throwing: error)
    }
}
