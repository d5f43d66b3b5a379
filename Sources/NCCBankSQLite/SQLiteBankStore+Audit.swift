import Foundation
import GRDB
import NCCBank
import NCCHashing

/// The audit log: one record per action, written inside the action's own transaction.
extension SQLiteBankStore {
    static func audit(_ db: Database, actor: String, action: String, caseID: String? = nil, matchRef: String? = nil, detail: String? = nil) throws {
        try db.execute(
            sql: "INSERT INTO audit (at, actor, action, case_id, match_ref, detail) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [Date(), actor, action, caseID, matchRef, detail])
    }

    /// Audit entries, oldest first: the latest `limit`, or those after the id `after`.
    public func auditEntries(limit: Int, after: Int64?) async throws -> [AuditEntry] {
        try await read { db in
            let rows: [Row]
            if let after {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, limit])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM (SELECT * FROM audit ORDER BY id DESC LIMIT ?) ORDER BY id", arguments: [limit])
            }
            return rows.map { row in
                AuditEntry(id: row["id"], at: row["at"], actor: row["actor"], action: row["action"],
                           caseID: row["case_id"], matchRef: row["match_ref"], detail: row["detail"])
            }
        }
    }

    /// Appends one audit record.
    public func appendAudit(actor: String, action: String, caseID: String?, matchRef: String?, detail: String?) async throws {
        try await write { db in
            try Self.audit(db, actor: actor, action: action, caseID: caseID, matchRef: matchRef, detail: detail)
        }
    }
}
