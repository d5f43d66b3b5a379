import NCCBank

/// The bank a server serves, as the composition root (`nccmatch serve`) chose it.
public enum ServedBank: Sendable {
    /// A bank this process alone writes (SQLite, or memory): each write updates the indexes directly.
    ///
    /// - Warning: never give several servers one bank this way: each would keep its own indexes and they
    ///   would silently diverge. Shared banks are `shared`.
    case local(any BankStore)
    /// A bank several replicas share (PostgreSQL): each follows its numbered changes.
    case shared(any SharedBankStore)

    /// The store behind either kind.
    public var store: any BankStore {
        switch self {
        case .local(let store): store
        case .shared(let store): store
        }
    }
}

/// How a server keeps its in-memory indexes in step with the bank, and what it does when the bank's
/// database is away: one strategy per kind of `ServedBank` (`LocalReplica`, `FollowingReplica`), chosen
/// once when the service is made.
protocol ReplicaStrategy: Sendable {
    /// Reads every hash the indexes start from and puts them in; returns how many.
    func loadIndex() async throws -> Int

    /// Runs a case write (a store call, then `applyLocalWrite`) so that the indexes never run ahead of, or
    /// behind, the bank's order of changes.
    func caseWrite(_ body: @Sendable () async throws -> Void) async throws

    /// Brings the indexes up to a write this server just committed: `inserted` now matchable, `removed` not.
    func applyLocalWrite(inserted: [StoredHash], removed: [StoredHash]) async

    /// Takes one try from a client's wrong-secret allowance (`key` names the client); nil when allowed, else
    /// whole seconds to wait.
    func takeSecretTry(_ key: String) async -> Int?

    /// The try just taken for `key` used the right secret.
    func secretTryFitted(_ key: String)

    /// The platform whose key has this prefix. Throws `BankError`.
    func platform(keyPrefix: String) async throws -> PlatformRecord?

    /// The platform's match references for these pictures. Throws `BankError`.
    func matchReferences(platform: PlatformRecord, imageIDs: [Int64]) async throws -> [Int64: String]

    /// Follows the bank's changes until the task is cancelled; returns at once when there is nothing to follow.
    func follow() async

    /// A fresh deadline for one request's store calls, or nil when calls need none.
    func requestDeadline() -> RequestDeadline?

    /// The sequence of the last bank change applied to the indexes; nil when the bank has no change feed.
    var appliedSequence: Int64? { get }
}
