import Foundation
import Synchronization

/// Bounds the CPU that slow secret hashing (PBKDF2, about 0.1-0.4 s of a core per call) may take, whoever asks.
///
/// Opening a case and checking a case secret both run PBKDF2, and both are open to anyone. At most
/// `permits` run at once (one core by default, so matching always keeps the others) and at most `queueLimit`
/// wait; a caller beyond that is refused at once with `APIError` `busy` (503, `Retry-After`), costing nothing.
final class SecretWorkGate: Sendable {
    private struct State {
        var running = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    /// Most PBKDF2 runs at once.
    let permits: Int
    /// Most callers waiting for a permit.
    let queueLimit: Int

    /// A gate letting `permits` runs through at once with `queueLimit` callers waiting.
    init(permits: Int, queueLimit: Int) {
        self.permits = max(1, permits)
        self.queueLimit = max(0, queueLimit)
    }

    /// Runs `body` off the cooperative pool once a permit is free; throws `busy` when too many wait already.
    func run<T: Sendable>(_ body: @Sendable @escaping () throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Callers waiting for a permit now (for tests and metrics).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    private func acquire() async throws {
        enum Decision { case go, wait, refuse }
        let decision: Decision = state.withLock { state in
            if state.running < permits { state.running += 1; return .go }
            return state.waiting.count < queueLimit ? .wait : .refuse
        }
        switch decision {
        case .go: return
        case .refuse: throw APIError.busy
        case .wait:
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let queued: Bool = state.withLock { state in
                    // A permit may have been released between the decision and now.
                    if state.running < permits { state.running += 1; return false }
                    state.waiting.append(continuation)
                    return true
                }
                if !queued { continuation.resume() }
            }
        }
    }

    private func release() {
        let next: CheckedContinuation<Void, Never>? = state.withLock { state in
            // The permit passes straight to the first waiter, so `running` stays as it is.
            if !state.waiting.isEmpty { return state.waiting.removeFirst() }
            state.running -= 1
            return nil
        }
        next?.resume()
    }
}
