import Foundation
import Logging
import NCCBank
import NCCHashing
import PostgresNIO

/// Cases and their hashes: open, read, add to, withdraw, report.
extension PostgresBankStore {
    /// Inserts hashes of a case in a few statements (pictures first, then hashes 10,000 at a time).
    static func insertHashes(_ c: PostgresConnection, _ logger: Logger, caseID: String, hashes: [NewHash]) async throws -> [StoredHash] {
        var imageIDs: [Int: Int64] = [:]
        for try await (id, key) in try await c.query("SELECT id, image_key FROM images WHERE case_id = \(caseID)", logger: logger).decode((Int64, Int64).self) {
            imageIDs[Int(key)] = id
        }
        // A new item takes the kind of its first hash (a video's hashes all say video).
        var kindOfKey: [Int: BankItemKind] = [:]
        for hash in hashes where kindOfKey[hash.imageKey] == nil { kindOfKey[hash.imageKey] = hash.kind }
        let missing = Set(hashes.map(\.imageKey)).subtracting(imageIDs.keys).sorted()
        if !missing.isEmpty {
            let keys = missing.map(Int64.init), kinds = missing.map { (kindOfKey[$0] ?? .picture).rawValue }
            for try await (id, key) in try await c.query("""
                INSERT INTO images (case_id, image_key, kind) SELECT \(caseID), k, kd FROM UNNEST(\(keys)::bigint[], \(kinds)::text[]) AS t(k, kd) ORDER BY k RETURNING id, image_key
                """, logger: logger).decode((Int64, Int64).self) {
                imageIDs[Int(key)] = id
            }
        }
        var stored: [StoredHash] = []
        stored.reserveCapacity(hashes.count)
        var start = 0
        while start < hashes.count {
            let chunk = hashes[start..<min(hashes.count, start + 10_000)]
            start += chunk.count
            var images: [Int64] = [], algorithms: [String] = [], values: [ByteBuffer] = [], qualities: [Int64] = []
            for hash in chunk {
                guard let imageID = imageIDs[hash.imageKey] else {
                    throw BankError(.storeFailed, "The bank's database did not number a new picture.")
                }
                images.append(imageID)
                algorithms.append(hash.algorithm.rawValue)
                values.append(ByteBuffer(bytes: hash.value))
                qualities.append(Int64(hash.quality ?? -1))
            }
            stored += try await fetchHashes(try await c.query("""
                INSERT INTO hashes (image_id, algorithm, value, quality)
                SELECT i, a, v, NULLIF(q, -1)
                FROM UNNEST(\(images)::bigint[], \(algorithms)::text[], \(values)::bytea[], \(qualities)::bigint[]) WITH ORDINALITY AS t(i, a, v, q, n)
                ORDER BY n
                RETURNING id, image_id, algorithm, value, (SELECT kind FROM images WHERE images.id = image_id)
                """, logger: logger))
        }
        return stored.sorted { $0.id < $1.id }
    }

    static func caseStatus(_ c: PostgresConnection, _ logger: Logger, caseID: String) async throws -> String? {
        var status: String?
        for try await value in try await c.query("SELECT status FROM cases WHERE id = \(caseID) FOR UPDATE", logger: logger).decode(String.self) {
            status = value
        }
        return status
    }

    static func requireActive(_ c: PostgresConnection, _ logger: Logger, caseID: String) async throws {
        guard let status = try await caseStatus(c, logger, caseID: caseID) else {
            throw BankError.caseNotFound
        }
        if status != CaseState.active.rawValue {
            throw BankError.caseWithdrawnForChanges
        }
    }

    static func fetchHashes(_ rows: PostgresRowSequence) async throws -> [StoredHash] {
        var result: [StoredHash] = []
        for try await (id, imageID, name, value, kind) in rows.decode((Int64, Int64, String, Data, String).self) {
            guard let algorithm = HashAlgorithm(rawValue: name) else { continue }
            result.append(StoredHash(id: id, imageID: imageID, algorithm: algorithm, value: Array(value), kind: BankItemKind(rawValue: kind) ?? .picture))
        }
        return result
    }

    /// Stores a new case and its hashes in one transaction, with a `case_opened` audit record and a change.
    public func createCase(_ newCase: NewCase) async throws -> [StoredHash] {
        try await transaction { c, logger in
            try await c.query("""
                INSERT INTO cases (id, secret_hash, secret_salt, secret_parameters, status, created_at)
                VALUES (\(newCase.id), \(Data(newCase.secret.hash)), \(Data(newCase.secret.salt)), \(newCase.secret.parameters), 'active', \(Date()))
                """, logger: logger)
            let stored = try await Self.insertHashes(c, logger, caseID: newCase.id, hashes: newCase.hashes)
            let images = Set(newCase.hashes.map(\.imageKey)).count
            try await Self.audit(c, logger, actor: "case", action: "case_opened", caseID: newCase.id, detail: "\(stored.count) hashes of \(images) pictures")
            try await Self.recordChange(c, logger, kind: .hashesAdded, caseID: newCase.id, hashIDs: stored.map(\.id), imageIDs: Array(Set(stored.map(\.imageID))).sorted())
            return stored
        }
    }

    /// The stored secret and state of a case; nil when there is no such case.
    public func caseCredentials(caseID: String) async throws -> (secret: StoredSecret, state: CaseState)? {
        let found = try await transaction(writing: false) { c, logger -> CredentialRow? in
            var row: CredentialRow?
            for try await (hash, salt, parameters, status) in try await c.query(
                "SELECT secret_hash, secret_salt, secret_parameters, status FROM cases WHERE id = \(caseID)", logger: logger
            ).decode((Data, Data, String, String).self) {
                row = CredentialRow(hash: hash, salt: salt, parameters: parameters, status: status)
            }
            return row
        }
        guard let found else { return nil }
        return (try StoredSecret(parameters: found.parameters, salt: Array(found.salt), hash: Array(found.hash)),
                CaseState(rawValue: found.status) ?? .withdrawn)
    }

    struct CredentialRow: Sendable {
        let hash: Data, salt: Data, parameters: String, status: String
    }

    /// Adds hashes to an active case, with a `hashes_added` audit record and a change.
    public func addHashes(caseID: String, hashes: [NewHash]) async throws -> [StoredHash] {
        try await transaction { c, logger in
            try await Self.requireActive(c, logger, caseID: caseID)
            let stored = try await Self.insertHashes(c, logger, caseID: caseID, hashes: hashes)
            try await Self.audit(c, logger, actor: "case", action: "hashes_added", caseID: caseID, detail: "\(stored.count) hashes")
            try await Self.recordChange(c, logger, kind: .hashesAdded, caseID: caseID, hashIDs: stored.map(\.id), imageIDs: Array(Set(stored.map(\.imageID))).sorted())
            return stored
        }
    }

    /// Deletes a case's hashes and marks it withdrawn; the audit record keeps only counts.
    public func withdrawCase(caseID: String) async throws -> [StoredHash] {
        try await transaction { c, logger in
            guard let status = try await Self.caseStatus(c, logger, caseID: caseID) else {
                throw BankError.caseNotFound
            }
            if status == CaseState.withdrawn.rawValue { return [] }
            let removed = try await Self.fetchHashes(try await c.query("""
                DELETE FROM hashes h USING images i WHERE i.id = h.image_id AND i.case_id = \(caseID)
                RETURNING h.id, h.image_id, h.algorithm, h.value, i.kind
                """, logger: logger))
            try await c.query("UPDATE cases SET status = 'withdrawn', withdrawn_at = \(Date()) WHERE id = \(caseID)", logger: logger)
            try await Self.audit(c, logger, actor: "case", action: "case_withdrawn", caseID: caseID, detail: "\(removed.count) hashes deleted")
            try await Self.recordChange(c, logger, kind: .caseWithdrawn, caseID: caseID, hashIDs: removed.map(\.id), imageIDs: Array(Set(removed.map(\.imageID))).sorted())
            return removed.sorted { $0.id < $1.id }
        }
    }

    /// Per picture: hash count, platforms that matched it, latest outcome per match reference.
    public func caseStatus(caseID: String) async throws -> CaseStatusReport? {
        try await transaction(writing: false) { c, logger -> CaseStatusReport? in
            var report: CaseStatusReport?
            for try await (status, created, withdrawn) in try await c.query(
                "SELECT status, created_at, withdrawn_at FROM cases WHERE id = \(caseID)", logger: logger
            ).decode((String, Date, Date?).self) {
                report = CaseStatusReport(caseID: caseID, state: CaseState(rawValue: status) ?? .withdrawn,
                                          createdAt: created, withdrawnAt: withdrawn, images: [])
            }
            guard var report else { return nil }
            var images: [(Int64, Int64, String, Int64, Int64)] = []
            for try await row in try await c.query("""
                SELECT i.id, i.image_key, i.kind,
                       (SELECT COUNT(*) FROM hashes h WHERE h.image_id = i.id),
                       (SELECT COUNT(DISTINCT platform_id) FROM match_refs m WHERE m.image_id = i.id)
                FROM images i WHERE i.case_id = \(caseID) ORDER BY i.image_key
                """, logger: logger).decode((Int64, Int64, String, Int64, Int64).self) {
                images.append(row)
            }
            for (imageID, key, kind, hashes, platforms) in images {
                var feedback: [FeedbackOutcome: Int] = [:]
                for try await (outcome, n) in try await c.query("""
                    SELECT f.outcome, COUNT(*) FROM feedback f
                    JOIN match_refs m ON m.ref = f.match_ref
                    WHERE m.image_id = \(imageID) AND f.id = (SELECT MAX(id) FROM feedback g WHERE g.match_ref = f.match_ref)
                    GROUP BY f.outcome
                    """, logger: logger).decode((String, Int64).self) {
                    if let value = FeedbackOutcome(rawValue: outcome) { feedback[value] = Int(n) }
                }
                report.images.append(.init(image: Int(key), hashes: Int(hashes), platformsMatched: Int(platforms), feedback: feedback,
                                           kind: BankItemKind(rawValue: kind) ?? .picture))
            }
            return report
        }
    }
}
