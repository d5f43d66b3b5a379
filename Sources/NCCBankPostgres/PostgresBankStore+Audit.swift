import Foundation
import Logging
import NCCBank
import NCCHashing
import PostgresNIO

/// The audit log: one record per action, written inside the action's own transaction.
extension PostgresBankStore {
    static func audit(_ c: PostgresConnection, _ logger: Logger, actor: String, action: String, caseID: String? = nil, matchRef: String? = nil, detail: String? = nil) async throws {
        try await c.query("""
            INSERT INTO audit (at, actor, action, case_id, match_ref, detail) VALUES (\(Date()), \(actor), \(action), \(caseID), \(matchRef), \(detail))
            """, logger: logger)
    }

    /// Audit entries, oldest first: the latest `limit`, or those after the id `after`.
    public func auditEntries(limit: Int, after: Int64?) async throws -> [AuditEntry] {
        try await transaction(writing: false) { c, logger in
            let rows: PostgresRowSequence
            if let after {
                rows = try await c.query("""
                    SELECT id, at, actor, action, case_id, match_ref, detail FROM audit WHERE id > \(after) ORDER BY id LIMIT \(limit)
                    """, logger: logger)
            } else {
                rows = try await c.query("""
                    SELECT * FROM (SELECT id, at, actor, action, case_id, match_ref, detail FROM audit ORDER BY id DESC LIMIT \(limit)) AS latest ORDER BY id
                    """, logger: logger)
            }
            var entries: [AuditEntry] = []
            for try await (id, at, actor, action, caseID, matchRef, detail) in rows.decode((Int64, Date, String, String, String?, String?, String?).self) {
                entries.append(AuditEntry(id: id, at: at, actor: actor, action: action, caseID: caseID, matchRef: matchRef, detail: detail))
            }
            return entries
        }
    }

    /// Appends one audit record.
    public func appendAudit(actor: String, action: String, caseID: String?, matchRef: String?, detail: String?) async throws {
        try await transaction { c, logger in
            try await Self.audit(c, logger, actor: actor, action: action, caseID: caseID, matchRef: matchRef, detail: detail)
        }
    }
}
