import Dispatch
import Synchronization
import Testing

@testable import NCCServer

/// A door the test opens: work blocked on it holds its permit until then.
final class Door: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    /// Blocks the calling thread until `open(for:)` lets it through.
    func wait() { semaphore.wait() }
    /// Lets `count` waiting callers through.
    func open(for count: Int) { for _ in 0..<count { semaphore.signal() } }
}

/// How many bodies run at once, and the most that ever did.
final class Occupancy: Sendable {
    private let state = Mutex((now: 0, most: 0, started: 0))
    func enter() { state.withLock { $0.now += 1; $0.started += 1; $0.most = max($0.most, $0.now) } }
    func leave() { state.withLock { $0.now -= 1 } }
    var most: Int { state.withLock { $0.most } }
    var started: Int { state.withLock { $0.started } }
}

/// The order in which queued work ran.
final class Arrivals: Sendable {
    let list = Mutex<[Int]>([])
}

// The limit catches a deadlock. It is 10 minutes because in the parallel suite on 2 cores the tests that wait on
// processes and decoders can starve this suite's tasks for minutes (a CI run saw 270 s with a 1-minute limit).
@Suite(.timeLimit(.minutes(10))) struct SecretWorkGateTests {
    /// Waits (bounded) until `condition` holds.
    func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<2_000 where !condition() { try await Task.sleep(for: .milliseconds(5)) }
        #expect(condition())
    }

    /// Runs `body`; when it throws (a failed wait, or the test cancelled at its time limit), first opens `door` for
    /// `count`, so that work blocked on it ends and the task group around it finishes instead of hanging the run.
    func openingOnError<T>(_ door: Door, for count: Int, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch { door.open(for: count); throw error }
    }

    @Test func atMostPermitsRunAndAtMostQueueLimitWaitTheRestAreRefusedAtOnce() async throws {
        let gate = SecretWorkGate(permits: 2, queueLimit: 1)
        let door = Door(), occupancy = Occupancy()
        let work: @Sendable () throws -> Int = {
            occupancy.enter()
            door.wait()
            occupancy.leave()
            return 1
        }
        try await withThrowingTaskGroup(of: Bool.self) { group in try await openingOnError(door, for: 3) {
            // Two take the permits and block.
            for _ in 0..<2 { group.addTask { _ = try await gate.run(work); return true } }
            try await eventually { occupancy.started == 2 }
            // Five more arrive while both permits are held: one may wait, four are refused without running.
            for _ in 0..<5 {
                group.addTask {
                    do { _ = try await gate.run(work); return true } catch let error as APIError {
                        #expect(error.code == "busy")
                        return false
                    }
                }
            }
            var refused = 0
            while refused < 4, let ran = try await group.next() {
                #expect(!ran, "nothing finishes while the door is shut, except refusals")
                refused += 1
            }
            #expect(occupancy.started == 2, "the waiting caller has not started")
            #expect(gate.waitingCount == 1)
            door.open(for: 3)
            var ran = 0
            while let finished = try await group.next() { if finished { ran += 1 } }
            #expect(ran == 3, "the two holders and the one waiter ran")
        } }
        #expect(occupancy.most == 2, "never more than the permits at once")
    }

    @Test func aPermitPassesToTheWaiterInArrivalOrder() async throws {
        let gate = SecretWorkGate(permits: 1, queueLimit: 8)
        let door = Door(), order = Arrivals()
        let occupancy = Occupancy()
        try await withThrowingTaskGroup(of: Void.self) { group in try await openingOnError(door, for: 1) {
            group.addTask { _ = try await gate.run { occupancy.enter(); door.wait(); occupancy.leave(); return 0 } }
            try await eventually { occupancy.started == 1 }
            // Queue three, one after the other, each once the previous is waiting.
            for i in 1...3 {
                group.addTask { _ = try await gate.run { order.list.withLock { $0.append(i) }; return i } }
                try await eventually { gate.waitingCount == i }
            }
            door.open(for: 1)
            try await group.waitForAll()
        } }
        #expect(order.list.withLock { $0 } == [1, 2, 3])
    }

    @Test func anErrorInTheWorkReachesTheCallerAndFreesThePermit() async throws {
        struct Broken: Error {}
        let gate = SecretWorkGate(permits: 1, queueLimit: 0)
        await #expect(throws: Broken.self) { try await gate.run { () throws -> Int in throw Broken() } }
        #expect(try await gate.run { 7 } == 7, "the permit came back")
    }
}
