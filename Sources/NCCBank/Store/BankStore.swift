import Foundation
import NCCHashing

/// The hash bank's storage: cases and their hashes, platforms, match references, feedback and the audit log.
///
/// Every method is one transaction: it applies entirely or not at all, and when it returns the change is
/// durable (it survives the process being killed). The drivers are modules of their own: `NCCBankSQLite`
/// (the default, one file) and `NCCBankPostgres` (several service replicas sharing one bank, which also
/// implements `SharedBankStore`); `MemoryBankStore` keeps the same contract in memory for tests. Failures
/// are `BankError`s; the refusals named below are its codes, in the same words on every driver
/// (`BankError+Messages.swift`). Match references are made by `MatchReferenceKey` on every driver.
///
/// - Warning: the store holds bank hash values (`loadHashes`); they must never be logged or served.
public protocol BankStore: Sendable {
    /// Stores a new case with its hashes; returns the stored hashes (with their ids) for the index.
    func createCase(_ newCase: NewCase) async throws -> [StoredHash]

    /// The stored secret and state of a case; nil when there is no such case.
    func caseCredentials(caseID: String) async throws -> (secret: StoredSecret, state: CaseState)?

    /// Adds hashes to an active case; returns them stored. Throws `case_not_found` or `case_withdrawn`.
    func addHashes(caseID: String, hashes: [NewHash]) async throws -> [StoredHash]

    /// Withdraws a case: deletes its hashes, marks it withdrawn, writes an audit record without hashes.
    /// Returns the ids of the deleted hashes (to drop from the index). Idempotent: a withdrawn case returns [].
    func withdrawCase(caseID: String) async throws -> [StoredHash]

    /// What the case's owner may see about it; nil when there is no such case.
    func caseStatus(caseID: String) async throws -> CaseStatusReport?

    /// Every stored hash of active cases, for building the indexes at start.
    func loadHashes() async throws -> [StoredHash]

    /// The platform whose key has this prefix, revoked or not.
    func platform(keyPrefix: String) async throws -> PlatformRecord?

    /// Adds a platform with the hash of its key. Throws `platform_exists` for a name in use.
    func addPlatform(name: String, key: APIKey) async throws -> PlatformRecord

    /// Every platform, in the order they were added.
    func listPlatforms() async throws -> [PlatformRecord]

    /// Revokes a platform's key at once. Throws `platform_not_found`.
    func revokePlatform(name: String) async throws -> PlatformRecord

    /// The match reference of each bank image for this platform, made on first use, and one audit record per
    /// matched image. Images no longer in the bank (withdrawn meanwhile) are left out of the answer.
    func matchReferences(platform: PlatformRecord, imageIDs: [Int64]) async throws -> [Int64: String]

    /// Records a platform's review outcome for one of its match references. Throws `match_ref_not_found`
    /// for a reference that is not this platform's, and `case_withdrawn` when the case was withdrawn.
    func recordFeedback(platform: PlatformRecord, matchRef: String, outcome: FeedbackOutcome, contentID: String?) async throws

    /// The latest audit entries, newest last; `after` gives only entries with a larger id.
    func auditEntries(limit: Int, after: Int64?) async throws -> [AuditEntry]

    /// Every active case with its secret's stored verifier (never the secret) and its hashes grouped by
    /// picture, ordered by case id, for `nccmatch admin export`.
    /// - Warning: returns bank hash values; never log or serve them.
    func exportCases() async throws -> [NewCase]

    /// Writes an audit record for an action done outside the other methods (e.g. a refused withdrawal).
    func appendAudit(actor: String, action: String, caseID: String?, matchRef: String?, detail: String?) async throws

    /// Stores imported cases (`nccmatch admin import`), skipping those whose id the bank already has; returns
    /// the ids skipped. A store may put several cases in one transaction, never part of one: an interrupted
    /// import leaves whole cases only, and running it again completes it.
    func importCases(_ cases: [NewCase]) async throws -> Set<String>
}

extension BankStore {
    /// One transaction per case (`createCase`), after checking the case id is new.
    public func importCases(_ cases: [NewCase]) async throws -> Set<String> {
        var skipped = Set<String>()
        for entry in cases {
            if try await caseCredentials(caseID: entry.id) != nil {
                skipped.insert(entry.id)
                continue
            }
            _ = try await createCase(entry)
        }
        return skipped
    }
}
