/// One change a fetched page asks of the stored records.
public enum ExchangeChange: Sendable, Hashable {
    /// Store the record, replacing any record with the same id.
    case upsert(ExchangeRecord)
    /// Remove the record with this id, if stored (a withdrawn or deleted hash).
    case remove(ExchangeRecord.ID)
    /// Replace every record of an upstream entry with these (none: the entry was deleted).
    case replaceEntry(UpstreamEntry, [ExchangeRecord])
}

/// One page of an exchange's feed, validated.
public struct ExchangePage: Sendable {
    /// The changes, in feed order (a later change to the same id wins).
    public var changes: [ExchangeChange]
    /// Records skipped as malformed, counted by reason (never their values).
    public var rejections: RejectionTally
    /// Where the next page starts: stored with this page's changes, in the same write.
    public var checkpoint: ExchangeCheckpoint
    /// Whether the exchange has more pages now.
    public var hasMore: Bool

    /// Makes a page.
    public init(changes: [ExchangeChange], rejections: RejectionTally, checkpoint: ExchangeCheckpoint, hasMore: Bool) {
        self.changes = changes
        self.rejections = rejections
        self.checkpoint = checkpoint
        self.hasMore = hasMore
    }
}
