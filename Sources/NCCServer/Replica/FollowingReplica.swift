import Foundation
import Logging
import NCCBank
import Synchronization

/// The strategy for replicas on one shared bank (`ServedBank.shared`, PostgreSQL): each keeps the whole
/// index in memory and follows the bank's numbered changes (LISTEN/NOTIFY for speed, a poll every second
/// as a safety net), applying them in sequence order. After a lost connection, a database restart or a
/// replica restart it catches up from the last sequence it applied, so no change is missed and none is
/// applied twice.
///
/// Index updates (from the feed and from this replica's own writes) run under `caseWrites`, one at a time.
/// While the database is away, matching goes on from memory (`FollowingReplica+DegradedMode.swift`).
final class FollowingReplica: ReplicaStrategy {
    /// Seconds a replica waits to apply its own committed write to its index before answering anyway.
    static let ownWriteCatchUpSeconds: Double = 1
    /// Seconds one catch-up of the follower may take before it is tried again (from where it got to).
    static let followerReadSeconds: Double = 30
    /// Changes read per catch-up step.
    static let batch = 1000

    let store: any SharedBankStore
    let index: BankIndex
    let caseWrites: AsyncLock
    let secretLimiter: RateLimiter
    let metrics: ServiceMetrics
    let logger: Logger
    /// The sequence of the last change of the shared bank applied to this replica's indexes.
    let applied = Atomic<Int64>(0)
    /// Platforms as last read (used while the database is away).
    let knownPlatforms = PlatformMemory()
    /// Matches answered while the database was away, recorded when it returns.
    let pendingMatches = PendingMatches()

    init(store: any SharedBankStore, index: BankIndex, caseWrites: AsyncLock, secretLimiter: RateLimiter, metrics: ServiceMetrics, logger: Logger) {
        self.store = store
        self.index = index
        self.caseWrites = caseWrites
        self.secretLimiter = secretLimiter
        self.metrics = metrics
        self.logger = logger
    }

    var appliedSequence: Int64? { applied.load(ordering: .acquiring) }

    func requestDeadline() -> RequestDeadline? { RequestDeadline(seconds: store.callTimeout) }

    /// One snapshot: the hashes and the change sequence they include; following starts after it.
    func loadIndex() async throws -> Int {
        let snapshot = try await store.snapshot()
        applied.store(snapshot.sequence, ordering: .releasing)
        index.insert(snapshot.hashes)
        return snapshot.hashes.count
    }

    /// Runs without `caseWrites`: the index follows the numbered feed and must not wait behind a database
    /// call that may take seconds while the database is away.
    func caseWrite(_ body: @Sendable () async throws -> Void) async throws {
        try await body()
    }

    /// Applies the feed up to and including the write (so the index never runs ahead of the sequence). A
    /// withdrawal is dropped at once in any case, so it stops matching here even when the feed cannot be read.
    func applyLocalWrite(inserted: [StoredHash], removed: [StoredHash]) async {
        if !removed.isEmpty { index.removeImages(Set(removed.map(\.imageID))) }
        do {
            // Bounded, so a write committed just before the database went away is still answered promptly
            // (the follower applies it once the database answers again).
            try await catchUp(timeout: Self.ownWriteCatchUpSeconds)
        } catch {
            logger.warning("change feed not readable after a write; it is applied when the database answers",
                           metadata: ["code": "\(Self.code(error))"])
        }
    }

    /// In the shared database, so the allowance holds across replicas (keyed by a digest of the client, never
    /// its address). If the database cannot be asked, this replica's own buckets decide.
    func takeSecretTry(_ key: String) async -> Int? {
        do {
            let bucket = TokenBucket(capacity: secretLimiter.capacity, ratePerSecond: secretLimiter.ratePerSecond)
            return try await store.throttle(key: Secrets.throttleDigest(key), bucket: bucket, take: true)
        } catch {
            logger.warning("secret throttle not readable in the database; using this replica's", metadata: ["code": "\(Self.code(error))"])
        }
        return secretLimiter.take(key)
    }

    /// Nothing is given back: the shared bucket counts every try.
    func secretTryFitted(_ key: String) {}

    /// Applies every change made since the last one applied (by any replica). Changes are read without any
    /// lock; applying them (in memory only) happens under `caseWrites`, in sequence order, skipping those
    /// another caller applied meanwhile, so a change is applied once and never out of order.
    ///
    /// Reading the feed must end within `timeout` seconds, else this throws (what was applied stays applied;
    /// the next call continues from there), so a stuck connection never stalls the follower or a request.
    func catchUp(timeout: Double = FollowingReplica.followerReadSeconds) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while true {
            let left = deadline - ContinuousClock.now
            let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18
            if seconds <= 0 {
                throw BankError(.databaseUnavailable, "The bank's change feed was not read within \(Int(timeout)) s.")
            }
            let changes = try await store.changes(after: applied.load(ordering: .acquiring), limit: Self.batch, timeout: seconds)
            try await caseWrites.run {
                for change in changes {
                    let current = self.applied.load(ordering: .acquiring)
                    if change.sequence <= current { continue }
                    guard change.sequence == current + 1 else { break }
                    switch change.kind {
                    case .caseWithdrawn: self.index.removeImages(Set(change.removedImageIDs))
                    case .hashesAdded: self.index.insert(change.hashes)
                    }
                    self.applied.store(change.sequence, ordering: .releasing)
                }
            }
            if changes.count < Self.batch { return }
        }
    }

    /// Follows the shared bank until the task is cancelled: LISTEN for prompt updates, reconnecting with a
    /// short back-off, and a catch-up every second whatever happens to the LISTEN connection.
    func follow() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var failing = false
                while !Task.isCancelled {
                    do {
                        try await self.store.listenForChanges { [self] in
                            do { try await self.catchUp() } catch {}
                        }
                    } catch {
                        if !failing {
                            self.logger.warning("lost the bank's change notifications; polling until they are back",
                                                metadata: ["code": "\(Self.code(error))"])
                        }
                        failing = true
                        try? await Task.sleep(for: .milliseconds(500))
                        continue
                    }
                    if failing { self.logger.notice("following the bank's change notifications again") }
                    failing = false
                }
            }
            group.addTask {
                var failing = false
                while !Task.isCancelled {
                    do {
                        try await self.catchUp()
                        await self.recordPendingMatches()
                        if failing { self.logger.notice("the bank's database answers again; change feed caught up") }
                        failing = false
                    } catch {
                        if !failing {
                            self.logger.warning("the bank's database is not answering; matching continues from memory",
                                                metadata: ["code": "\(Self.code(error))"])
                        }
                        failing = true
                    }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    /// The bank code of a failure, for the log (never its message, which may name a case).
    static func code(_ error: any Error) -> String {
        (error as? BankError)?.code.rawValue ?? "unknown"
    }
}
