import Foundation
import GRDB
import NCCBank
import NCCHashing

/// Export of whole cases (`nccmatch admin export`); import is `BankStore`'s default, one case per transaction.
extension SQLiteBankStore {
    /// Every active case with its secret verifier and hashes (picture numbers kept), ordered by case id.
    public func exportCases() async throws -> [NewCase] {
        try await read { db in
            var cases: [NewCase] = []
            var index: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, secret_hash, secret_salt, secret_parameters FROM cases WHERE status = 'active' ORDER BY id") {
                let id: String = row["id"]
                index[id] = cases.count
                cases.append(NewCase(id: id, secret: try Self.storedSecret(row), hashes: []))
            }
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT i.case_id, i.image_key, h.algorithm, h.value, h.quality, i.kind FROM hashes h JOIN images i ON i.id = h.image_id ORDER BY h.id
                """)
            while let row = try cursor.next() {
                // Damaged rows (wrong length, unknown algorithm) are left out, so that export saves the rest.
                guard let caseID = String.fromDatabaseValue(row[0]), let at = index[caseID],
                      let (algorithm, value) = Self.hashValue(algorithm: row[2], value: row[3]),
                      let imageKey = Int.fromDatabaseValue(row[1]) else { continue }
                cases[at].hashes.append(NewHash(algorithm: algorithm, value: value, quality: Int.fromDatabaseValue(row[4]), imageKey: imageKey,
                                                       kind: Self.itemKind(row[5])))
            }
            return cases
        }
    }
}
