import Foundation
import Logging
import NCCBank
import NCCHashing
import Synchronization

/// The named banks as this server matches them: each bank's settings, which bank each imported hash in the
/// matching indexes belongs to, the quarantined items, and how far the server has followed the store's
/// imported-hash change feed.
///
/// Imported hashes live in the same `BankIndex` as the victims' case pictures, under the index id
/// `-ImportedHash.id` (negative; case pictures keep their positive image ids and belong to the own bank,
/// `BankSettings.ownBankName`), so the probing guard, the daily budget and the search are shared. `refresh()`
/// follows `ExchangeBankStore.importedChanges(after:limit:)`, whoever wrote the changes (this server's fetch loop,
/// `nccmatch exchange fetch`, another replica), then re-reads the banks' settings and the quarantine.
///
/// A store that is not an `ExchangeBankStore` has only the own bank, enabled, at the service's distances.
///
/// - Warning: feeds bank hash values into the indexes; none of them may be logged.
final class ImportedBanks: Sendable {
    /// What matching reads, under one lock.
    private struct State {
        /// Every bank by name; the own bank is there before the first refresh.
        var banks: [String: BankSettings] = [BankSettings.ownBankName: .ownBank()]
        /// Bank names, interned: `bankOf` holds positions in it (a million imported hashes, a handful of banks).
        var names: [String] = []
        var nameIndex: [String: Int32] = [:]
        /// Imported hash id (positive, `ImportedHash.id`) to its bank's position in `names` and a digest of its
        /// algorithm and value (so a re-delivered record, the same value under the same id, costs no index work).
        var bankOf: [Int64: Entry] = [:]
        var quarantined: Set<BankItemReference> = []
        /// The change-feed version the indexes hold.
        var version: Int64 = 0

        struct Entry {
            var bank: Int32
            var digest: UInt64
        }

        mutating func intern(_ name: String) -> Int32 {
            if let at = nameIndex[name] { return at }
            let at = Int32(names.count)
            names.append(name)
            nameIndex[name] = at
            return at
        }
    }

    /// The settings and quarantine in force for one match request, and the bank of each matched index id.
    struct View: Sendable {
        /// Every bank by name.
        var banks: [String: BankSettings]
        /// Quarantined items: never matched.
        var quarantined: Set<BankItemReference>
        /// The bank of each index id asked about (positive: the own bank; negative: an imported hash's bank).
        /// An id missing here is not (or no longer) known: it is not answered.
        var bankOf: [Int64: String]

        /// The bank item behind an index id, as the operator names it for quarantine.
        static func item(indexID: Int64, bank: String) -> BankItemReference {
            BankItemReference(bank: bank, id: ImportedIndexID.hashID(indexID) ?? indexID)
        }
    }

    /// The store's banks and imported hashes; nil when the store has no named banks.
    let store: (any ExchangeBankStore)?
    private let index: BankIndex
    private let logger: Logger
    private let state = Mutex(State())
    /// One refresh at a time (the follower's tick and the fetch loop's call after a page).
    private let refreshing = AsyncLock()
    /// Refreshes failed in a row (for logging once, not every second).
    private let failures = Atomic<Int>(0)
    /// Upserts and removals asked of the store per call: large batches keep a million-hash feed cheap to read.
    static let batchLimit = 10_000

    /// Follows `store`'s named banks into `index`.
    init(store: any BankStore, index: BankIndex, logger: Logger) {
        self.store = store as? any ExchangeBankStore
        self.index = index
        self.logger = logger
    }

    /// The change-feed version the indexes hold (0 before the first refresh).
    var version: Int64 { state.withLock { $0.version } }

    /// Imported hashes in the indexes.
    var importedCount: Int { state.withLock { $0.bankOf.count } }

    /// Every bank's settings, by name.
    var banks: [String: BankSettings] { state.withLock { $0.banks } }

    /// The quarantined items as last read.
    var quarantined: Set<BankItemReference> { state.withLock { $0.quarantined } }

    /// Counts a failed refresh; returns how many failed in a row.
    func noteFailure() -> Int { failures.add(1, ordering: .relaxed).newValue }

    /// Counts a refresh that worked; returns whether refreshes had been failing.
    func noteSuccess() -> Bool { failures.exchange(0, ordering: .relaxed) > 0 }

    /// The settings, quarantine and banks of `indexIDs` for one request.
    func view(resolving indexIDs: some Sequence<Int64>) -> View {
        state.withLock { s in
            var bankOf: [Int64: String] = [:]
            for id in indexIDs where bankOf[id] == nil {
                if id > 0 {
                    bankOf[id] = BankSettings.ownBankName
                } else if let hashID = ImportedIndexID.hashID(id), let entry = s.bankOf[hashID] {
                    bankOf[id] = s.names[Int(entry.bank)]
                }
            }
            return View(banks: s.banks, quarantined: s.quarantined, bankOf: bankOf)
        }
    }

    /// Brings the indexes up to the store's imported hashes (batches of `batchLimit` until none is left), then
    /// re-reads the banks' settings and the quarantine. Runs one at a time; a call while another runs waits for
    /// it and then reads again, so a caller that just applied a page sees it matched (or withdrawn) on return.
    ///
    /// - Throws: the store's `BankError`; what was applied before the failure stays applied (each batch moves the
    ///   version it brings), and the next call continues from there.
    func refresh() async throws {
        guard let store else { return }
        try await refreshing.run {
            var version = self.version
            while true {
                let changes = try await store.importedChanges(after: version, limit: Self.batchLimit)
                self.apply(changes)
                guard changes.hasMore else { break }
                if changes.version <= version {
                    // A driver that says there is more but does not move on would loop forever: stop until the next tick.
                    self.logger.error("imported hash feed did not advance", metadata: ["version": "\(version)"])
                    break
                }
                version = changes.version
            }
            let banks = try await store.banks()
            let quarantined = try await store.quarantinedItems()
            self.state.withLock { s in
                var byName: [String: BankSettings] = [:]
                for bank in banks { byName[bank.name] = bank }
                // The own bank always exists; a store that has not listed it yet keeps the default.
                if byName[BankSettings.ownBankName] == nil { byName[BankSettings.ownBankName] = .ownBank() }
                s.banks = byName
                s.quarantined = Set(quarantined)
            }
        }
    }

    /// A digest of an imported hash's algorithm and value, to tell a re-delivered record from a changed one. FNV-1a:
    /// stable, no seed needed (an equal digest for a changed value would leave the old value matched until the
    /// record is removed; a record's id names its value, so this does not happen with a store that keeps the
    /// contract).
    private static func digest(_ hash: ImportedHash) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Array(hash.algorithm.rawValue.utf8) + [0] + hash.value {
            h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// Applies one batch of the change feed to the indexes: an upsert of an id already held with the same bank and
    /// value changes nothing; otherwise it first removes the id (a replaced record), then inserts the hash as a
    /// picture under `-id`; a removal drops the id if it was held (ids never seen, for
    /// records that are not matchable, are ignored). The bank of a new id is known before the index holds it, and
    /// a removed id leaves the index before its bank is forgotten, so a concurrent match never meets an id of
    /// unknown bank.
    private func apply(_ changes: ImportedChanges) {
        var hashes: [StoredHash] = []
        hashes.reserveCapacity(changes.upserted.count)
        var skipped = 0
        let replaced: Set<Int64> = state.withLock { s in
            var replaced = Set<Int64>()
            for hash in changes.upserted {
                guard hash.id > 0, hash.value.count * 8 == hash.algorithm.bitCount, hash.algorithm == .pdq || hash.algorithm == .md5 else {
                    skipped += 1
                    continue
                }
                let entry = State.Entry(bank: s.intern(hash.bank), digest: Self.digest(hash))
                if let old = s.bankOf.updateValue(entry, forKey: hash.id) {
                    // The same record again (duplicates in a feed, a re-read from an earlier checkpoint): nothing to do.
                    if old.bank == entry.bank && old.digest == entry.digest { continue }
                    replaced.insert(ImportedIndexID.of(hash.id))
                }
                hashes.append(StoredHash(id: ImportedIndexID.of(hash.id), imageID: ImportedIndexID.of(hash.id), algorithm: hash.algorithm, value: hash.value, kind: .picture))
            }
            return replaced
        }
        if skipped > 0 {
            logger.error("imported hashes not indexed", metadata: ["count": "\(skipped)", "reason": "not a PDQ or MD5 of its length"])
        }
        if !replaced.isEmpty { index.removeImages(replaced) }
        index.insert(hashes)
        let removed: [Int64] = state.withLock { s in changes.removed.filter { $0 > 0 && s.bankOf[$0] != nil } }
        if !removed.isEmpty { index.removeImages(Set(removed.map(ImportedIndexID.of))) }
        state.withLock { s in
            for id in removed { s.bankOf[id] = nil }
            s.version = max(s.version, changes.version)
        }
    }
}
