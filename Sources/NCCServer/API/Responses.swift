import Foundation

/// Answer of `POST /v1/cases`.
struct CaseCreatedResponse: Encodable {
    var caseID: String
    var secret: String
    var accepted: Int
    var rejected: [Rejection]
    var message: String

    enum CodingKeys: String, CodingKey {
        case caseID = "case_id"
        case secret, accepted, rejected, message
    }
}

/// A hash the bank did not take, with why.
struct Rejection: Encodable, Sendable {
    var index: Int
    var code: String
    var message: String
}

/// Answer of `POST /v1/cases/{id}/hashes`.
struct HashesAddedResponse: Encodable {
    var caseID: String
    var accepted: Int
    var rejected: [Rejection]

    enum CodingKeys: String, CodingKey {
        case caseID = "case_id"
        case accepted, rejected
    }
}

/// Answer of `GET /v1/cases/{id}` and `DELETE /v1/cases/{id}`.
struct CaseStatusResponse: Encodable {
    struct Image: Encodable {
        var image: Int
        var hashes: Int
        var platformsMatched: Int
        var feedback: [String: Int]

        enum CodingKeys: String, CodingKey {
            case image, hashes, feedback
            case platformsMatched = "platforms_matched"
        }
    }

    var caseID: String
    var status: String
    var createdAt: String
    var withdrawnAt: String?
    var images: [Image]
    var message: String

    enum CodingKeys: String, CodingKey {
        case caseID = "case_id"
        case status
        case createdAt = "created_at"
        case withdrawnAt = "withdrawn_at"
        case images, message
    }
}

/// Answer of `POST /v1/match`.
struct MatchResponse: Encodable {
    struct Result: Encodable {
        var id: String
        var matches: [Match]
    }

    struct Match: Encodable {
        var matchRef: String
        /// Only for platforms the operator trusts with exact distances; left out otherwise.
        var distance: Int?

        enum CodingKeys: String, CodingKey {
            case matchRef = "match_ref"
            case distance
        }
    }

    var results: [Result]
}

/// Answer of `POST /v1/feedback`.
struct FeedbackResponse: Encodable {
    var matchRef: String
    var outcome: String
    var recorded: Bool

    enum CodingKeys: String, CodingKey {
        case matchRef = "match_ref"
        case outcome, recorded
    }
}
