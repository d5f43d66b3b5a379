import Foundation
import NCCExchange
import NCCHashing

/// The banks' and exchanges' part of a `MemoryBankStore`: banks, exchanges with their records and checkpoints,
/// the change feed's log, imported match references, the feedback outbox and quarantine. Lives inside the
/// store's one lock (`MemoryBankStore.withExchangeState`).
struct MemoryExchangeState: Sendable {
    /// An audit record a change asks for; the store writes it with its own log under the same lock.
    struct AuditNote: Sendable {
        var actor: String
        var action: String
        var matchRef: String?
        var detail: String?
    }

    /// A record with its imported-hash id and the version of its last change.
    struct StoredRecord: Sendable {
        var hashID: Int64
        var record: ExchangeRecord
        var version: Int64
        var matchable: (algorithm: HashAlgorithm, value: [UInt8])?
    }

    /// One exchange: its settings, records and checkpoint.
    struct Feed: Sendable {
        var settings: ExchangeSettings
        var records: [ExchangeRecord.ID: StoredRecord] = [:]
        var byEntry: [UpstreamEntry: Set<ExchangeRecord.ID>] = [:]
        var checkpoint: ExchangeCheckpoint?
    }

    /// Where an imported-hash id lives.
    struct Location: Sendable {
        var exchange: String
        var record: ExchangeRecord.ID
    }

    /// One change of the feed, in version order: a matchable upsert (stale once the record changed again or
    /// went) or a removal (a tombstone, never stale).
    struct LogEntry: Sendable {
        var version: Int64
        var hashID: Int64
        var removed: Bool
    }

    /// What an imported match reference points at; kept after the record goes.
    struct ImportedReference: Sendable {
        var platformID: Int64
        var hashID: Int64
        var exchange: String
        var record: ExchangeRecord.ID
    }

    struct ReferencePair: Hashable, Sendable {
        var platformID: Int64
        var hashID: Int64
    }

    var banks: [String: BankSettings] = [BankSettings.ownBankName: .ownBank()]
    var feeds: [String: Feed] = [:]
    var locations: [Int64: Location] = [:]
    var log: [LogEntry] = []
    var staleLogEntries = 0
    var version: Int64 = 0
    var lastHashID: Int64 = 0
    var references: [ReferencePair: String] = [:]
    var referenceOwners: [String: ImportedReference] = [:]
    var outbox = FeedbackQueue()
    var quarantined: Set<BankItemReference> = []
    var audit: [AuditNote] = []

    mutating func note(_ action: String, actor: String = "operator", matchRef: String? = nil, detail: String?) {
        audit.append(AuditNote(actor: actor, action: action, matchRef: matchRef, detail: detail))
    }

    func requireFeed(_ exchange: String) throws {
        guard feeds[exchange] != nil else { throw BankError.exchangeNotFound(exchange) }
    }

    /// Stores `record` in `exchange` (which exists), keeping its hash id when the id is stored; a withdrawn or
    /// deleted record removes it instead.
    mutating func put(_ record: ExchangeRecord, exchange: String) {
        if record.status.removesHash { return remove(record.id, exchange: exchange) }
        version += 1
        let matchable = ImportedHash.matchable(record.id)
        let hashID: Int64
        if let existing = feeds[exchange]!.records[record.id] {
            hashID = existing.hashID
            if existing.matchable != nil { staleLogEntries += 1 }
        } else {
            lastHashID += 1
            hashID = lastHashID
            locations[hashID] = Location(exchange: exchange, record: record.id)
            if let entry = record.id.entry { feeds[exchange]!.byEntry[entry, default: []].insert(record.id) }
        }
        feeds[exchange]!.records[record.id] = StoredRecord(hashID: hashID, record: record, version: version, matchable: matchable)
        if matchable != nil { log.append(LogEntry(version: version, hashID: hashID, removed: false)) }
    }

    /// Removes `id` from `exchange` (which exists) with a tombstone, if stored.
    mutating func remove(_ id: ExchangeRecord.ID, exchange: String) {
        guard let existing = feeds[exchange]!.records.removeValue(forKey: id) else { return }
        version += 1
        locations[existing.hashID] = nil
        if let entry = id.entry {
            feeds[exchange]!.byEntry[entry]?.remove(id)
            if feeds[exchange]!.byEntry[entry]?.isEmpty == true { feeds[exchange]!.byEntry[entry] = nil }
        }
        if existing.matchable != nil { staleLogEntries += 1 }
        log.append(LogEntry(version: version, hashID: existing.hashID, removed: true))
    }

    /// Whether a log entry still says something: a tombstone always, an upsert while it is the record's last change.
    func isCurrent(_ entry: LogEntry) -> Bool {
        if entry.removed { return true }
        guard let location = locations[entry.hashID] else { return false }
        return feeds[location.exchange]?.records[location.record]?.version == entry.version
    }

    /// Drops stale upserts once they are most of the log.
    mutating func compactLog() {
        guard log.count > 1024, staleLogEntries * 2 > log.count else { return }
        log = log.filter(isCurrent)
        staleLogEntries = 0
    }

}

/// Banks and exchanges in memory (`ExchangeBankStore`): the same rules and refusals as the SQLite and PostgreSQL
/// drivers, under the store's one lock.
extension MemoryBankStore: ExchangeBankStore {
    // MARK: Banks

    /// Every bank, the own bank first, then by name.
    public func banks() async throws -> [BankSettings] {
        try withExchangeState { state, _ in
            let others = state.banks.values.filter { $0.name != BankSettings.ownBankName }.sorted { $0.name < $1.name }
            return [state.banks[BankSettings.ownBankName]!] + others
        }
    }

    /// Adds a bank (`bank_invalid`, `distance_too_wide`, `bank_exists`), with a `bank_added` audit record.
    public func addBank(_ settings: BankSettings) async throws {
        try withExchangeState { state, _ in
            try settings.validate()
            guard state.banks[settings.name] == nil else { throw BankError.bankExists(settings.name) }
            state.banks[settings.name] = settings
            state.note("bank_added", detail: settings.name)
        }
    }

    /// Replaces a bank's role, switch and distance (`bank_not_found`, `bank_invalid`, `distance_too_wide`), with
    /// a `bank_changed` audit record.
    public func updateBank(_ settings: BankSettings) async throws {
        try withExchangeState { state, _ in
            try settings.validate()
            guard let old = state.banks[settings.name] else { throw BankError.bankNotFound(settings.name) }
            if settings.name == BankSettings.ownBankName, settings.role != .match { throw BankError.ownBankRoleFixed }
            var new = settings
            new.createdAt = old.createdAt
            state.banks[settings.name] = new
            state.note("bank_changed", detail: settings.name)
        }
    }

    /// Removes a bank no exchange fills (`bank_not_found`, `bank_in_use`), with its quarantine marks and a
    /// `bank_removed` audit record.
    public func removeBank(name: String) async throws {
        try withExchangeState { state, _ in
            guard state.banks[name] != nil else { throw BankError.bankNotFound(name) }
            if name == BankSettings.ownBankName { throw BankError.ownBankPermanent }
            if let feeding = state.feeds.values.map(\.settings).filter({ $0.bank == name }).map(\.name).min() {
                throw BankError.bankFedByExchange(name, exchange: feeding)
            }
            state.banks[name] = nil
            state.quarantined = state.quarantined.filter { $0.bank != name }
            state.note("bank_removed", detail: name)
        }
    }

    // MARK: Exchanges

    /// Every exchange, by name.
    public func exchanges() async throws -> [ExchangeSettings] {
        try withExchangeState { state, _ in state.feeds.values.map(\.settings).sorted { $0.name < $1.name } }
    }

    /// Adds an exchange (`bank_invalid`, `exchange_exists`, `bank_in_use`, `bank_not_found`), with an
    /// `exchange_added` audit record.
    public func addExchange(_ settings: ExchangeSettings) async throws {
        try withExchangeState { state, _ in
            try BankError.validate(settings)
            guard state.feeds[settings.name] == nil else { throw BankError.exchangeExists(settings.name) }
            if settings.bank == BankSettings.ownBankName { throw BankError.ownBankNotForExchanges }
            guard state.banks[settings.bank] != nil else { throw BankError.bankNotFound(settings.bank) }
            state.feeds[settings.name] = MemoryExchangeState.Feed(settings: settings)
            state.note("exchange_added", detail: "\(settings.name) into \(settings.bank)")
        }
    }

    /// Replaces an exchange's switch, interval, endpoint, credential names and feedback source (`bank_invalid`,
    /// `exchange_not_found`), with an `exchange_changed` audit record.
    public func updateExchange(_ settings: ExchangeSettings) async throws {
        try withExchangeState { state, _ in
            try BankError.validate(settings)
            guard state.feeds[settings.name] != nil else { throw BankError.exchangeNotFound(settings.name) }
            state.feeds[settings.name]!.settings.enabled = settings.enabled
            state.feeds[settings.name]!.settings.intervalSeconds = settings.intervalSeconds
            state.feeds[settings.name]!.settings.endpoint = settings.endpoint
            state.feeds[settings.name]!.settings.credentialEnvironment = settings.credentialEnvironment
            state.feeds[settings.name]!.settings.feedbackSource = settings.feedbackSource
            state.note("exchange_changed", detail: settings.name)
        }
    }

    /// Removes an exchange, its records (with tombstones), checkpoint and pending feedback, with an
    /// `exchange_removed` audit record; returns how many records went.
    public func removeExchange(name: String) async throws -> Int {
        try withExchangeState { state, _ in
            try state.requireFeed(name)
            let ids = state.feeds[name]!.records.values.sorted { $0.hashID < $1.hashID }.map(\.record.id)
            for id in ids { state.remove(id, exchange: name) }
            state.feeds[name] = nil
            state.outbox.removePending(exchange: name)
            state.compactLog()
            state.note("exchange_removed", detail: "\(name): \(ids.count) records")
            return ids.count
        }
    }

    /// How many records an exchange holds; throws `exchange_not_found`.
    public func exchangeRecordCount(exchange: String) async throws -> Int {
        try withExchangeState { state, _ in
            try state.requireFeed(exchange)
            return state.feeds[exchange]!.records.count
        }
    }

    // MARK: Records (ExchangeRecordStore)

    /// The checkpoint stored with the last applied page; nil before the first or for an unknown exchange.
    public func checkpoint(exchange: String) async throws -> ExchangeCheckpoint? {
        try withExchangeState { state, _ in state.feeds[exchange]?.checkpoint }
    }

    /// Applies a page and its checkpoint together; throws `exchange_not_found` (nothing written).
    public func apply(_ changes: [ExchangeChange], checkpoint: ExchangeCheckpoint, exchange: String) async throws {
        try withExchangeState { state, _ in
            try state.requireFeed(exchange)
            for change in changes {
                switch change {
                case .upsert(let record): state.put(record, exchange: exchange)
                case .remove(let id): state.remove(id, exchange: exchange)
                case .replaceEntry(let entry, let records):
                    let kept = Set(records.filter { !$0.status.removesHash }.map(\.id))
                    let old = (state.feeds[exchange]!.byEntry[entry] ?? []).subtracting(kept)
                    for id in old.sorted(by: { state.feeds[exchange]!.records[$0]!.hashID < state.feeds[exchange]!.records[$1]!.hashID }) {
                        state.remove(id, exchange: exchange)
                    }
                    for record in records { state.put(record, exchange: exchange) }
                }
            }
            state.feeds[exchange]!.checkpoint = checkpoint
            state.compactLog()
        }
    }

    /// The current records of an exchange (none for an unknown one).
    /// - Warning: returns imported hash values; never log or serve them.
    public func records(exchange: String) async throws -> [ExchangeRecord] {
        try withExchangeState { state, _ in
            (state.feeds[exchange]?.records.values ?? [:].values).sorted { $0.hashID < $1.hashID }.map(\.record)
        }
    }

    /// The current record `id` of `exchange`, or nil.
    /// - Warning: returns an imported hash value; never log or serve it.
    public func record(_ id: ExchangeRecord.ID, exchange: String) async throws -> ExchangeRecord? {
        try withExchangeState { state, _ in state.feeds[exchange]?.records[id]?.record }
    }

    /// Matchable upserts and removals after `version`, oldest first, at most `limit` together.
    /// - Warning: returns imported hash values; never log or serve them.
    public func importedChanges(after version: Int64, limit: Int) async throws -> ImportedChanges {
        try withExchangeState { state, _ in
            let limit = max(1, limit)
            var low = 0, high = state.log.count
            while low < high {
                let mid = (low + high) / 2
                if state.log[mid].version <= version { low = mid + 1 } else { high = mid }
            }
            var changes = ImportedChanges(upserted: [], removed: [], version: version, hasMore: false)
            var count = 0
            for entry in state.log[low...] where state.isCurrent(entry) {
                if count == limit {
                    changes.hasMore = true
                    break
                }
                count += 1
                changes.version = entry.version
                if entry.removed {
                    changes.removed.append(entry.hashID)
                } else {
                    let location = state.locations[entry.hashID]!
                    let feed = state.feeds[location.exchange]!
                    let matchable = feed.records[location.record]!.matchable!
                    changes.upserted.append(ImportedHash(id: entry.hashID, bank: feed.settings.bank, exchange: location.exchange,
                                                         algorithm: matchable.algorithm, value: matchable.value))
                }
            }
            if !changes.hasMore { changes.version = max(changes.version, state.version) }
            return changes
        }
    }

    // MARK: Imported match references and feedback

    /// The platform's `x_` reference for each stored imported hash, one `match` audit record each.
    public func importedMatchReferences(platform: PlatformRecord, hashIDs: [Int64]) async throws -> [Int64: String] {
        try withExchangeState { state, key in
            var refs: [Int64: String] = [:]
            for hashID in Set(hashIDs).sorted() {
                guard let location = state.locations[hashID], let feed = state.feeds[location.exchange] else { continue }
                let pair = MemoryExchangeState.ReferencePair(platformID: platform.id, hashID: hashID)
                let ref = state.references[pair] ?? key.importedReference(platformID: platform.id, hashID: hashID)
                state.references[pair] = ref
                state.referenceOwners[ref] = .init(platformID: platform.id, hashID: hashID, exchange: location.exchange, record: location.record)
                refs[hashID] = ref
                state.note("match", actor: "platform:\(platform.name)", matchRef: ref, detail: "bank \(feed.settings.bank)")
            }
            return refs
        }
    }

    /// Queues the platform's outcome for the record behind an `x_` reference, with a `feedback` audit record.
    @discardableResult
    public func recordImportedFeedback(platform: PlatformRecord, matchRef: String, outcome: FeedbackOutcome, contentID: String?) async throws -> Bool {
        try withExchangeState { state, _ in
            guard let owner = state.referenceOwners[matchRef], owner.platformID == platform.id else { throw BankError.matchRefNotFound }
            guard state.locations[owner.hashID] != nil else { throw BankError.hashWithdrawnForFeedback }
            let key = FeedbackItem.Key(exchange: owner.exchange, record: owner.record, outcome: ExchangeFeedbackOutcome(outcome))
            let new = state.outbox.enqueue(key, now: Date())
            state.note("feedback", actor: "platform:\(platform.name)", matchRef: matchRef, detail: outcome.rawValue)
            return new
        }
    }

    // MARK: Feedback outbox

    /// Queues `key` unless queued already; throws `exchange_not_found` for an exchange not configured.
    public func enqueue(_ key: FeedbackItem.Key, now: Date) async throws -> Bool {
        try withExchangeState { state, _ in
            try state.requireFeed(key.exchange)
            return state.outbox.enqueue(key, now: now)
        }
    }

    /// Up to `limit` pending items due at `now`, in the order they were queued.
    public func due(now: Date, limit: Int) async throws -> [FeedbackItem] {
        try withExchangeState { state, _ in state.outbox.due(now: now, limit: limit) }
    }

    /// Records one try's outcome; a delivered item stays delivered, an unknown key changes nothing.
    public func record(_ key: FeedbackItem.Key, state newState: FeedbackItem.State, error: ExchangeError.Code?) async throws {
        try withExchangeState { state, _ in state.outbox.record(key, state: newState, error: error) }
    }

    /// Every item, in the order they were queued.
    public func items() async throws -> [FeedbackItem] {
        try withExchangeState { state, _ in state.outbox.items }
    }

    /// Marks a try beginning at `at` if the item is pending with `attempts` tries; returns whether it did.
    public func markSending(_ key: FeedbackItem.Key, attempts: Int, at: Date, recheckAt: Date) async throws -> Bool {
        try withExchangeState { state, _ in state.outbox.markSending(key, attempts: attempts, at: at, recheckAt: recheckAt) }
    }

    /// Moves a pending item's due time, keeping its in-doubt mark.
    public func postpone(_ key: FeedbackItem.Key, until notBefore: Date) async throws {
        try withExchangeState { state, _ in state.outbox.postpone(key, until: notBefore) }
    }

    // MARK: Quarantine

    /// Sets or clears an item's quarantine (`bank_not_found`), with a `quarantined` or `released` audit record.
    public func setQuarantined(_ item: BankItemReference, _ quarantined: Bool) async throws {
        try withExchangeState { state, _ in
            guard state.banks[item.bank] != nil else { throw BankError.bankNotFound(item.bank) }
            if quarantined { state.quarantined.insert(item) } else { state.quarantined.remove(item) }
            state.note(quarantined ? "quarantined" : "released", detail: item.description)
        }
    }

    /// Every quarantined item, by bank and id.
    public func quarantinedItems() async throws -> [BankItemReference] {
        try withExchangeState { state, _ in
            state.quarantined.sorted { ($0.bank, $0.id) < ($1.bank, $1.id) }
        }
    }
}

extension ExchangeFeedbackOutcome {
    /// The exchange's word for the bank's outcome (they share raw values).
    public init(_ outcome: FeedbackOutcome) {
        switch outcome {
        case .pendingReview: self = .pendingReview
        case .removed: self = .removed
        case .notViolating: self = .notViolating
        }
    }
}
