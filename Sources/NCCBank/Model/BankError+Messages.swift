/// The refusals every store gives in the same words, whichever driver finds them.
extension BankError {
    /// `case_not_found`: no case has this id.
    public static var caseNotFound: BankError { BankError(.caseNotFound, "There is no case with this id.") }

    /// `case_withdrawn`, for a change to a withdrawn case.
    public static var caseWithdrawnForChanges: BankError {
        BankError(.caseWithdrawn, "This case was withdrawn, so it no longer accepts changes. You can open a new case at any time.")
    }

    /// `case_withdrawn`, for feedback on a picture withdrawn since it matched.
    public static var caseWithdrawnForFeedback: BankError {
        BankError(.caseWithdrawn, "The picture behind this match reference was withdrawn from the bank; no feedback is needed.")
    }

    /// `match_ref_not_found`: the reference is not one this platform received.
    public static var matchRefNotFound: BankError {
        BankError(.matchRefNotFound, "This match reference is not one your platform received; check the value returned by /v1/match.")
    }

    /// `platform_exists`: the name is taken.
    public static func platformExists(_ name: String) -> BankError {
        BankError(.platformExists, "A platform named \(name) already exists; pick another name, or revoke it and add it under a new name.")
    }

    /// `platform_not_found`: no platform has this name.
    public static func platformNotFound(_ name: String) -> BankError {
        BankError(.platformNotFound, "There is no platform named \(name); `nccmatch admin platform list` shows them.")
    }

    /// `store_corrupt`: a case's stored secret parameters cannot be read.
    public static var secretParametersUnknown: BankError {
        BankError(.storeCorrupt, "The stored secret of a case has unknown parameters.")
    }

    /// `store_corrupt`: the bank's match-reference key is missing or not 32 bytes.
    public static var matchReferenceKeyDamaged: BankError {
        BankError(.storeCorrupt, "The bank's match-reference key is missing or damaged.")
    }

    /// `store_too_new`: the bank's schema is newer than this nccmatch knows.
    public static func storeTooNew(_ bank: String) -> BankError {
        BankError(.storeTooNew, "The bank database \(bank) was written by a newer nccmatch; run that version or newer.")
    }
}
