import Foundation
import Synchronization

/// A `BankStore` held in memory, for tests of whatever sits on a store (and for trying the service out):
/// the same contract as the SQLite and PostgreSQL drivers, the same refusals in the same words, the same
/// audit records and match references, and nothing written anywhere. Everything is lost with the object.
///
/// Every method applies entirely or not at all, one at a time (one lock over the whole bank).
///
/// - Warning: not durable; never a bank people rely on.
public final class MemoryBankStore: BankStore {
    private struct CaseRow {
        var secret: StoredSecret
        var state: CaseState
        var createdAt: Date
        var withdrawnAt: Date?
    }

    private struct ImageRow {
        var caseID: String
        var key: Int
        var kind: BankItemKind
    }

    private struct HashRow {
        var imageID: Int64
        var hash: NewHash
    }

    private struct FeedbackRow {
        var matchRef: String
        var outcome: FeedbackOutcome
    }

    private struct Pair: Hashable {
        var platformID: Int64
        var imageID: Int64
    }

    private struct State {
        var cases: [String: CaseRow] = [:]
        var images: [Int64: ImageRow] = [:]
        var hashes: [Int64: HashRow] = [:]
        var platforms: [PlatformRecord] = []
        var references: [Pair: String] = [:]
        var referenceOwners: [String: Pair] = [:]
        var feedback: [FeedbackRow] = []
        var audit: [AuditEntry] = []
        var lastID: Int64 = 0
        /// Banks, exchanges, their records and feedback (`MemoryBankStore+Exchanges.swift`).
        var exchangeState = MemoryExchangeState()

        mutating func nextID() -> Int64 {
            lastID += 1
            return lastID
        }

        mutating func record(actor: String, action: String, caseID: String? = nil, matchRef: String? = nil, detail: String? = nil) {
            audit.append(AuditEntry(id: Int64(audit.count + 1), at: Date(), actor: actor, action: action,
                                    caseID: caseID, matchRef: matchRef, detail: detail))
        }

        func imageID(caseID: String, key: Int) -> Int64? {
            images.first { $0.value.caseID == caseID && $0.value.key == key }?.key
        }

        func hashes(ofCase caseID: String) -> [StoredHash] {
            hashes.filter { images[$0.value.imageID]?.caseID == caseID }
                .map { stored($0.key, $0.value) }
                .sorted { $0.id < $1.id }
        }

        /// A hash row as the indexes see it, with its item's kind.
        func stored(_ id: Int64, _ row: HashRow) -> StoredHash {
            StoredHash(id: id, imageID: row.imageID, algorithm: row.hash.algorithm, value: row.hash.value,
                       kind: images[row.imageID]?.kind ?? .picture)
        }

        mutating func insert(caseID: String, hashes new: [NewHash]) -> [StoredHash] {
            var stored: [StoredHash] = []
            for hash in new {
                let imageID: Int64
                if let known = self.imageID(caseID: caseID, key: hash.imageKey) {
                    imageID = known
                } else {
                    imageID = nextID()
                    images[imageID] = ImageRow(caseID: caseID, key: hash.imageKey, kind: hash.kind)
                }
                let id = nextID()
                var kept = hash
                kept.kind = images[imageID]?.kind ?? hash.kind
                hashes[id] = HashRow(imageID: imageID, hash: kept)
                stored.append(self.stored(id, hashes[id]!))
            }
            return stored
        }

        func requireActive(_ caseID: String) throws {
            guard let row = cases[caseID] else { throw BankError.caseNotFound }
            if row.state != .active { throw BankError.caseWithdrawnForChanges }
        }
    }

    private let state = Mutex(State())
    private let referenceKey: MatchReferenceKey

    /// An empty bank with a fresh match-reference key.
    public init() {
        // 32 fresh bytes always make a key.
        referenceKey = try! MatchReferenceKey(bytes: MatchReferenceKey.newKeyBytes())
    }

    /// Stores a new case and its hashes, with a `case_opened` audit record. A case id in use fails as a whole.
    public func createCase(_ newCase: NewCase) async throws -> [StoredHash] {
        try state.withLock { state in
            guard state.cases[newCase.id] == nil else {
                throw BankError(.storeFailed, "The bank could not save the change; nothing was changed.")
            }
            state.cases[newCase.id] = CaseRow(secret: newCase.secret, state: .active, createdAt: Date(), withdrawnAt: nil)
            let stored = state.insert(caseID: newCase.id, hashes: newCase.hashes)
            let pictures = Set(newCase.hashes.map(\.imageKey)).count
            state.record(actor: "case", action: "case_opened", caseID: newCase.id, detail: "\(stored.count) hashes of \(pictures) pictures")
            return stored
        }
    }

    /// The stored secret and state of a case; nil when there is no such case.
    public func caseCredentials(caseID: String) async throws -> (secret: StoredSecret, state: CaseState)? {
        state.withLock { state in state.cases[caseID].map { ($0.secret, $0.state) } }
    }

    /// Adds hashes to an active case, with a `hashes_added` audit record.
    public func addHashes(caseID: String, hashes: [NewHash]) async throws -> [StoredHash] {
        try state.withLock { state in
            try state.requireActive(caseID)
            let stored = state.insert(caseID: caseID, hashes: hashes)
            state.record(actor: "case", action: "hashes_added", caseID: caseID, detail: "\(stored.count) hashes")
            return stored
        }
    }

    /// Deletes a case's hashes and marks it withdrawn; the audit record keeps only counts.
    public func withdrawCase(caseID: String) async throws -> [StoredHash] {
        try state.withLock { state in
            guard let row = state.cases[caseID] else { throw BankError.caseNotFound }
            if row.state == .withdrawn { return [] }
            let removed = state.hashes(ofCase: caseID)
            for hash in removed { state.hashes[hash.id] = nil }
            state.cases[caseID]?.state = .withdrawn
            state.cases[caseID]?.withdrawnAt = Date()
            state.record(actor: "case", action: "case_withdrawn", caseID: caseID, detail: "\(removed.count) hashes deleted")
            return removed
        }
    }

    /// Per picture: hash count, platforms that matched it, latest outcome per match reference.
    public func caseStatus(caseID: String) async throws -> CaseStatusReport? {
        state.withLock { state in
            guard let row = state.cases[caseID] else { return nil }
            var report = CaseStatusReport(caseID: caseID, state: row.state, createdAt: row.createdAt, withdrawnAt: row.withdrawnAt, images: [])
            let pictures = state.images.filter { $0.value.caseID == caseID }.sorted { $0.value.key < $1.value.key }
            for (imageID, image) in pictures {
                let hashes = state.hashes.values.filter { $0.imageID == imageID }.count
                let references = state.references.filter { $0.key.imageID == imageID }
                var latest: [String: FeedbackOutcome] = [:]
                for entry in state.feedback where references.values.contains(entry.matchRef) { latest[entry.matchRef] = entry.outcome }
                var feedback: [FeedbackOutcome: Int] = [:]
                for outcome in latest.values { feedback[outcome, default: 0] += 1 }
                report.images.append(.init(image: image.key, hashes: hashes, platformsMatched: Set(references.keys.map(\.platformID)).count, feedback: feedback, kind: image.kind))
            }
            return report
        }
    }

    /// Every stored hash, in id order.
    /// - Warning: returns bank hash values; never log or serve them.
    public func loadHashes() async throws -> [StoredHash] {
        state.withLock { state in
            state.hashes.map { state.stored($0.key, $0.value) }
                .sorted { $0.id < $1.id }
        }
    }

    /// The platform whose key has this prefix, revoked or not.
    public func platform(keyPrefix: String) async throws -> PlatformRecord? {
        state.withLock { state in state.platforms.first { $0.keyPrefix == keyPrefix } }
    }

    /// Adds a platform with the SHA-256 of its key, with a `platform_added` audit record.
    public func addPlatform(name: String, key: APIKey) async throws -> PlatformRecord {
        try state.withLock { state in
            if state.platforms.contains(where: { $0.name == name }) { throw BankError.platformExists(name) }
            let platform = PlatformRecord(id: state.nextID(), name: name, keyPrefix: key.prefix, keyHash: key.storedHash, createdAt: Date(), revokedAt: nil)
            state.platforms.append(platform)
            state.record(actor: "operator", action: "platform_added", detail: name)
            return platform
        }
    }

    /// Every platform, in the order they were added.
    public func listPlatforms() async throws -> [PlatformRecord] {
        state.withLock { $0.platforms }
    }

    /// Revokes a platform's key (idempotent), with a `platform_revoked` audit record.
    public func revokePlatform(name: String) async throws -> PlatformRecord {
        try state.withLock { state in
            guard let at = state.platforms.firstIndex(where: { $0.name == name }) else { throw BankError.platformNotFound(name) }
            if state.platforms[at].revokedAt == nil { state.platforms[at].revokedAt = Date() }
            state.record(actor: "operator", action: "platform_revoked", detail: name)
            return state.platforms[at]
        }
    }

    /// The platform's match reference for each live picture (`MatchReferenceKey`), one `match` audit record each.
    public func matchReferences(platform: PlatformRecord, imageIDs: [Int64]) async throws -> [Int64: String] {
        let key = referenceKey
        return state.withLock { state in
            var refs: [Int64: String] = [:]
            for imageID in Set(imageIDs).sorted() {
                guard let image = state.images[imageID], state.cases[image.caseID]?.state == .active else { continue }
                let pair = Pair(platformID: platform.id, imageID: imageID)
                let ref = state.references[pair] ?? key.reference(platformID: platform.id, imageID: imageID)
                state.references[pair] = ref
                state.referenceOwners[ref] = pair
                refs[imageID] = ref
                state.record(actor: "platform:\(platform.name)", action: "match", matchRef: ref)
            }
            return refs
        }
    }

    /// Stores a review outcome for one of the platform's match references, with a `feedback` audit record.
    public func recordFeedback(platform: PlatformRecord, matchRef: String, outcome: FeedbackOutcome, contentID: String?) async throws {
        try state.withLock { state in
            guard let pair = state.referenceOwners[matchRef], pair.platformID == platform.id,
                  let image = state.images[pair.imageID], let row = state.cases[image.caseID] else {
                throw BankError.matchRefNotFound
            }
            if row.state != .active { throw BankError.caseWithdrawnForFeedback }
            state.feedback.append(FeedbackRow(matchRef: matchRef, outcome: outcome))
            state.record(actor: "platform:\(platform.name)", action: "feedback", matchRef: matchRef, detail: outcome.rawValue)
        }
    }

    /// Audit entries, oldest first: the latest `limit`, or those after the id `after`.
    public func auditEntries(limit: Int, after: Int64?) async throws -> [AuditEntry] {
        state.withLock { state in
            if let after { return Array(state.audit.filter { $0.id > after }.prefix(limit)) }
            return Array(state.audit.suffix(limit))
        }
    }

    /// Every active case with its secret verifier and hashes (picture numbers kept), ordered by case id.
    public func exportCases() async throws -> [NewCase] {
        state.withLock { state in
            state.cases.filter { $0.value.state == .active }.keys.sorted().map { id in
                let hashes = state.hashes.filter { state.images[$0.value.imageID]?.caseID == id }.sorted { $0.key < $1.key }.map(\.value.hash)
                return NewCase(id: id, secret: state.cases[id]!.secret, hashes: hashes)
            }
        }
    }

    /// Runs `body` on the banks' and exchanges' state under the store's one lock, then writes the audit records
    /// it queued (`MemoryExchangeState.audit`); a throwing body must not have changed anything.
    func withExchangeState<T: Sendable>(_ body: (inout MemoryExchangeState, MatchReferenceKey) throws -> T) throws -> T {
        let key = referenceKey
        return try state.withLock { state in
            defer { state.exchangeState.audit.removeAll() }
            let result = try body(&state.exchangeState, key)
            for entry in state.exchangeState.audit {
                state.record(actor: entry.actor, action: entry.action, matchRef: entry.matchRef, detail: entry.detail)
            }
            return result
        }
    }

    /// Appends one audit record.
    public func appendAudit(actor: String, action: String, caseID: String?, matchRef: String?, detail: String?) async throws {
        state.withLock { $0.record(actor: actor, action: action, caseID: caseID, matchRef: matchRef, detail: detail) }
    }
}
