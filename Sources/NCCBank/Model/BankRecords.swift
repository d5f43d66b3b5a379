import Foundation
import NCCHashing

/// What a bank item (a numbered entry of a case) is: a picture, or a video whose PDQ hashes are its frames.
public enum BankItemKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A picture: its PDQ hashes (with dihedral variants and companions), pHash, dHash and digests.
    case picture
    /// A video: its usable vPDQ frames, stored as PDQ hashes with their quality, and its digests. Matched as a
    /// whole (`VPDQMatchPolicy`), never frame by frame as pictures.
    case video
}

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
    /// The kind of item `imageKey` names; every hash of one item has the same kind (the first one stored decides).
    public var kind: BankItemKind

    /// Makes a new hash.
    public init(algorithm: HashAlgorithm, value: [UInt8], quality: Int?, imageKey: Int, kind: BankItemKind = .picture) {
        self.algorithm = algorithm
        self.value = value
        self.quality = quality
        self.imageKey = imageKey
        self.kind = kind
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
    /// The kind of item it belongs to: a video's PDQ hashes are its frames, indexed apart from pictures'.
    public var kind: BankItemKind

    /// Makes a stored hash.
    public init(id: Int64, imageID: Int64, algorithm: HashAlgorithm, value: [UInt8], kind: BankItemKind = .picture) {
        self.id = id
        self.imageID = imageID
        self.algorithm = algorithm
        self.value = value
        self.kind = kind
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
        /// A picture or a video (one entry however many frames).
        public var kind: BankItemKind

        /// Makes a picture's figures.
        public init(image: Int, hashes: Int, platformsMatched: Int, feedback: [FeedbackOutcome: Int], kind: BankItemKind = .picture) {
            self.image = image
            self.hashes = hashes
            self.platformsMatched = platformsMatched
            self.feedback = feedback
            self.kind = kind
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
