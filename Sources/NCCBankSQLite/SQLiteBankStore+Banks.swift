import Foundation
import GRDB
import NCCBank
import NCCExchange

/// Banks, exchanges' settings and quarantine (`ExchangeBankStore`); records, the change feed and feedback are in
/// `+Exchanges`. Each method is one transaction; the operator's changes are audited (actor `operator`).
extension SQLiteBankStore {
    // MARK: Banks

    static func bank(_ row: Row) -> BankSettings {
        BankSettings(name: row["name"], role: BankRole(rawValue: row["role"]) ?? .match, enabled: row["enabled"],
                     pdqDistance: row["pdq_distance"], distanceOverride: row["distance_override"],
                     createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    static func bankExists(_ db: Database, _ name: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM banks WHERE name = ?", arguments: [name]) != nil
    }

    /// Every bank, the own bank first, then by name.
    public func banks() async throws -> [BankSettings] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM banks ORDER BY name <> ?, name", arguments: [BankSettings.ownBankName]).map(Self.bank)
        }
    }

    /// Adds a bank (`bank_invalid`, `distance_too_wide`, `bank_exists`), with a `bank_added` audit record.
    public func addBank(_ settings: BankSettings) async throws {
        try settings.validate()
        try await write { db in
            guard try !Self.bankExists(db, settings.name) else { throw BankError.bankExists(settings.name) }
            try db.execute(sql: "INSERT INTO banks (name, role, enabled, pdq_distance, distance_override, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [settings.name, settings.role.rawValue, settings.enabled, settings.pdqDistance,
                                       settings.distanceOverride, settings.createdAt.timeIntervalSince1970])
            try Self.audit(db, actor: "operator", action: "bank_added", detail: settings.name)
        }
    }

    /// Replaces a bank's role, switch and distance (`bank_not_found`, `bank_invalid`, `distance_too_wide`), with
    /// a `bank_changed` audit record; its name and creation time stay.
    public func updateBank(_ settings: BankSettings) async throws {
        try settings.validate()
        try await write { db in
            guard try Self.bankExists(db, settings.name) else { throw BankError.bankNotFound(settings.name) }
            if settings.name == BankSettings.ownBankName, settings.role != .match { throw BankError.ownBankRoleFixed }
            try db.execute(sql: "UPDATE banks SET role = ?, enabled = ?, pdq_distance = ?, distance_override = ? WHERE name = ?",
                           arguments: [settings.role.rawValue, settings.enabled, settings.pdqDistance, settings.distanceOverride, settings.name])
            try Self.audit(db, actor: "operator", action: "bank_changed", detail: settings.name)
        }
    }

    /// Removes a bank no exchange fills (`bank_not_found`, `bank_in_use`), with its quarantine marks and a
    /// `bank_removed` audit record.
    public func removeBank(name: String) async throws {
        try await write { db in
            guard try Self.bankExists(db, name) else { throw BankError.bankNotFound(name) }
            if name == BankSettings.ownBankName { throw BankError.ownBankPermanent }
            if let exchange = try String.fetchOne(db, sql: "SELECT name FROM exchanges WHERE bank = ? ORDER BY name LIMIT 1", arguments: [name]) {
                throw BankError.bankFedByExchange(name, exchange: exchange)
            }
            try db.execute(sql: "DELETE FROM quarantine WHERE bank = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM banks WHERE name = ?", arguments: [name])
            try Self.audit(db, actor: "operator", action: "bank_removed", detail: name)
        }
    }

    // MARK: Exchanges

    static func exchange(_ row: Row) throws -> ExchangeSettings {
        guard let kind = ExchangeSettings.Kind(rawValue: row["kind"]),
              let credentials = try? JSONDecoder().decode([String: String].self, from: Data((row["credential_environment"] as String).utf8)) else {
            throw BankError(.storeCorrupt, "An exchange's settings in the bank are damaged; remove the exchange and add it again.")
        }
        return ExchangeSettings(name: row["name"], kind: kind, bank: row["bank"], endpoint: row["endpoint"], credentialEnvironment: credentials,
                                intervalSeconds: row["interval_seconds"], enabled: row["enabled"],
                                createdAt: Date(timeIntervalSince1970: row["created_at"]), feedbackSource: row["feedback_source"])
    }

    static func credentialsJSON(_ settings: ExchangeSettings) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(settings.credentialEnvironment), as: UTF8.self)
    }

    /// The row id of an exchange, or nil.
    static func exchangeID(_ db: Database, _ name: String) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM exchanges WHERE name = ?"), arguments: [name])
    }

    /// The row id of an exchange; throws `exchange_not_found`.
    static func requireExchange(_ db: Database, _ name: String) throws -> Int64 {
        guard let id = try exchangeID(db, name) else { throw BankError.exchangeNotFound(name) }
        return id
    }

    /// Every exchange, by name.
    public func exchanges() async throws -> [ExchangeSettings] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM exchanges ORDER BY name").map(Self.exchange) }
    }

    /// Adds an exchange (`bank_invalid`, `exchange_exists`, `bank_in_use`, `bank_not_found`), with an
    /// `exchange_added` audit record.
    public func addExchange(_ settings: ExchangeSettings) async throws {
        try BankError.validate(settings)
        let credentials = try Self.credentialsJSON(settings)
        try await write { db in
            guard try Self.exchangeID(db, settings.name) == nil else { throw BankError.exchangeExists(settings.name) }
            if settings.bank == BankSettings.ownBankName { throw BankError.ownBankNotForExchanges }
            guard try Self.bankExists(db, settings.bank) else { throw BankError.bankNotFound(settings.bank) }
            try db.execute(sql: """
                INSERT INTO exchanges (name, kind, bank, endpoint, credential_environment, interval_seconds, enabled, created_at, feedback_source)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [settings.name, settings.kind.rawValue, settings.bank, settings.endpoint, credentials,
                                 settings.intervalSeconds, settings.enabled, settings.createdAt.timeIntervalSince1970, settings.feedbackSource])
            try Self.audit(db, actor: "operator", action: "exchange_added", detail: "\(settings.name) into \(settings.bank)")
        }
    }

    /// Replaces an exchange's switch, interval, endpoint, credential names and feedback source (`bank_invalid`,
    /// `exchange_not_found`), with an `exchange_changed` audit record.
    public func updateExchange(_ settings: ExchangeSettings) async throws {
        try BankError.validate(settings)
        let credentials = try Self.credentialsJSON(settings)
        try await write { db in
            let id = try Self.requireExchange(db, settings.name)
            try db.execute(sql: "UPDATE exchanges SET enabled = ?, interval_seconds = ?, endpoint = ?, credential_environment = ?, feedback_source = ? WHERE id = ?",
                           arguments: [settings.enabled, settings.intervalSeconds, settings.endpoint, credentials, settings.feedbackSource, id])
            try Self.audit(db, actor: "operator", action: "exchange_changed", detail: settings.name)
        }
    }

    /// Removes an exchange with its records (each leaving a tombstone), checkpoint and pending feedback, with an
    /// `exchange_removed` audit record; returns how many records went.
    public func removeExchange(name: String) async throws -> Int {
        try await write { db in
            let id = try Self.requireExchange(db, name)
            let version = try Self.storeVersion(db)
            // Each removed record gets its own newer version, in id order.
            try db.execute(sql: """
                INSERT INTO imported_tombstones (hash_id, version)
                SELECT id, ? + ROW_NUMBER() OVER (ORDER BY id) FROM exchange_records WHERE exchange_id = ?
                """, arguments: [version, id])
            let removed = db.changesCount
            try db.execute(sql: "DELETE FROM exchange_records WHERE exchange_id = ?", arguments: [id])
            try Self.setStoreVersion(db, version + Int64(removed))
            try db.execute(sql: "DELETE FROM exchange_checkpoints WHERE exchange_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM feedback_outbox WHERE exchange = ? AND state = 'pending'", arguments: [name])
            try db.execute(sql: "DELETE FROM exchanges WHERE id = ?", arguments: [id])
            try Self.audit(db, actor: "operator", action: "exchange_removed", detail: "\(name): \(removed) records")
            return removed
        }
    }

    /// How many records an exchange holds (all signal types); throws `exchange_not_found`.
    public func exchangeRecordCount(exchange: String) async throws -> Int {
        try await read { db in
            let id = try Self.requireExchange(db, exchange)
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM exchange_records WHERE exchange_id = ?", arguments: [id]) ?? 0
        }
    }

    // MARK: Quarantine

    /// Sets or clears an item's quarantine (`bank_not_found`), with a `quarantined` or `released` audit record.
    public func setQuarantined(_ item: BankItemReference, _ quarantined: Bool) async throws {
        try await write { db in
            guard try Self.bankExists(db, item.bank) else { throw BankError.bankNotFound(item.bank) }
            if quarantined {
                try db.execute(sql: "INSERT OR IGNORE INTO quarantine (bank, item_id, at) VALUES (?, ?, ?)",
                               arguments: [item.bank, item.id, Date().timeIntervalSince1970])
            } else {
                try db.execute(sql: "DELETE FROM quarantine WHERE bank = ? AND item_id = ?", arguments: [item.bank, item.id])
            }
            try Self.audit(db, actor: "operator", action: quarantined ? "quarantined" : "released", detail: item.description)
        }
    }

    /// Every quarantined item, by bank and id.
    public func quarantinedItems() async throws -> [BankItemReference] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT bank, item_id FROM quarantine ORDER BY bank, item_id").map {
                BankItemReference(bank: $0["bank"], id: $0["item_id"])
            }
        }
    }
}
