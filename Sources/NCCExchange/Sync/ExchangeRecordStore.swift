/// Where an exchange's current records and its checkpoint live. The bank stores implement it; a page's changes
/// and its checkpoint are one write, so a restart resumes after the last applied page, never losing or
/// applying a page twice.
public protocol ExchangeRecordStore: Sendable {
    /// The checkpoint stored with the last applied page of `exchange`, or nil before the first.
    func checkpoint(exchange: String) async throws -> ExchangeCheckpoint?

    /// Applies `changes` in order and stores `checkpoint`, all or nothing.
    ///
    /// `.upsert` replaces any record with the same id; `.remove` deletes the id if present; `.replaceEntry`
    /// deletes every record of the entry, then stores the given ones.
    /// - Warning: applying the changes without the checkpoint (or the reverse) loses or repeats a page on restart.
    func apply(_ changes: [ExchangeChange], checkpoint: ExchangeCheckpoint, exchange: String) async throws

    /// The current records of `exchange` (for the index that matches them, and for tests).
    func records(exchange: String) async throws -> [ExchangeRecord]

    /// The current record `id` of `exchange`, or nil (not stored, or an unknown exchange). Feedback settlement
    /// reads it (`FeedbackSettlement`); the bank drivers find it by its key.
    func record(_ id: ExchangeRecord.ID, exchange: String) async throws -> ExchangeRecord?
}

extension ExchangeRecordStore {
    /// A walk of `records(exchange:)`, for small stores (the memory ones).
    public func record(_ id: ExchangeRecord.ID, exchange: String) async throws -> ExchangeRecord? {
        try await records(exchange: exchange).first { $0.id == id }
    }
}
