import Foundation
import NCCHashing

/// A hash accepted into the bank, before it is stored.
public struct NewHash: Sendable, Hashable {
    /// Which algorithm made it.
    public var algorithm: HashAlgorithm
    /// The hash value: `algorithm.bitCount / 8` bytes, most significant first.
    public var value: [UInt8]
    /// PDQ quality 0...100; nil for other algorithms.
    public var quality: Int?
    /// The victim's number for the picture this hash belongs to (groups a picture's dihedral variants and other hashes).
    public var imageKey: Int

    /// Makes a new hash.
    public init(algorithm: HashAlgorithm, value: [UInt8], quality: Int?, imageKey: Int) {
        self.algorithm = algorithm
        self.value = value
        self.quality = quality
        self.imageKey = imageKey
    }
}

/// A stored hash, as the matching indexes need it.
///
/// - Warning: holds a bank hash value; never log it or send it to a platform.
public struct StoredHash: Sendable, Hashable {
    /// The hash's row id: the id it has in the matching index.
    public var id: Int64
    /// The row id of the picture (bank image) it belongs to.
    public var imageID: Int64
    /// Which algorithm made it.
    public var algorithm: HashAlgorithm
    /// The value, `algorithm.bitCount / 8` bytes, most significant first.
    public var value: [UInt8]

    /// Makes a stored hash.
    public init(id: Int64, imageID: Int64, algorithm: HashAlgorithm, value: [UInt8]) {
        self.id = id
        self.imageID = imageID
        self.algorithm = algorithm
        self.value = value
    }
}

/// Whether a case's hashes are matched.
public enum CaseState: String, Sendable, Codable, Hashable {
    /// Hashes are in the bank and matched.
    case active
    /// The person withdrew the case: its hashes were deleted.
    case withdrawn
}

/// A new case: its id, its secret's stored hash, and its first hashes.
public struct NewCase: Sendable {
    /// Random, unguessable case id.
    public var id: String
    /// The stored (slow, salted) hash of the case secret.
    public var secret: StoredSecret
    /// The accepted hashes.
    public var hashes: [NewHash]

    /// Makes a new case.
    public init(id: String, secret: StoredSecret, hashes: [NewHash]) {
        self.id = id
        self.secret = secret
        self.hashes = hashes
    }
}

/// What a review at a platform concluded about matched content.
public enum FeedbackOutcome: String, Sendable, Codable, Hashable, CaseIterable {
    /// The platform is still reviewing it.
    case pendingReview = "pending_review"
    /// The platform took the content down.
    case removed
    /// The platform found the content does not break its rules.
    case notViolating = "not_violating"
}

/// What a case's owner may see: per picture, how many platforms matched it and what they reported.
/// Never which platform, never their content ids.
public struct CaseStatusReport: Sendable, Hashable {
    /// Per-picture figures.
    public struct Image: Sendable, Hashable {
        /// The picture's number, as given when the case was opened.
        public var image: Int
        /// Hashes of this picture in the bank (0 once withdrawn).
        public var hashes: Int
        /// Number of different platforms that matched it.
        public var platformsMatched: Int
        /// Latest outcome per platform match, counted by outcome.
        public var feedback: [FeedbackOutcome: Int]

        /// Makes a picture's figures.
        public init(image: Int, hashes: Int, platformsMatched: Int, feedback: [FeedbackOutcome: Int]) {
            self.image = image
            self.hashes = hashes
            self.platformsMatched = platformsMatched
            self.feedback = feedback
        }
    }

    /// The case id.
    public var caseID: String
    /// Active or withdrawn.
    public var state: CaseState
    /// When the case was opened.
    public var createdAt: Date
    /// When it was withdrawn, if it was.
    public var withdrawnAt: Date?
    /// Per picture, ordered by picture number.
    public var images: [Image]

    /// Makes a report.
    public init(caseID: String, state: CaseState, createdAt: Date, withdrawnAt: Date?, images: [Image]) {
        self.caseID = caseID
        self.state = state
        self.createdAt = createdAt
        self.withdrawnAt = withdrawnAt
        self.images = images
    }
}

/// A platform allowed to match, as the operator sees it (never its key).
public struct PlatformRecord: Sendable, Hashable {
    /// Row id.
    public var id: Int64
    /// Unique name given by the operator.
    public var name: String
    /// The public lookup prefix of its key (not secret).
    public var keyPrefix: String
    /// SHA-256 of the whole key.
    public var keyHash: [UInt8]
    /// When it was added.
    public var createdAt: Date
    /// When its key was revoked, if it was.
    public var revokedAt: Date?

    /// Makes a platform record.
    public init(id: Int64, name: String, keyPrefix: String, keyHash: [UInt8], createdAt: Date, revokedAt: Date?) {
        self.id = id
        self.name = name
        self.keyPrefix = keyPrefix
        self.keyHash = keyHash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// One line of the audit log. Holds no hash values and no secrets.
public struct AuditEntry: Sendable, Hashable {
    /// Row id, increasing.
    public var id: Int64
    /// When it happened.
    public var at: Date
    /// Who: `case`, `platform:<name>` or `operator`.
    public var actor: String
    /// What: `case_opened`, `hashes_added`, `case_withdrawn`, `match`, `feedback`, `platform_added`, `platform_revoked`.
    public var action: String
    /// The case concerned, for case changes.
    public var caseID: String?
    /// The match reference concerned, for matches and feedback.
    public var matchRef: String?
    /// A short, non-sensitive detail (counts, outcomes).
    public var detail: String?

    /// Makes an audit entry.
    public init(id: Int64, at: Date, actor: String, action: String, caseID: String?, matchRef: String?, detail: String?) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.caseID = caseID
        self.matchRef = matchRef
        self.detail = detail
    }
}
