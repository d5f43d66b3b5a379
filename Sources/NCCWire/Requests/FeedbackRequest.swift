/// Body of `POST /v1/feedback`: what a platform's review of a matched upload concluded.
public struct FeedbackRequest: Codable, Sendable, Hashable {
    /// The opaque reference the match answered.
    public var matchRef: String
    /// `removed`, `pending_review` or `not_violating`.
    public var outcome: String
    /// The platform's own id of the content, for its records; left out when nil.
    public var contentID: String?

    /// Makes a request.
    public init(matchRef: String, outcome: String, contentID: String? = nil) {
        self.matchRef = matchRef
        self.outcome = outcome
        self.contentID = contentID
    }

    enum CodingKeys: String, CodingKey {
        case matchRef = "match_ref"
        case outcome
        case contentID = "content_id"
    }

    /// Reads a request strictly: unknown fields and explicit nulls throw `WireFieldError`.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["match_ref", "outcome", "content_id"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        matchRef = try c.decode(String.self, forKey: .matchRef)
        outcome = try c.decode(String.self, forKey: .outcome)
        contentID = try c.decodeAbsentOrValue(String.self, forKey: .contentID)
    }
}
