import Foundation
import NCCExchange
import NCCHashing

/// What a bank's hashes do when an upload is near them.
public enum BankRole: String, Sendable, Hashable, Codable, CaseIterable {
    /// A match is answered to the platform (the victims' own bank, exchange banks).
    case match
    /// Known false positives: an upload near one of these hashes gets no match from any bank.
    case allow
}

/// One named bank of the service, as the operator configured it (`nccmatch bank ...`).
///
/// The victims' cases always go to the operator's own bank, `BankSettings.ownBankName`, which exists in every
/// store from the start and cannot be removed. Exchange banks are filled by exchanges (`ExchangeSettings.bank`).
public struct BankSettings: Sendable, Hashable, Codable {
    /// The name of the operator's own bank, where victims' cases go.
    public static let ownBankName = "cases"

    /// The unique name (`ExchangeSettings.isValidName`); answers name the matching bank with it.
    public var name: String
    /// Match or allow-list.
    public var role: BankRole
    /// Whether its hashes are matched at all; a disabled bank answers nothing and keeps its hashes.
    public var enabled: Bool
    /// The PDQ distance its hashes match within (nil: the service's default, 31). Never wider than
    /// `HashAlgorithm.pdq.defaultMaxDistance` unless `distanceOverride` is set. MD5 and SHA-256 are always exact;
    /// pHash and dHash exist in the own bank only and keep the service's levels.
    public var pdqDistance: Int?
    /// The operator explicitly allowed a distance wider than the safe default (`--allow-wide-distance`).
    public var distanceOverride: Bool
    /// When it was made.
    public var createdAt: Date

    /// Makes settings.
    public init(name: String, role: BankRole = .match, enabled: Bool = true, pdqDistance: Int? = nil,
                distanceOverride: Bool = false, createdAt: Date = Date()) {
        self.name = name
        self.role = role
        self.enabled = enabled
        self.pdqDistance = pdqDistance
        self.distanceOverride = distanceOverride
        self.createdAt = createdAt
    }

    /// The operator's own bank as a new store makes it.
    public static func ownBank(createdAt: Date = Date()) -> BankSettings { BankSettings(name: ownBankName, createdAt: createdAt) }

    /// Throws `distance_too_wide` when `pdqDistance` is above PDQ's default (31) without `distanceOverride`, or
    /// outside 0...256; `bank_invalid` for a bad name.
    public func validate() throws {
        guard Self.isValidName(name) else {
            throw BankError(.bankInvalid, "A bank name is 1 to 64 characters of a-z, 0-9, '_' and '-', starting with a letter.")
        }
        if let d = pdqDistance {
            guard (0...256).contains(d) else { throw BankError(.distanceTooWide, "A PDQ distance is between 0 and 256 bits.") }
            if d > HashAlgorithm.pdq.defaultMaxDistance && !distanceOverride {
                throw BankError(.distanceTooWide, "A PDQ distance above \(HashAlgorithm.pdq.defaultMaxDistance) matches unrelated pictures; give --allow-wide-distance if this bank really needs \(d).")
            }
        }
    }

    /// Same rule as `ExchangeSettings.isValidName`: 1 to 64 of `a-z`, `0-9`, `_`, `-`, starting with a letter.
    public static func isValidName(_ name: String) -> Bool { ExchangeSettings.isValidName(name) }
}
