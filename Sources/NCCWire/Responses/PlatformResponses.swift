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

    /// One bank picture (or video) an item matched.
    ///
    /// A `vpdq` item's matches are bank videos whose frames it matched at the bank's video thresholds (pytx's
    /// defaults: frames of quality 50 or more, within 31 bits; at least 80% of the query's frames matched); each
    /// gives both shares, in percent rounded to one decimal.
    public struct Match: Codable, Sendable, Hashable {
        /// An opaque reference to the bank picture or video, stable for this platform and distinct per platform;
        /// the key of `POST /v1/feedback`.
        public var matchRef: String
        /// The Hamming distance; only for platforms the operator trusts with exact distances, left out otherwise
        /// (and always left out for a video item).
        public var distance: Int?
        /// For a video item: the percentage (0-100) of the query's usable frames that matched a frame of the bank
        /// video; left out for other items.
        public var queryMatchPercent: Double?
        /// For a video item: the percentage (0-100) of the bank video's frames that matched a frame of the query;
        /// left out for other items.
        public var bankMatchPercent: Double?
        /// The name of the bank that matched (`cases` for the operator's own bank of victims' cases, else the
        /// bank an exchange fills). Always set by the bank; optional so answers of older banks still read.
        public var bank: String?

        /// Makes a match.
        public init(matchRef: String, distance: Int?, queryMatchPercent: Double? = nil, bankMatchPercent: Double? = nil, bank: String? = nil) {
            self.matchRef = matchRef
            self.distance = distance
            self.queryMatchPercent = queryMatchPercent
            self.bankMatchPercent = bankMatchPercent
            self.bank = bank
        }

        enum CodingKeys: String, CodingKey {
            case matchRef = "match_ref"
            case distance
            case queryMatchPercent = "query_match_percent"
            case bankMatchPercent = "bank_match_percent"
            case bank
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
