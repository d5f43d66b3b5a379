import Foundation
import NCCExchange

/// The store of the named banks and the exchanges that fill them: the banks' settings, the exchanges'
/// settings, their records and checkpoints (`ExchangeRecordStore`), the feedback waiting to go back out
/// (`FeedbackOutbox`), the imported hashes' change feed, their match references and quarantine.
///
/// Every method is one transaction, durable when it returns, like `BankStore`'s. `SQLiteBankStore`,
/// `PostgresBankStore` and `MemoryBankStore` implement it; the contract bodies in
/// `Tests/NCCBankTests/ExchangeBankContract.swift` hold every driver to the same behaviour.
///
/// Rules every driver keeps:
/// - The own bank (`BankSettings.ownBankName`, role match, enabled) exists from the start; it cannot be removed
///   and no exchange fills it.
/// - `apply(_:checkpoint:exchange:)` (from `ExchangeRecordStore`) throws `exchange_not_found` for an exchange
///   that is not configured; records are keyed by exchange and `ExchangeRecord.ID`; an upsert of a stored id
///   keeps its imported-hash id and moves it to a newer version; a removal leaves a tombstone at a newer
///   version. Records whose signal type has no algorithm (TMK, SHA-1, ...) are stored but never appear in
///   `importedChanges`'s `upserted`.
/// - Versions increase across the whole store (every exchange), so one follower sees every change once in order.
/// - Removing an exchange removes its records (with tombstones), its checkpoint and its pending feedback items
///   (delivered ones stay visible), in one transaction.
///
/// - Warning: returns imported hash values (`importedChanges`, `records`); never log or serve them.
public protocol ExchangeBankStore: ExchangeRecordStore, FeedbackOutbox {
    /// Every bank, the own bank first, then by name.
    func banks() async throws -> [BankSettings]

    /// Adds a bank. Validates it (`BankSettings.validate`); throws `bank_exists` for a name in use.
    func addBank(_ settings: BankSettings) async throws

    /// Replaces a bank's settings (role, enabled, distance, override); the name and `createdAt` stay.
    /// Validates; throws `bank_not_found`. The own bank's role stays `match` (`bank_invalid` otherwise).
    func updateBank(_ settings: BankSettings) async throws

    /// Removes an empty bank. Throws `bank_not_found`, or `bank_in_use` for the own bank or a bank an exchange fills.
    func removeBank(name: String) async throws

    /// Every exchange, by name.
    func exchanges() async throws -> [ExchangeSettings]

    /// Adds an exchange. Throws `exchange_exists`, `bank_not_found` for an unknown bank, `bank_in_use` for the
    /// own bank, `bank_invalid` for a bad name or an interval under `ExchangeSettings.minimumInterval`.
    func addExchange(_ settings: ExchangeSettings) async throws

    /// Replaces an exchange's `enabled`, `intervalSeconds`, `endpoint` and `credentialEnvironment` (its name, kind
    /// and bank stay). Throws `exchange_not_found`, `bank_invalid`.
    func updateExchange(_ settings: ExchangeSettings) async throws

    /// Removes an exchange with its records, checkpoint and pending feedback; returns how many records went.
    /// Throws `exchange_not_found`.
    func removeExchange(name: String) async throws -> Int

    /// How many records an exchange holds (all signal types).
    func exchangeRecordCount(exchange: String) async throws -> Int

    /// Imported hash changes after `version` (0 = from the start), at most `limit` upserts and removals together,
    /// oldest first. A follower starting at 0 gets the current matchable hashes and may get removals of ids it
    /// never saw.
    func importedChanges(after version: Int64, limit: Int) async throws -> ImportedChanges

    /// The match reference of each imported hash for this platform (`MatchReferenceKey.importedReference`),
    /// remembered so feedback can find the record later, with one audit record per matched hash (actor
    /// `platform:<name>`, action `match`, the reference, detail `bank <name>`). Ids no longer stored are left out.
    func importedMatchReferences(platform: PlatformRecord, hashIDs: [Int64]) async throws -> [Int64: String]

    /// A platform's review outcome on a match reference made by `importedMatchReferences`: queues one feedback
    /// item (`FeedbackOutbox.enqueue`, keyed by exchange, record and outcome) and writes an audit record, in
    /// one transaction. Returns whether the item was new. Throws `match_ref_not_found` for a reference this
    /// platform did not receive, `hash_withdrawn` when the record is no longer stored.
    @discardableResult
    func recordImportedFeedback(platform: PlatformRecord, matchRef: String, outcome: FeedbackOutcome, contentID: String?) async throws -> Bool

    /// Sets or clears an item's quarantine (an operator's decision; audit action `quarantined` or `released`).
    /// Throws `bank_not_found` for an unknown bank. A quarantined item is never matched.
    func setQuarantined(_ item: BankItemReference, _ quarantined: Bool) async throws

    /// Every quarantined item.
    func quarantinedItems() async throws -> [BankItemReference]
}
