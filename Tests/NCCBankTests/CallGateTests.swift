import Testing
@testable import NCCBankPostgres

/// The deadline gate of every PostgreSQL call, driven directly: which of a call's result and its deadline
/// wins in each phase, and that a call whose deadline passed is never started or committed.
@Suite struct CallGateTests {
    struct Late: Error {}

    /// Runs `body` with a gate whose continuation is installed, and returns what the waiter received.
    func outcome(bounded: Bool, _ body: @escaping @Sendable (CallGate<Int>) -> Void) async -> Result<Int, any Error> {
        let gate = CallGate<Int>(bounded: bounded)
        do {
            let value: Int = try await withCheckedThrowingContinuation { continuation in
                gate.install(continuation)
                body(gate)
            }
            return .success(value)
        } catch {
            return .failure(error)
        }
    }

    @Test func aCallStillWaitingForAConnectionFailsAtItsDeadlineAndNeverStarts() async throws {
        let result = await outcome(bounded: false) { gate in
            #expect(gate.expire(Late()) == .failed)
            #expect(throws: CancellationError.self) { try gate.begin(nil) }
            gate.finish(.success(1))  // too late: the waiter already has its answer
        }
        #expect(throws: Late.self) { try result.get() }
    }

    @Test func anUnboundedCallHoldingAConnectionIsLeftToFinish() async throws {
        let result = await outcome(bounded: false) { gate in
            try? gate.begin(nil)
            #expect(gate.expire(Late()) == .unaffected)
            gate.finish(.success(7))
        }
        #expect(try result.get() == 7)
    }

    @Test func aBoundedRunningCallFailsAtItsDeadlineAndMayNotCommit() async throws {
        let result = await outcome(bounded: true) { gate in
            try? gate.begin(nil)
            #expect(gate.expire(Late()) == .failed)
            #expect(throws: CancellationError.self) { try gate.commit() }
        }
        #expect(throws: Late.self) { try result.get() }
    }

    @Test func aCommitAlreadySentIsWaitedForThenFailedOnlyAfterItsGrace() async throws {
        let result = await outcome(bounded: true) { gate in
            try? gate.begin(nil)
            try? gate.commit()
            #expect(gate.expire(Late()) == .committing, "a COMMIT on the wire is not cut off at the deadline")
            #expect(gate.expireCommit(Late()), "the grace passed: the outcome is unknown and said so")
            #expect(!gate.expireCommit(Late()), "only once")
        }
        #expect(throws: Late.self) { try result.get() }
    }

    @Test func aCallThatFinishedFirstKeepsItsResult() async throws {
        let result = await outcome(bounded: true) { gate in
            try? gate.begin(nil)
            try? gate.commit()
            gate.finish(.success(42))
            #expect(gate.expire(Late()) == .unaffected)
            #expect(!gate.expireCommit(Late()))
        }
        #expect(try result.get() == 42)
    }
}
