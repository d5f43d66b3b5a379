import Foundation
import Logging
import NCCBank
import NCCHashing
import PostgresNIO

/// Export and import of whole cases (`nccmatch admin export` / `import`).
extension PostgresBankStore {

    /// Every active case with its secret verifier and hashes (picture numbers kept), ordered by case id.
    public func exportCases() async throws -> [NewCase] {
        try await transaction(writing: false, deadline: .connection) { c, logger -> [NewCase] in
            var cases: [NewCase] = []
            var index: [String: Int] = [:]
            for try await (id, hash, salt, parameters) in try await c.query(
                "SELECT id, secret_hash, secret_salt, secret_parameters FROM cases WHERE status = 'active' ORDER BY id", logger: logger
            ).decode((String, Data, Data, String).self) {
                index[id] = cases.count
                cases.append(NewCase(id: id, secret: try StoredSecret(parameters: parameters, salt: Array(salt), hash: Array(hash)), hashes: []))
            }
            for try await (caseID, key, name, value, quality, kind) in try await c.query("""
                SELECT i.case_id, i.image_key, h.algorithm, h.value, h.quality, i.kind FROM hashes h JOIN images i ON i.id = h.image_id ORDER BY h.id
                """, logger: logger).decode((String, Int64, String, Data, Int64?, String).self) {
                guard let at = index[caseID], let algorithm = HashAlgorithm(rawValue: name) else { continue }
                cases[at].hashes.append(NewHash(algorithm: algorithm, value: Array(value), quality: quality.map(Int.init), imageKey: Int(key),
                                                kind: BankItemKind(rawValue: kind) ?? .picture))
            }
            return cases
        }
    }

    /// Stores imported cases in one transaction with few statements (arrays unnested on the server), skipping
    /// case ids the bank already has; returns those skipped. Each case gets its `case_opened` audit record
    /// and its numbered change, as `createCase` gives it, so running replicas pick the cases up.
    public func importCases(_ cases: [NewCase]) async throws -> Set<String> {
        if cases.isEmpty { return [] }
        return try await transaction(deadline: .connection) { c, logger -> Set<String> in
            let now = Date()
            var inserted = Set<String>()
            for try await id in try await c.query("""
                INSERT INTO cases (id, secret_hash, secret_salt, secret_parameters, status, created_at)
                SELECT i, h, s, p, 'active', \(now)
                FROM UNNEST(\(cases.map(\.id))::text[], \(cases.map { ByteBuffer(bytes: $0.secret.hash) })::bytea[],
                            \(cases.map { ByteBuffer(bytes: $0.secret.salt) })::bytea[], \(cases.map(\.secret.parameters))::text[])
                     WITH ORDINALITY AS t(i, h, s, p, n)
                ORDER BY n
                ON CONFLICT (id) DO NOTHING
                RETURNING id
                """, logger: logger).decode(String.self) {
                inserted.insert(id)
            }
            let fresh = cases.filter { inserted.contains($0.id) }
            if fresh.isEmpty { return Set(cases.map(\.id)) }

            // Pictures, numbered by the server; read back as one row of arrays per case.
            var imageCases: [String] = [], imageKeys: [Int64] = [], imageKinds: [String] = []
            for entry in fresh {
                var kindOfKey: [Int: BankItemKind] = [:]
                for hash in entry.hashes where kindOfKey[hash.imageKey] == nil { kindOfKey[hash.imageKey] = hash.kind }
                for key in kindOfKey.keys.sorted() {
                    imageCases.append(entry.id)
                    imageKeys.append(Int64(key))
                    imageKinds.append(kindOfKey[key]!.rawValue)
                }
            }
            var imageIDs: [String: [Int64: Int64]] = [:]
            var caseOfImage: [Int64: String] = [:]
            caseOfImage.reserveCapacity(imageKeys.count)
            for try await (caseID, ids, keys) in try await c.query("""
                WITH ins AS (
                    INSERT INTO images (case_id, image_key, kind)
                    SELECT ca, k, kd FROM UNNEST(\(imageCases)::text[], \(imageKeys)::bigint[], \(imageKinds)::text[]) WITH ORDINALITY AS t(ca, k, kd, n) ORDER BY n
                    RETURNING id, case_id, image_key)
                SELECT case_id, array_agg(id ORDER BY image_key), array_agg(image_key ORDER BY image_key) FROM ins GROUP BY case_id
                """, logger: logger).decode((String, [Int64], [Int64]).self) {
                var byKey: [Int64: Int64] = [:]
                for (id, key) in zip(ids, keys) {
                    byKey[key] = id
                    caseOfImage[id] = caseID
                }
                imageIDs[caseID] = byKey
            }

            // Hashes, 50,000 per statement, with their picture ids bound directly; their new ids come back as
            // two arrays per statement.
            var rows: [(imageID: Int64, hash: NewHash)] = []
            rows.reserveCapacity(fresh.reduce(0) { $0 + $1.hashes.count })
            for entry in fresh {
                for hash in entry.hashes {
                    guard let imageID = imageIDs[entry.id]?[Int64(hash.imageKey)] else {
                        throw BankError(.storeFailed, "The bank's database did not number a new picture.")
                    }
                    rows.append((imageID, hash))
                }
            }
            var hashIDs: [String: [Int64]] = [:]
            var start = 0
            while start < rows.count {
                let chunk = rows[start..<min(rows.count, start + 50_000)]
                start += chunk.count
                for try await (ids, images) in try await c.query("""
                    WITH ins AS (
                        INSERT INTO hashes (image_id, algorithm, value, quality)
                        SELECT i, a, v, NULLIF(q, -1)
                        FROM UNNEST(\(chunk.map(\.imageID))::bigint[], \(chunk.map { $0.hash.algorithm.rawValue })::text[],
                                    \(chunk.map { ByteBuffer(bytes: $0.hash.value) })::bytea[], \(chunk.map { Int64($0.hash.quality ?? -1) })::bigint[])
                             WITH ORDINALITY AS t(i, a, v, q, n)
                        ORDER BY n
                        RETURNING id, image_id)
                    SELECT COALESCE(array_agg(id ORDER BY id), '{}'), COALESCE(array_agg(image_id ORDER BY id), '{}') FROM ins
                    """, logger: logger).decode(([Int64], [Int64]).self) {
                    for (id, image) in zip(ids, images) {
                        guard let caseID = caseOfImage[image] else { continue }
                        hashIDs[caseID, default: []].append(id)
                    }
                }
            }

            let details = fresh.map { "\($0.hashes.count) hashes of \(Set($0.hashes.map(\.imageKey)).count) pictures" }
            try await c.query("""
                INSERT INTO audit (at, actor, action, case_id, match_ref, detail)
                SELECT \(now), 'case', 'case_opened', ca, NULL, d FROM UNNEST(\(fresh.map(\.id))::text[], \(details)::text[]) WITH ORDINALITY AS t(ca, d, n) ORDER BY n
                """, logger: logger)

            // One numbered change per case, exactly as createCase records it.
            for entry in fresh {
                let images = imageIDs[entry.id].map { Array($0.values).sorted() } ?? []
                try await Self.recordChange(c, logger, kind: .hashesAdded, caseID: entry.id, hashIDs: (hashIDs[entry.id] ?? []).sorted(), imageIDs: images)
            }
            return Set(cases.map(\.id)).subtracting(inserted)
        }
    }
}
