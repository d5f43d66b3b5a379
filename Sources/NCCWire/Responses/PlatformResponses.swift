/// Answer of `POST /v1/match`: one result per item, in item order.
public struct MatchResponse: Codable, Sendable, Hashable {
    /// The matches of one item.
    public struct Result: Codable, Sendable, Hashable {
        /// The item's `id`.
        public var id: String
        /// Its matches; empty when none.
        public var matches: [Match]

        /// Makes a result.
        public init(id: String, matches: [Match]) {
            self.id = id
            self.matches = matches
        }
    }

    /// One bank picture an item matched.
    public struct Match: Codable, Sendable, Hashable {
        /// An opaque reference to the bank picture, stable for this platform and distinct per platform; the
        /// key of `POST /v1/feedback`.
        public var matchRef: String
        /// The Hamming distance; only for platforms the operator trusts with exact distances, left out otherwise.
        public var distance: Int?

        /// Makes a match.
        public init(matchRef: String, distance: Int?) {
            self.matchRef = matchRef
            self.distance = distance
        }

        enum CodingKeys: String, CodingKey {
            case matchRef = "match_ref"
            case distance
        }
    }

    /// One result per item of the request, in its order.
    public var results: [Result]

    /// Makes an answer.
    public init(results: [Result]) { self.results = results }
}

/// Answer of `POST /v1/feedback`.
public struct FeedbackResponse: Codable, Sendable, Hashable {
    /// The match reference the feedback is about.
    public var matchRef: String
    /// The outcome recorded.
    public var outcome: String
    /// Always true in an answer of 200.
    public var recorded: Bool

    /// Makes an answer.
    public init(matchRef: String, outcome: String, recorded: Bool) {
        self.matchRef = matchRef
        self.outcome = outcome
        self.recorded = recorded
    }

    enum CodingKeys: String, CodingKey {
        case matchRef = "match_ref"
        case outcome, recorded
    }
}

/// The body of every 4xx and 5xx answer: `{"error": {"code", "message"}}`.
public struct ErrorResponse: Codable, Sendable, Hashable {
    /// The error itself.
    public struct Body: Codable, Sendable, Hashable {
        /// Stable, machine-readable code (`case_not_found`, `too_many_items`, ...): clients branch on it.
        public var code: String
        /// What is wrong and what to do, in plain words; never a hash value or a secret.
        public var message: String

        /// Makes an error body.
        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// The error.
    public var error: Body

    /// Makes an error answer.
    public init(code: String, message: String) { error = Body(code: code, message: message) }

    /// The body as the bank writes it, `{"error":{"code":"…","message":"…"}}`, always in this key order
    /// (`JSONEncoder` does not keep the order of keys), so that an error reads the same in every log and
    /// terminal.
    public var jsonText: String {
        "{\"error\":{\"code\":\(JSONText.quote(error.code)),\"message\":\(JSONText.quote(error.message))}}"
    }
}
