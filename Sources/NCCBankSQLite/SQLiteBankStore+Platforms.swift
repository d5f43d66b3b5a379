import Foundation
import GRDB
import NCCBank
import NCCHashing

/// Platforms and their API keys (stored only hashed).
extension SQLiteBankStore {
    static func platform(from row: Row) -> PlatformRecord {
        let hash: Data = row["key_hash"]
        return PlatformRecord(id: row["id"], name: row["name"], keyPrefix: row["key_prefix"], keyHash: Array(hash),
                              createdAt: row["created_at"], revokedAt: row["revoked_at"])
    }

    /// The platform whose key has this prefix, revoked or not.
    public func platform(keyPrefix: String) async throws -> PlatformRecord? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM platforms WHERE key_prefix = ?", arguments: [keyPrefix]).map(Self.platform(from:))
        }
    }

    /// Adds a platform with the SHA-256 of its key, with a `platform_added` audit record.
    public func addPlatform(name: String, key: APIKey) async throws -> PlatformRecord {
        try await write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM platforms WHERE name = ?", arguments: [name]) != nil {
                throw BankError.platformExists(name)
            }
            try db.execute(sql: "INSERT INTO platforms (name, key_prefix, key_hash, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [name, key.prefix, Data(key.storedHash), Date()])
            let id = db.lastInsertedRowID
            try Self.audit(db, actor: "operator", action: "platform_added", detail: name)
            return try Self.platform(from: Row.fetchOne(db, sql: "SELECT * FROM platforms WHERE id = ?", arguments: [id])!)
        }
    }

    /// Every platform, in the order they were added.
    public func listPlatforms() async throws -> [PlatformRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM platforms ORDER BY id").map(Self.platform(from:))
        }
    }

    /// Revokes a platform's key (idempotent), with a `platform_revoked` audit record.
    public func revokePlatform(name: String) async throws -> PlatformRecord {
        try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM platforms WHERE name = ?", arguments: [name]) != nil else {
                throw BankError.platformNotFound(name)
            }
            try db.execute(sql: "UPDATE platforms SET revoked_at = COALESCE(revoked_at, ?) WHERE name = ?", arguments: [Date(), name])
            try Self.audit(db, actor: "operator", action: "platform_revoked", detail: name)
            return try Self.platform(from: Row.fetchOne(db, sql: "SELECT * FROM platforms WHERE name = ?", arguments: [name])!)
        }
    }
}
