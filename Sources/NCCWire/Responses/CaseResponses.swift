/// A hash the bank did not take, with why (in `rejected` of the case answers).
public struct Rejection: Codable, Sendable, Hashable {
    /// The hash's position in the request's `hashes`, from 0.
    public var index: Int
    /// Stable code: `quality_missing`, `quality_too_low`, `implausible_hash`, `pdq_required` or (for a video
    /// none of whose frames reaches quality 50) `video_quality_too_low`.
    public var code: String
    /// Why, in plain words, and what to do.
    public var message: String

    /// Makes a rejection.
    public init(index: Int, code: String, message: String) {
        self.index = index
        self.code = code
        self.message = message
    }
}

/// Answer of `POST /v1/cases` (201): the new case and its secret, shown only this once.
public struct CaseCreatedResponse: Codable, Sendable, Hashable {
    /// The case's id (not secret).
    public var caseID: String
    /// The case's secret: the bearer token of every later request about the case. The bank keeps only a
    /// slow, salted hash of it.
    /// - Warning: shown once; a client that loses it cannot check, add to or withdraw the case.
    public var secret: String
    /// Hashes stored.
    public var accepted: Int
    /// Hashes not stored, with why.
    public var rejected: [Rejection]
    /// What this means for the person, in plain words.
    public var message: String

    /// Makes an answer.
    public init(caseID: String, secret: String, accepted: Int, rejected: [Rejection], message: String) {
        self.caseID = caseID
        self.secret = secret
        self.accepted = accepted
        self.rejected = rejected
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case caseID = "case_id"
        case secret, accepted, rejected, message
    }
}

/// Answer of `POST /v1/cases/{id}/hashes` (201).
public struct HashesAddedResponse: Codable, Sendable, Hashable {
    /// The case's id.
    public var caseID: String
    /// Hashes stored.
    public var accepted: Int
    /// Hashes not stored, with why.
    public var rejected: [Rejection]

    /// Makes an answer.
    public init(caseID: String, accepted: Int, rejected: [Rejection]) {
        self.caseID = caseID
        self.accepted = accepted
        self.rejected = rejected
    }

    enum CodingKeys: String, CodingKey {
        case caseID = "case_id"
        case accepted, rejected
    }
}

/// Answer of `GET /v1/cases/{id}` and `DELETE /v1/cases/{id}`: what platforms found and did, per picture
/// or video.
public struct CaseStatusResponse: Codable, Sendable, Hashable {
    /// One picture or video of the case (a video is one entry, however many frames it has).
    public struct Image: Codable, Sendable, Hashable {
        /// The picture number, from 0.
        public var image: Int
        /// `picture` or `video`.
        public var kind: String
        /// Hashes the bank holds for it (0 once withdrawn); for a video, its usable frames and its digests.
        public var hashes: Int
        /// Platforms that matched it at least once.
        public var platformsMatched: Int
        /// Review outcomes platforms reported, by outcome (`removed`, `pending_review`, `not_violating`).
        public var feedback: [String: Int]

        /// Makes a picture's (or video's) status.
        public init(image: Int, hashes: Int, platformsMatched: Int, feedback: [String: Int], kind: String = "picture") {
            self.image = image
            self.kind = kind
            self.hashes = hashes
            self.platformsMatched = platformsMatched
            self.feedback = feedback
        }

        enum CodingKeys: String, CodingKey {
            case image, kind, hashes, feedback
            case platformsMatched = "platforms_matched"
        }

        /// Reads an entry leniently, as clients read answers: a bank older than videos leaves `kind` out
        /// (read as `picture`).
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            image = try c.decode(Int.self, forKey: .image)
            kind = try c.decodeIfPresent(String.self, forKey: .kind) ?? "picture"
            hashes = try c.decode(Int.self, forKey: .hashes)
            platformsMatched = try c.decode(Int.self, forKey: .platformsMatched)
            feedback = try c.decode([String: Int].self, forKey: .feedback)
        }
    }

    /// The case's id.
    public var caseID: String
    /// `active` or `withdrawn`.
    public var status: String
    /// When the case was opened, ISO 8601 (UTC).
    public var createdAt: String
    /// When it was withdrawn, ISO 8601 (UTC); left out while active.
    public var withdrawnAt: String?
    /// Its pictures and videos, by number.
    public var images: [Image]
    /// What this means for the person, in plain words.
    public var message: String

    /// Makes an answer.
    public init(caseID: String, status: String, createdAt: String, withdrawnAt: String?, images: [Image], message: String) {
        self.caseID = caseID
        self.status = status
        self.createdAt = createdAt
        self.withdrawnAt = withdrawnAt
        self.images = images
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case caseID = "case_id"
        case status
        case createdAt = "created_at"
        case withdrawnAt = "withdrawn_at"
        case images, message
    }
}
