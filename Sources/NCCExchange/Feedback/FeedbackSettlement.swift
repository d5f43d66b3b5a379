import Foundation

/// How a feedback item found IN DOUBT (`FeedbackItem.inDoubtSince` set: its process died during the request, or
/// the request ended without an answer) is settled from the exchange's own record of feedback, instead of being
/// sent again blindly.
///
/// StopNCII's hash records are aggregates (pytx `exchanges/clients/stopncii/api.py`, `StopNCIIHashRecord`): each
/// carries every platform's latest feedback in `CSPFeedbacks` (`source`, `feedbackValue`), and a feedback changes
/// the record's `lastModtimestamp`, so the next `FetchHashes` from an earlier checkpoint returns it again; the
/// importer keeps that list (`ExchangeRecord.feedback`). The rule, for an item in doubt since `S`:
///
/// 1. The exchange is not StopNCII, or is disabled, or its `ExchangeSettings.feedbackSource` is not set: send
///    again (at least once). NCMEC's feedback is a PUT of the same state per fingerprint, which NCMEC keeps once.
/// 2. The stored record carries feedback from our source (`feedbackSource`, compared without case and outer
///    spaces) with the value this item sends: the exchange holds it; mark it delivered without sending.
/// 3. Otherwise, once the feed has been read to its end through an exchange time at or after `S + answerWindow`
///    (the stored checkpoint, StopNCII's `nextSetTimestamp`): the request can no longer land (our HTTP deadline is
///    within the window) and the feed would show it; send again.
/// 4. Otherwise wait for the fetch loop to read the feed, rechecking every `recheck` seconds, but no longer than
///    `fetchIntervals` fetch intervals after `S + answerWindow`; then send again.
///
/// - Warning: the window holds the HTTP deadline of the feedback sender (30 s) and a few seconds for the clocks of
///   the exchange and this host to differ; a clock off by more than that can make rule 3 send a second time.
public struct FeedbackSettlement: Sendable, Hashable {
    /// What to do with an item in doubt.
    public enum Decision: Sendable, Hashable {
        /// The exchange's record shows our feedback: mark it delivered, send nothing.
        case delivered
        /// Send it (again).
        case send
        /// Leave it in doubt until `until`, then look again.
        case wait(until: Date)
    }

    /// Seconds after a try began by which its request has surely ended (the sender's 30 s HTTP deadline and 5 s
    /// for clocks that differ).
    public var answerWindow: TimeInterval
    /// Fetch intervals (`ExchangeSettings.intervalSeconds`) to wait for the settling fetch after the window.
    public var fetchIntervals: Double
    /// Seconds between looks at a waiting item's record.
    public var recheck: TimeInterval

    /// Makes a settlement rule.
    public init(answerWindow: TimeInterval = 35, fetchIntervals: Double = 3, recheck: TimeInterval = 5) {
        self.answerWindow = answerWindow
        self.fetchIntervals = fetchIntervals
        self.recheck = recheck
    }

    /// Whether items of this exchange can be settled from its feed (StopNCII, enabled, with a feedback source).
    public static func canSettle(_ settings: ExchangeSettings?) -> Bool {
        guard let settings, settings.kind == .stopNCII, settings.enabled, let source = settings.feedbackSource else { return false }
        return ExchangeSettings.isValidFeedbackSource(source)
    }

    /// Whether `record` carries feedback from `source` with the value `outcome` sends to StopNCII.
    public static func shows(_ record: ExchangeRecord, source: String, outcome: ExchangeFeedbackOutcome) -> Bool {
        let ours = source.trimmingCharacters(in: .whitespaces)
        return record.feedback.contains {
            $0.value == outcome.stopNCIIValue && $0.source.trimmingCharacters(in: .whitespaces).caseInsensitiveCompare(ours) == .orderedSame
        }
    }

    /// The decision for `item` from what the store holds: its record (nil when not stored) and its exchange's
    /// checkpoint. An item not in doubt is sent.
    public func decide(_ item: FeedbackItem, settings: ExchangeSettings?, record: ExchangeRecord?, checkpoint: ExchangeCheckpoint?,
                       now: Date) -> Decision {
        guard let since = item.inDoubtSince, Self.canSettle(settings), let settings, let source = settings.feedbackSource else { return .send }
        if let record, Self.shows(record, source: source, outcome: item.key.outcome) { return .delivered }
        let landedBy = since.addingTimeInterval(answerWindow)
        if let through = checkpoint?.readThrough, through >= landedBy { return .send }
        let giveUp = landedBy.addingTimeInterval(fetchIntervals * Double(settings.intervalSeconds))
        if now >= giveUp { return .send }
        return .wait(until: min(giveUp, now.addingTimeInterval(recheck)))
    }

    /// The decision for `item`, reading its record and its exchange's checkpoint from `store` only when they can
    /// settle it.
    public func decide(_ item: FeedbackItem, settings: ExchangeSettings?, store: any ExchangeRecordStore, now: Date) async throws -> Decision {
        guard item.inDoubtSince != nil, Self.canSettle(settings) else { return .send }
        let record = try await store.record(item.key.record, exchange: item.key.exchange)
        let checkpoint = try await store.checkpoint(exchange: item.key.exchange)
        return decide(item, settings: settings, record: record, checkpoint: checkpoint, now: now)
    }
}

extension ExchangeCheckpoint {
    /// The exchange's time through which its feed has been read, when the feed was read to its end (StopNCII:
    /// the `nextSetTimestamp` the last page gave); nil mid-run, before the first fetch and for other kinds.
    public var readThrough: Date? {
        guard case .stopNCII(let start, nil, _) = state else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(start))
    }
}
