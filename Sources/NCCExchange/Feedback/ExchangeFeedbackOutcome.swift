/// A platform's review outcome on a match, with the same raw values as the bank's `FeedbackOutcome`
/// (`NCCBank/Model/BankRecords.swift`): `ExchangeFeedbackOutcome(rawValue: outcome.rawValue)` bridges them.
public enum ExchangeFeedbackOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    /// The platform is still reviewing it.
    case pendingReview = "pending_review"
    /// The platform took the content down.
    case removed
    /// The platform found the content does not break its rules.
    case notViolating = "not_violating"

    /// StopNCII's word for it (pytx `StopNCIICSPFeedbackValue`): PendingReview, Blocked, NotBlocked.
    public var stopNCIIValue: String {
        switch self {
        case .pendingReview: "PendingReview"
        case .removed: "Blocked"
        case .notViolating: "NotBlocked"
        }
    }

    /// NCMEC's vote (pytx `submit_feedback`): affirmative for removed, negative for not violating; nil for
    /// pending review, which NCMEC has no word for (nothing is sent).
    public var ncmecVote: NCMECVote? {
        switch self {
        case .pendingReview: nil
        case .removed: .affirmative
        case .notViolating: .negative
        }
    }
}

/// NCMEC's feedback on one fingerprint of an entry.
public enum NCMECVote: String, Sendable, Hashable, Codable {
    /// The fingerprint found what the entry says.
    case affirmative
    /// It did not; NCMEC requires a reason id with it.
    case negative
}
