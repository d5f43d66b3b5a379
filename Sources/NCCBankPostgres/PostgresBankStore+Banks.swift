import Foundation
import Logging
import NCCBank
import NCCExchange
import PostgresNIO

/// Named banks (`ExchangeBankStore`): their settings, and the quarantine of single items.
extension PostgresBankStore {
    static let bankColumns = "name, role, enabled, pdq_distance, distance_override, created_at"

    static func banks(_ rows: PostgresRowSequence) async throws -> [BankSettings] {
        var result: [BankSettings] = []
        for try await (name, role, enabled, distance, override, created) in rows.decode((String, String, Bool, Int32?, Bool, Date).self) {
            guard let role = BankRole(rawValue: role) else {
                throw BankError(.storeCorrupt, "The bank \(name) has an unknown role; the bank was written by a newer nccmatch, or is damaged.")
            }
            result.append(BankSettings(name: name, role: role, enabled: enabled, pdqDistance: distance.map(Int.init),
                                       distanceOverride: override, createdAt: created))
        }
        return result
    }

    /// The bank named `name`, locked against concurrent changes until the transaction ends, or nil.
    static func lockedBank(_ c: PostgresConnection, _ logger: Logger, name: String) async throws -> BankSettings? {
        try await banks(try await c.query("SELECT \(unescaped: bankColumns) FROM banks WHERE name = \(name) FOR UPDATE", logger: logger)).first
    }

    /// Whether a server error is a unique violation (SQLSTATE 23505), such as a name already in use.
    static func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }

    /// Every bank, the own bank first, then by name.
    public func banks() async throws -> [BankSettings] {
        try await transaction(writing: false) { c, logger in
            try await Self.banks(try await c.query("""
                SELECT \(unescaped: Self.bankColumns) FROM banks ORDER BY name <> \(BankSettings.ownBankName), name
                """, logger: logger))
        }
    }

    /// Adds a bank (`bank_invalid`, `distance_too_wide`, `bank_exists`), with a `bank_added` audit record.
    public func addBank(_ settings: BankSettings) async throws {
        try settings.validate()
        try await transaction { c, logger in
            do {
                try await c.query("""
                    INSERT INTO banks (name, role, enabled, pdq_distance, distance_override, created_at)
                    VALUES (\(settings.name), \(settings.role.rawValue), \(settings.enabled), \(settings.pdqDistance.map(Int32.init)), \(settings.distanceOverride), \(settings.createdAt))
                    """, logger: logger)
            } catch where Self.isUniqueViolation(error) {
                throw BankError.bankExists(settings.name)
            }
            try await Self.audit(c, logger, actor: "operator", action: "bank_added", detail: settings.name)
        }
    }

    /// Replaces a bank's role, switch and distance (`bank_not_found`, `bank_invalid`, `distance_too_wide`); its
    /// name and creation time stay. Writes a `bank_changed` audit record.
    public func updateBank(_ settings: BankSettings) async throws {
        try settings.validate()
        try await transaction { c, logger in
            guard try await Self.lockedBank(c, logger, name: settings.name) != nil else {
                throw BankError.bankNotFound(settings.name)
            }
            if settings.name == BankSettings.ownBankName && settings.role != .match { throw BankError.ownBankRoleFixed }
            try await c.query("""
                UPDATE banks SET role = \(settings.role.rawValue), enabled = \(settings.enabled), pdq_distance = \(settings.pdqDistance.map(Int32.init)),
                    distance_override = \(settings.distanceOverride)
                WHERE name = \(settings.name)
                """, logger: logger)
            try await Self.audit(c, logger, actor: "operator", action: "bank_changed", detail: settings.name)
        }
    }

    /// Removes a bank no exchange fills (`bank_not_found`, `bank_in_use`; never the own bank), with its quarantined
    /// items and a `bank_removed` audit record.
    public func removeBank(name: String) async throws {
        try await transaction { c, logger in
            if name == BankSettings.ownBankName { throw BankError.ownBankPermanent }
            guard try await Self.lockedBank(c, logger, name: name) != nil else {
                throw BankError.bankNotFound(name)
            }
            for try await exchange in try await c.query("SELECT name FROM exchanges WHERE bank = \(name) ORDER BY name LIMIT 1", logger: logger).decode(String.self) {
                throw BankError.bankFedByExchange(name, exchange: exchange)
            }
            try await c.query("DELETE FROM banks WHERE name = \(name)", logger: logger)
            try await Self.audit(c, logger, actor: "operator", action: "bank_removed", detail: name)
        }
    }

    /// Sets or clears an item's quarantine, with a `quarantined` or `released` audit record.
    public func setQuarantined(_ item: BankItemReference, _ quarantined: Bool) async throws {
        try await transaction { c, logger in
            var exists = false
            for try await _ in try await c.query("SELECT 1 FROM banks WHERE name = \(item.bank) FOR SHARE", logger: logger).decode(Int.self) {
                exists = true
            }
            guard exists else { throw BankError.bankNotFound(item.bank) }
            if quarantined {
                try await c.query("""
                    INSERT INTO quarantine (bank, item_id, created_at) VALUES (\(item.bank), \(item.id), \(Date())) ON CONFLICT (bank, item_id) DO NOTHING
                    """, logger: logger)
            } else {
                try await c.query("DELETE FROM quarantine WHERE bank = \(item.bank) AND item_id = \(item.id)", logger: logger)
            }
            try await Self.audit(c, logger, actor: "operator", action: quarantined ? "quarantined" : "released", detail: item.description)
        }
    }

    /// Every quarantined item, by bank and id.
    public func quarantinedItems() async throws -> [BankItemReference] {
        try await transaction(writing: false) { c, logger in
            var items: [BankItemReference] = []
            for try await (bank, id) in try await c.query("SELECT bank, item_id FROM quarantine ORDER BY bank, item_id", logger: logger).decode((String, Int64).self) {
                items.append(BankItemReference(bank: bank, id: id))
            }
            return items
        }
    }
}
