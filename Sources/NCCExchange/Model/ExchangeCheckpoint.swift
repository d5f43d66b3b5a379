/// Where an exchange's feed was left: stored with each page's changes, so a restart resumes exactly there.
///
/// Opaque to its holders: only the importer that made it reads it. Codable as JSON for any store.
/// - Warning: a checkpoint belongs to one exchange; another kind of importer refuses it
///   (`ExchangeError.Code.checkpointMismatch`), and one of the same kind for another account would skip records.
public struct ExchangeCheckpoint: Sendable, Hashable, Codable {
    enum State: Sendable, Hashable, Codable {
        /// StopNCII: the run started at `startTimestamp`; `pageToken` continues it (valid for a short time).
        case stopNCII(startTimestamp: Int64, pageToken: String?, tokenIssuedAt: Int64?)
        /// NCMEC: entries changed in [from, to); `nextPath` continues the range (valid for 12 hours).
        case ncmec(from: Int64, to: Int64?, nextPath: String?, pathIssuedAt: Int64?)
        /// A file: the next line to read; `fingerprint` says which version of the file.
        case file(nextLine: Int, fingerprint: String)
    }

    let state: State

    init(_ state: State) { self.state = state }

    /// Whether the feed was read to its end at this checkpoint (no page in flight).
    public var isAtEnd: Bool {
        switch state {
        case .stopNCII(_, let token, _): token == nil
        case .ncmec(_, _, let next, _): next == nil
        case .file: false
        }
    }
}
