import Foundation
import Logging
import NCCBank
import NCCBankPostgres

/// Replicas on one PostgreSQL bank: each keeps the whole index in memory and follows the bank's numbered
/// `changes` (LISTEN/NOTIFY for speed, a poll every second as a safety net), applying them in sequence
/// order. After a lost connection, a database restart or a replica restart it catches up from the last
/// sequence it applied, so no change is missed and none is applied twice.
///
/// Index updates (from the feed and from this replica's own writes) run under `caseWrites`, one at a time.
extension BankService {
    /// Seconds a replica waits to apply its own committed write to its index before answering anyway.
    static let ownWriteCatchUpSeconds: Double = 1
    /// Seconds one catch-up of the follower may take before it is tried again (from where it got to).
    static let followerReadSeconds: Double = 30

    /// Runs a case write: on SQLite under `caseWrites` (the store call and its index update together); on
    /// PostgreSQL without it, since the index follows the numbered feed and must not wait behind a database
    /// call that may take seconds while the database is away.
    func caseWrite(_ body: @Sendable () async throws -> Void) async throws {
        if feed != nil { try await body() } else { try await caseWrites.run(body) }
    }

    /// After this replica's own committed write: on SQLite, update the index directly (inside `caseWrites`);
    /// on PostgreSQL, apply the feed up to and including the write (so the index never runs ahead of the
    /// sequence). A withdrawal is dropped at once in any case, so it stops matching here even when the feed
    /// cannot be read.
    func applyLocalWrite(inserted: [StoredHash], removed: [StoredHash]) async {
        guard feed != nil else {
            index.insert(inserted)
            index.remove(removed)
            return
        }
        if !removed.isEmpty { index.removeImages(Set(removed.map(\.imageID))) }
        do {
            // Bounded, so a write committed just before the database went away is still answered promptly
            // (the follower applies it once the database answers again).
            try await catchUp(timeout: Self.ownWriteCatchUpSeconds)
        } catch {
            logger.warning("change feed not readable after a write; it is applied when the database answers",
                           metadata: ["code": "\((error as? BankError)?.code ?? "unknown")"])
        }
    }

    /// Applies every change made since the last one applied (by any replica). Changes are read without any
    /// lock; applying them (in memory only) happens under `caseWrites`, in sequence order, skipping those
    /// another caller applied meanwhile, so a change is applied once and never out of order.
    ///
    /// Reading the feed must end within `timeout` seconds, else this throws (what was applied stays applied;
    /// the next call continues from there), so a stuck connection never stalls the follower or a request.
    func catchUp(timeout: Double = BankService.followerReadSeconds) async throws {
        guard let feed else { return }
        let batch = 1000
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while true {
            let left = deadline - ContinuousClock.now
            let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18
            if seconds <= 0 {
                throw BankError(code: "database_unavailable", message: "The bank's change feed was not read within \(Int(timeout)) s.")
            }
            let changes = try await feed.changes(after: appliedSequence.load(ordering: .acquiring), limit: batch, timeout: seconds)
            try await caseWrites.run {
                for change in changes {
                    let applied = self.appliedSequence.load(ordering: .acquiring)
                    if change.sequence <= applied { continue }
                    guard change.sequence == applied + 1 else { break }
                    if change.kind == "case_withdrawn" {
                        self.index.removeImages(Set(change.removedImageIDs))
                    } else {
                        self.index.insert(change.hashes)
                    }
                    self.appliedSequence.store(change.sequence, ordering: .releasing)
                }
            }
            if changes.count < batch { return }
        }
    }

    /// Follows the shared bank until the task is cancelled: LISTEN for prompt updates, reconnecting with a
    /// short back-off, and a catch-up every second whatever happens to the LISTEN connection.
    func followChanges() async {
        guard let feed else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var failing = false
                while !Task.isCancelled {
                    do {
                        try await feed.listenForChanges { [self] in
                            do { try await self.catchUp() } catch {}
                        }
                    } catch {
                        if !failing {
                            self.logger.warning("lost the bank's change notifications; polling until they are back",
                                                metadata: ["code": "\((error as? BankError)?.code ?? "unknown")"])
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
                                                metadata: ["code": "\((error as? BankError)?.code ?? "unknown")"])
                        }
                        failing = true
                    }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }
}
