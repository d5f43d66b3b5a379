import Foundation
import Logging
import NCCBank
import NCCHashing
import NCCIndex
import NCCVideo
import NCCWire
import Synchronization

// Platforms' feedback on what they did with a match.
extension BankService {
    /// Records what a platform did with content it matched (`pending_review`, `removed`, `not_violating`), by
    /// the match reference it received; the case's owner sees the counts, never the platform. On a reference to an
    /// imported hash (`x_`), the outcome is queued for the hash's exchange (`recordImportedFeedback`), once per
    /// record and outcome.
    func feedback(bearer: String?, request: FeedbackRequest) async throws -> FeedbackResponse {
        let platform = try await authenticatePlatform(bearer)
        guard let outcome = FeedbackOutcome(rawValue: request.outcome) else {
            throw APIError.badRequest("unknown_outcome", "outcome is one of pending_review, removed, not_violating.")
        }
        if let content = request.contentID, content.unicodeScalars.count > 256 {
            throw APIError.badRequest("invalid_field", "content_id is longer than 256 characters; use a shorter content id.")
        }
        guard request.matchRef.utf8.count <= 64 else {
            throw APIError(.notFound, "match_ref_not_found", "This match reference is not one your platform received; check the value returned by /v1/match.")
        }
        if request.matchRef.hasPrefix("x_") {
            // A match against an imported hash: queued for its exchange, once per record and outcome.
            guard let exchangeStore = importedBanks.store else {
                throw APIError(.notFound, "match_ref_not_found", "This match reference is not one your platform received; check the value returned by /v1/match.")
            }
            try await bankCall { try await exchangeStore.recordImportedFeedback(platform: platform, matchRef: request.matchRef, outcome: outcome, contentID: request.contentID) }
        } else {
            try await bankCall { try await self.store.recordFeedback(platform: platform, matchRef: request.matchRef, outcome: outcome, contentID: request.contentID) }
        }
        metrics.add("nccmatch_feedback_total{outcome=\"\(outcome.rawValue)\"}")
        logger.info("feedback", metadata: ["platform": "\(platform.name)", "outcome": "\(outcome.rawValue)"])
        return FeedbackResponse(matchRef: request.matchRef, outcome: outcome.rawValue, recorded: true)
    }
}
