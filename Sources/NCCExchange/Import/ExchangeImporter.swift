/// A source of hash records read page by page from a checkpoint: the StopNCII partner API, NCMEC's hash API,
/// a pytx `local_file`, a signal CSV.
public protocol ExchangeImporter: Sendable {
    /// The exchange's kind (`stopncii`, `ncmec`, `local_file`, `signal_csv`), for messages and metrics.
    var kind: String { get }

    /// Fetches the page after `checkpoint` (nil: the feed's beginning).
    ///
    /// A page's malformed records are skipped and counted in `rejections`; they never fail the page.
    /// - Throws: `ExchangeError` when the page itself could not be had; nothing of it is applied then.
    func fetchPage(after checkpoint: ExchangeCheckpoint?) async throws(ExchangeError) -> ExchangePage
}
