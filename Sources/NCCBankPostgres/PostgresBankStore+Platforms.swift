import Foundation
import Logging
import NCCBank
import NCCHashing
import PostgresNIO

/// Platforms and their API keys (stored only hashed).
extension PostgresBankStore {

    static func platforms(_ rows: PostgresRowSequence) async throws -> [PlatformRecord] {
        var result: [PlatformRecord] = []
        for try await (id, name, prefix, hash, created, revoked) in rows.decode((Int64, String, String, Data, Date, Date?).self) {
            result.append(PlatformRecord(id: id, name: name, keyPrefix: prefix, keyHash: Array(hash), createdAt: created, revokedAt: revoked))
        }
        return result
    }

    /// The platform whose key has this prefix, revoked or not.
    public func platform(keyPrefix: String) async throws -> PlatformRecord? {
        try await transaction(writing: false) { c, logger in
            try await Self.platforms(try await c.query(
                "SELECT id, name, key_prefix, key_hash, created_at, revoked_at FROM platforms WHERE key_prefix = \(keyPrefix)", logger: logger)).first
        }
    }

    /// Adds a platform with the SHA-256 of its key, with a `platform_added` audit record.
    public func addPlatform(name: String, key: APIKey) async throws -> PlatformRecord {
        try await transaction { c, logger in
            try await c.query("LOCK TABLE platforms IN SHARE ROW EXCLUSIVE MODE", logger: logger)
            let existing = try await Self.platforms(try await c.query(
                "SELECT id, name, key_prefix, key_hash, created_at, revoked_at FROM platforms WHERE name = \(name)", logger: logger))
            if !existing.isEmpty {
                throw BankError.platformExists(name)
            }
            let added = try await Self.platforms(try await c.query("""
                INSERT INTO platforms (name, key_prefix, key_hash, created_at) VALUES (\(name), \(key.prefix), \(Data(key.storedHash)), \(Date()))
                RETURNING id, name, key_prefix, key_hash, created_at, revoked_at
                """, logger: logger))
            try await Self.audit(c, logger, actor: "operator", action: "platform_added", detail: name)
            guard let platform = added.first else { throw BankError(.storeFailed, "The bank's database did not store the platform.") }
            return platform
        }
    }

    /// Every platform, in the order they were added.
    public func listPlatforms() async throws -> [PlatformRecord] {
        try await transaction(writing: false) { c, logger in
            try await Self.platforms(try await c.query(
                "SELECT id, name, key_prefix, key_hash, created_at, revoked_at FROM platforms ORDER BY id", logger: logger))
        }
    }

    /// Revokes a platform's key (idempotent), with a `platform_revoked` audit record.
    public func revokePlatform(name: String) async throws -> PlatformRecord {
        try await transaction { c, logger in
            let updated = try await Self.platforms(try await c.query("""
                UPDATE platforms SET revoked_at = COALESCE(revoked_at, \(Date())) WHERE name = \(name)
                RETURNING id, name, key_prefix, key_hash, created_at, revoked_at
                """, logger: logger))
            guard let platform = updated.first else {
                throw BankError.platformNotFound(name)
            }
            try await Self.audit(c, logger, actor: "operator", action: "platform_revoked", detail: name)
            return platform
        }
    }
}
