/// One numbered change to the bank's matchable hashes, as a replica applies it.
///
/// - Warning: `hashes` holds bank hash values; never log or serve them.
public struct BankChange: Sendable, Hashable {
    /// What a change did.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Hashes became matchable (a case opened, hashes added, a case imported).
        case hashesAdded = "hashes_added"
        /// A case was withdrawn: its pictures are no longer matchable.
        case caseWithdrawn = "case_withdrawn"
    }

    /// Its sequence number (1, 2, 3, ... in commit order, without gaps).
    public var sequence: Int64
    /// What it did.
    public var kind: Kind
    /// For `hashesAdded`: the hashes now matchable (without those deleted since).
    public var hashes: [StoredHash]
    /// For `caseWithdrawn`: the bank pictures no longer matchable.
    public var removedImageIDs: [Int64]

    /// Makes a change.
    public init(sequence: Int64, kind: Kind, hashes: [StoredHash], removedImageIDs: [Int64]) {
        self.sequence = sequence
        self.kind = kind
        self.hashes = hashes
        self.removedImageIDs = removedImageIDs
    }
}

/// Every stored hash with the sequence of the last change it includes, read in one snapshot.
///
/// - Warning: holds bank hash values; never log or serve them.
public struct BankSnapshot: Sendable {
    /// Every matchable hash, in id order.
    public var hashes: [StoredHash]
    /// The last change the hashes include; following resumes after it.
    public var sequence: Int64

    /// Makes a snapshot.
    public init(hashes: [StoredHash], sequence: Int64) {
        self.hashes = hashes
        self.sequence = sequence
    }
}

/// The bank's numbered changes, which replicas follow to keep their indexes in step with the bank.
public protocol BankChangeFeed: Sendable {
    /// Every stored hash and the sequence of the last change they include, in one consistent read, so a
    /// replica following changes after that sequence misses none and applies none twice.
    func snapshot() async throws -> BankSnapshot

    /// The changes after `sequence`, oldest first, at most `limit`. The whole call ends within `timeout`
    /// seconds (nil: the store's own), else it throws `database_unavailable`.
    /// - Warning: returns bank hash values; never log or serve them.
    func changes(after sequence: Int64, limit: Int, timeout: Double?) async throws -> [BankChange]

    /// The sequence of the latest change (0 for none).
    func latestSequence() async throws -> Int64

    /// Runs `onNotification` for each new change (and once at the start) until the connection drops or the
    /// task is cancelled; throws when it cannot listen. The caller reconnects and catches up.
    func listenForChanges(_ onNotification: @Sendable @escaping () async -> Void) async throws
}

/// A throttle whose buckets every replica shares, so a limit holds across them.
public protocol SharedThrottle: Sendable {
    /// Takes one try (with `take`) from the bucket of `key` (a digest, never a client address) shaped by
    /// `bucket`, on the database's clock. Returns nil when a try is allowed, else whole seconds to wait.
    func throttle(key: String, bucket: TokenBucket, take: Bool) async throws -> Int?
}

/// A bank several service replicas share (PostgreSQL): the store, its change feed, the shared throttle, the
/// per-request deadline, and match references computable while the database is away.
public protocol SharedBankStore: BankStore, BankChangeFeed, SharedThrottle {
    /// Seconds a call may wait for the database before it fails with `database_unavailable`; a request's
    /// calls together get as long (`RequestDeadline`).
    var callTimeout: Double { get }

    /// The match reference `matchReferences` gives (or will give) this platform for this picture, computed
    /// without the database.
    func matchReference(platformID: Int64, imageID: Int64) -> String
}
