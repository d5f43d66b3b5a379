import Foundation
import Logging
import NCCBank
import NCCHashing
import PostgresNIO

/// The numbered change feed replicas follow (`BankChangeFeed`): every change to the matchable hashes is
/// numbered in commit order and announced on `changeChannel`.
extension PostgresBankStore {
    /// Numbers a change (gap-free, in commit order: the advisory lock is held until this transaction ends)
    /// and notifies followers at commit.
    static func recordChange(_ c: PostgresConnection, _ logger: Logger, kind: BankChange.Kind, caseID: String, hashIDs: [Int64], imageIDs: [Int64]) async throws {
        try await c.query("SELECT pg_advisory_xact_lock(\(changeLock))", logger: logger)
        let rows = try await c.query("""
            INSERT INTO changes (seq, at, kind, case_id, hash_ids, image_ids)
            SELECT COALESCE(MAX(seq), 0) + 1, \(Date()), \(kind.rawValue), \(caseID), \(hashIDs), \(imageIDs) FROM changes
            RETURNING seq
            """, logger: logger)
        var seq: Int64 = 0
        for try await value in rows.decode(Int64.self) { seq = value }
        try await c.query("SELECT pg_notify(\(changeChannel), \(String(seq)))", logger: logger)
    }

    /// Every stored hash, in id order, for building the indexes.
    /// - Warning: returns bank hash values; never log or serve them.
    public func loadHashes() async throws -> [StoredHash] {
        try await snapshot().hashes
    }

    /// Every stored hash with the sequence of the last change they include, read in one snapshot
    /// (`REPEATABLE READ`), so a replica that follows changes after that sequence misses none and applies none
    /// twice. Only getting a connection is bounded by the timeout: loading a large bank takes its time.
    public func snapshot() async throws -> BankSnapshot {
        let client = self.client, logger = self.logger
        return try await call(writing: false, deadline: .connection) { gate in
            try await client.withConnection { c in
                try gate.begin(c)
                try await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
                do {
                    var sequence: Int64 = 0
                    for try await value in try await c.query("SELECT COALESCE(MAX(seq), 0) FROM changes", logger: logger).decode(Int64.self) {
                        sequence = value
                    }
                    let hashes = try await Self.loadAllHashes(c, logger)
                    try await c.query("COMMIT", logger: logger)
                    return BankSnapshot(hashes: hashes, sequence: sequence)
                } catch {
                    _ = try? await c.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    /// Every stored hash in id order, read 100,000 at a time as a few arrays per algorithm (ids, picture ids,
    /// and the values concatenated) rather than one row per hash, which is several times faster to decode.
    /// - Warning: returns bank hash values; never log or serve them.
    static func loadAllHashes(_ c: PostgresConnection, _ logger: Logger) async throws -> [StoredHash] {
        var result: [StoredHash] = []
        var after: Int64 = 0
        while true {
            var chunk: [StoredHash] = []
            for try await (name, kindName, ids, imageIDs, values) in try await c.query("""
                SELECT algorithm, kind, array_agg(id ORDER BY id), array_agg(image_id ORDER BY id), string_agg(value, ''::bytea ORDER BY id)
                FROM (SELECT h.id, h.image_id, h.algorithm, h.value, i.kind FROM hashes h JOIN images i ON i.id = h.image_id
                      WHERE h.id > \(after) ORDER BY h.id LIMIT 100000) AS chunk
                GROUP BY algorithm, kind
                """, logger: logger).decode((String, String, [Int64], [Int64], Data).self) {
                guard let algorithm = HashAlgorithm(rawValue: name) else { continue }
                let kind = BankItemKind(rawValue: kindName) ?? .picture
                let size = algorithm.bitCount / 8
                guard imageIDs.count == ids.count, values.count == ids.count * size else {
                    throw BankError(.storeCorrupt, "Stored \(name) hashes do not have the length of their kind; the bank's database is damaged.")
                }
                values.withUnsafeBytes { bytes in
                    for (i, id) in ids.enumerated() {
                        chunk.append(StoredHash(id: id, imageID: imageIDs[i], algorithm: algorithm,
                                                value: Array(bytes[(i * size)..<((i + 1) * size)]), kind: kind))
                    }
                }
                after = max(after, ids.last ?? after)
            }
            if chunk.isEmpty { return result }
            chunk.sort { $0.id < $1.id }
            result += chunk
        }
    }

    /// The changes after `sequence`, oldest first, at most `limit`; added hashes come with their values
    /// (those since deleted by a later withdrawal are left out: that withdrawal removes them anyway).
    /// - Warning: returns bank hash values; never log or serve them.
    ///
    /// The whole call must finish within `timeout` seconds (default: the store's), else it fails with
    /// `database_unavailable`.
    public func changes(after sequence: Int64, limit: Int = 1000, timeout: Double? = nil) async throws -> [BankChange] {
        try await transaction(writing: false, timeout: timeout) { c, logger -> [BankChange] in
            var rows: [(Int64, String, [Int64], [Int64])] = []
            for try await row in try await c.query("""
                SELECT seq, kind, hash_ids, image_ids FROM changes WHERE seq > \(sequence) ORDER BY seq LIMIT \(limit)
                """, logger: logger).decode((Int64, String, [Int64], [Int64]).self) {
                rows.append(row)
            }
            var result: [BankChange] = []
            for (seq, name, ids, images) in rows {
                guard let kind = BankChange.Kind(rawValue: name) else {
                    throw BankError(.storeCorrupt, "Change \(seq) of the bank's change feed has an unknown kind; the bank was written by a newer nccmatch, or is damaged.")
                }
                switch kind {
                case .hashesAdded:
                    let hashes = ids.isEmpty ? [] : try await Self.fetchHashes(try await c.query(
                        "SELECT h.id, h.image_id, h.algorithm, h.value, i.kind FROM hashes h JOIN images i ON i.id = h.image_id WHERE h.id = ANY(\(ids)) ORDER BY h.id",
                        logger: logger))
                    result.append(BankChange(sequence: seq, kind: kind, hashes: hashes, removedImageIDs: []))
                case .caseWithdrawn:
                    result.append(BankChange(sequence: seq, kind: kind, hashes: [], removedImageIDs: images))
                }
            }
            return result
        }
    }

    /// The sequence of the latest change.
    public func latestSequence() async throws -> Int64 {
        try await transaction(writing: false) { c, logger in
            var sequence: Int64 = 0
            for try await value in try await c.query("SELECT COALESCE(MAX(seq), 0) FROM changes", logger: logger).decode(Int64.self) {
                sequence = value
            }
            return sequence
        }
    }

    /// Runs `onNotification` for each change notification until the connection drops or the task is
    /// cancelled. Throws when the connection cannot be made or is lost; the caller reconnects and catches up.
    public func listenForChanges(_ onNotification: @Sendable @escaping () async -> Void) async throws {
        let client = self.client
        do {
            try await client.withConnection { c in
                // The closure form sends UNLISTEN when it ends, so the connection goes back to the pool clean.
                try await c.listen(on: Self.changeChannel) { notifications in
                    await onNotification()  // catch up on what happened before LISTEN took effect
                    for try await _ in notifications {
                        await onNotification()
                    }
                }
            }
        } catch {
            throw Self.bankError(error, writing: false)
        }
    }
}
