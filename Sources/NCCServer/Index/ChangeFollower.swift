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
    /// After this replica's own committed write: on SQLite, update the index directly; on PostgreSQL, apply
    /// the feed up to and including the write (so the index never runs ahead of the sequence). A withdrawal
    /// is dropped at once in any case, so it stops matching here even when the feed cannot be read.
    /// Must run inside `caseWrites`.
    func applyLocalWrite(inserted: [StoredHash], removed: [StoredHash]) async {
        guard feed != nil else {
            index.insert(inserted)
            index.remove(removed)
            return
        }
        if !removed.isEmpty { index.removeImages(Set(removed.map(\.imageID))) }
        do {
            try await applyChangesLocked()
        } catch {
            logger.warning("change feed not readable after a write; it is applied when the database answers",
                           metadata: ["code": "\((error as? BankError)?.code ?? "unknown")"])
        }
    }

    /// Applies every change after `appliedSequence`. Must run inside `caseWrites`.
    func applyChangesLocked() async throws {
        guard let feed else { return }
        let batch = 1000
        while true {
            let after = appliedSequence.load(ordering: .acquiring)
            let changes = try await feed.changes(after: after, limit: batch)
            for change in changes {
                if change.kind == "case_withdrawn" {
                    index.removeImages(Set(change.removedImageIDs))
                } else {
                    index.insert(change.hashes)
                }
                appliedSequence.store(change.sequence, ordering: .releasing)
            }
            if changes.count < batch { return }
        }
    }

    /// Applies the changes made since the last one applied (by any replica).
    func catchUp() async throws {
        try await caseWrites.run { try await self.applyChangesLocked() }
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
