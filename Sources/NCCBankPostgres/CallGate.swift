import Foundation
import PostgresNIO

/// One database call's outcome: the first of its result and its deadline wins (`PostgresBankStore.Deadline`).
final class CallGate<T: Sendable>: @unchecked Sendable {
    /// Where the call is.
    enum Phase { case waiting, running, committing, done }
    /// What the deadline did.
    enum Expiry { case failed, committing, unaffected }

    private let lock = NSLock()
    private let bounded: Bool
    private var continuation: CheckedContinuation<T, any Error>?
    private var timer: Task<Void, Never>?
    private var connection: PostgresConnection?
    private var phase = Phase.waiting

    /// A gate whose deadline covers the whole call (`bounded`) or only getting a connection.
    init(bounded: Bool) { self.bounded = bounded }

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        lock.lock(); self.continuation = continuation; lock.unlock()
    }

    func setTimer(_ task: Task<Void, Never>) {
        lock.lock()
        if phase == .done { lock.unlock(); task.cancel(); return }
        timer = task
        lock.unlock()
    }

    /// The call holds `connection`; throws when its deadline already passed (then it must not start).
    func begin(_ connection: PostgresConnection?) throws {
        lock.lock(); defer { lock.unlock() }
        guard phase == .waiting else { throw CancellationError() }
        phase = .running
        self.connection = connection
    }

    /// The call is about to send `COMMIT`; throws when its deadline already passed (then it must roll back).
    func commit() throws {
        lock.lock(); defer { lock.unlock() }
        guard phase == .running else { throw CancellationError() }
        phase = .committing
    }

    func finish(_ result: Result<T, any Error>) {
        lock.lock()
        guard phase != .done else { lock.unlock(); return }
        phase = .done
        let continuation = self.continuation, timer = self.timer
        self.continuation = nil
        self.timer = nil
        self.connection = nil
        lock.unlock()
        timer?.cancel()
        continuation?.resume(with: result)
    }

    /// The deadline passed: fails the call unless it finished, or (unbounded) holds a connection, or is
    /// committing. A running transaction's connection is closed, so the server rolls it back at once.
    func expire(_ error: any Error) -> Expiry {
        lock.lock()
        if phase == .done || (phase != .waiting && !bounded) {
            lock.unlock(); return .unaffected
        }
        if phase == .committing {
            lock.unlock(); return .committing
        }
        failLocked(error)
        return .failed
    }

    /// The grace for a `COMMIT` already sent passed: fails the call (outcome unknown) unless it finished.
    func expireCommit(_ error: any Error) -> Bool {
        lock.lock()
        guard phase == .committing else { lock.unlock(); return false }
        failLocked(error)
        return true
    }

    /// Ends the call with `error`: closes its connection (the server rolls back what was not committed)
    /// and resumes the waiter. Called with `lock` held; releases it before closing and resuming.
    private func failLocked(_ error: any Error) {
        phase = .done
        let continuation = self.continuation, connection = self.connection
        self.continuation = nil
        self.connection = nil
        lock.unlock()
        if let connection { connection.close().whenComplete { _ in } }
        continuation?.resume(throwing: error)
    }
}
