import NCCExchange
import NCCHashCore
import NCCHashing

/// A matchable hash an exchange put in a bank (PDQ or MD5), as the matching indexes need it.
///
/// - Warning: holds a bank hash value; never log it or send it to a platform.
public struct ImportedHash: Sendable, Hashable {
    /// Its id in the store: positive, stable while the record exists (an upsert of the same record keeps it),
    /// never reused. Distinct from case image ids; the server's index keeps imported hashes as `-id`.
    public var id: Int64
    /// The bank it fills.
    public var bank: String
    /// The exchange it came from.
    public var exchange: String
    /// `.pdq` or `.md5`.
    public var algorithm: HashAlgorithm
    /// The value, `algorithm.bitCount / 8` bytes, most significant first.
    public var value: [UInt8]

    /// Makes an imported hash.
    public init(id: Int64, bank: String, exchange: String, algorithm: HashAlgorithm, value: [UInt8]) {
        self.id = id
        self.bank = bank
        self.exchange = exchange
        self.algorithm = algorithm
        self.value = value
    }
}

extension ImportedHash {
    /// The algorithm and value bytes an exchange record is matched with, or nil when it is stored but never
    /// matched: its kind has no algorithm (TMK, SHA-1, ...), or its value is not that algorithm's hex form.
    /// Every driver decides matchability with this one function.
    /// - Warning: returns a bank hash value; never log it.
    public static func matchable(_ id: ExchangeRecord.ID) -> (algorithm: HashAlgorithm, value: [UInt8])? {
        guard let algorithm = id.signalType.algorithm, id.signalValue.utf8.count == algorithm.hexLength,
              case .success(let bytes) = HexCodec.decodeBytes(utf8: id.signalValue.utf8) else { return nil }
        return (algorithm, bytes)
    }
}

/// What changed among imported hashes since a version: how a server's indexes follow the store, whoever wrote
/// it (its own fetch loop, `nccmatch exchange fetch`, another replica).
public struct ImportedChanges: Sendable {
    /// Hashes stored or re-stored since the version (an index replaces any entry with the same id).
    public var upserted: [ImportedHash]
    /// Ids removed since the version (withdrawn, deleted, replaced entries, removed exchanges). May name ids
    /// the follower never saw (records that are not matchable); ignore those.
    public var removed: [Int64]
    /// The version these changes bring the follower to; ask again after it.
    public var version: Int64
    /// Whether more changes wait past `version` (the `limit` was reached).
    public var hasMore: Bool

    /// Makes changes.
    public init(upserted: [ImportedHash], removed: [Int64], version: Int64, hasMore: Bool) {
        self.upserted = upserted
        self.removed = removed
        self.version = version
        self.hasMore = hasMore
    }
}

/// One bank item as the operator names it for quarantine: `<bank>/<id>`, the id being the case picture's image id
/// in the own bank or the imported hash's id in an exchange bank (the audit log's `quarantine_flagged` entries
/// give it). Holds no hash value.
public struct BankItemReference: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The bank's name.
    public var bank: String
    /// The item id within the bank.
    public var id: Int64

    /// Makes a reference.
    public init(bank: String, id: Int64) {
        self.bank = bank
        self.id = id
    }

    /// Reads `<bank>/<id>`; nil when malformed.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, BankSettings.isValidName(String(parts[0])), let id = Int64(parts[1]), id > 0 else { return nil }
        self.init(bank: String(parts[0]), id: id)
    }

    /// `<bank>/<id>`.
    public var description: String { "\(bank)/\(id)" }
}
