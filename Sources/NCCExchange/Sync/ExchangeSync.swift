/// Reads an exchange's feed into a store: page after page from the stored checkpoint, each page's changes and
/// its checkpoint written together, until the feed has no more or `maxPages` were read.
public struct ExchangeSync: Sendable {
    /// What one run did. Counts only: safe to log.
    public struct Report: Sendable, Hashable {
        /// Pages applied.
        public var pages = 0
        /// Records stored or replaced.
        public var upserted = 0
        /// Records removed (withdrawn, deleted, replaced entries' old fingerprints not counted).
        public var removed = 0
        /// Entries replaced or deleted (NCMEC).
        public var entriesReplaced = 0
        /// Malformed records skipped, by reason.
        public var rejections = RejectionTally()
        /// Whether the feed was read to its end.
        public var reachedEnd = false
    }

    /// The exchange's name in the store (the operator's name for it, such as `stopncii`).
    public var exchange: String
    /// The importer.
    public var importer: any ExchangeImporter
    /// The store.
    public var store: any ExchangeRecordStore
    /// Most pages in one run (bounds one run's time; the next run resumes).
    public var maxPages: Int

    /// Makes a sync.
    public init(exchange: String, importer: any ExchangeImporter, store: any ExchangeRecordStore, maxPages: Int = 10_000) {
        self.exchange = exchange
        self.importer = importer
        self.store = store
        self.maxPages = maxPages
    }

    /// Runs until the feed's end, `maxPages`, cancellation, or an error.
    ///
    /// - Throws: `ExchangeError` when a page cannot be had (after the client's retries); what was applied before
    ///   stays applied with its checkpoint, and the next run resumes there. The store's own errors as they are.
    @discardableResult
    public func run(progress: (@Sendable (Report) -> Void)? = nil) async throws -> Report {
        var report = Report()
        var checkpoint = try await store.checkpoint(exchange: exchange)
        while report.pages < maxPages, !Task.isCancelled {
            let page = try await importer.fetchPage(after: checkpoint)
            try await store.apply(page.changes, checkpoint: page.checkpoint, exchange: exchange)
            checkpoint = page.checkpoint
            report.pages += 1
            for change in page.changes {
                switch change {
                case .upsert: report.upserted += 1
                case .remove: report.removed += 1
                case .replaceEntry(_, let records):
                    report.entriesReplaced += 1
                    report.upserted += records.count
                }
            }
            report.rejections.merge(page.rejections)
            progress?(report)
            if !page.hasMore {
                report.reachedEnd = true
                break
            }
        }
        return report
    }
}
