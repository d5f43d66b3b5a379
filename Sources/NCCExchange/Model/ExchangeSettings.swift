import Foundation

/// How the operator configured one exchange feed (`nccmatch exchange add`): which importer, where it reads,
/// which bank its hashes fill and how often it is fetched. Stored in the bank; holds no secret.
///
/// Credentials are never stored: `credentialEnvironment` names the environment variables the server and
/// `nccmatch exchange fetch` read them from (for StopNCII `fetch_key`, `subscription_key`, `feedback_key`;
/// for NCMEC `user`, `password`), so the bank file or database never holds an exchange's keys.
public struct ExchangeSettings: Sendable, Hashable, Codable {
    /// Which importer reads the feed.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// StopNCII.org's partner API (`StopNCIIImporter`).
        case stopNCII = "stopncii"
        /// NCMEC's hash-sharing API (`NCMECImporter`).
        case ncmec
        /// A pytx `local_file`: `signal_type value` lines (`SignalFileImporter`).
        case localFile = "local_file"
        /// A signal CSV (`threatexchange dataset --csv`, HMA users' exports) (`SignalFileImporter`).
        case signalCSV = "signal_csv"
    }

    /// Shortest fetch interval, in seconds (the exchanges ask partners not to poll harder).
    public static let minimumInterval = 10
    /// Default fetch interval, in seconds.
    public static let defaultInterval = 300

    /// The operator's unique name for it (`[a-z0-9_-]`, 1 to 64 characters), as in `ExchangeSync.exchange`.
    public var name: String
    /// Which importer reads it.
    public var kind: Kind
    /// The name of the bank its hashes fill (`BankSettings.name`).
    public var bank: String
    /// The API's base URL (StopNCII, NCMEC), or the file's absolute path (files); nil for the API's default.
    public var endpoint: String?
    /// Credential name (`fetch_key`, `user`, ...) to the environment variable holding it.
    public var credentialEnvironment: [String: String]
    /// Seconds between fetches in `serve` (at least `minimumInterval`).
    public var intervalSeconds: Int
    /// Whether `serve` fetches it.
    public var enabled: Bool
    /// When it was added.
    public var createdAt: Date
    /// Our platform's name as the exchange shows it on the feedback it holds (StopNCII: the `source` of our
    /// entries in a hash record's `CSPFeedbacks`, the name StopNCII gave our account), or nil when not known.
    /// With it, feedback whose try ended without an answer (a crash, a time-out) is settled from the exchange's
    /// feed, so it is delivered exactly once; without it such feedback is sent again (at least once). At most
    /// `maxFeedbackSourceLength` characters, no control characters.
    public var feedbackSource: String?

    /// The longest `feedbackSource`, in characters.
    public static let maxFeedbackSourceLength = 200

    /// Makes settings.
    public init(name: String, kind: Kind, bank: String, endpoint: String? = nil, credentialEnvironment: [String: String] = [:],
                intervalSeconds: Int = ExchangeSettings.defaultInterval, enabled: Bool = true, createdAt: Date = Date(),
                feedbackSource: String? = nil) {
        self.name = name
        self.kind = kind
        self.bank = bank
        self.endpoint = endpoint
        self.credentialEnvironment = credentialEnvironment
        self.intervalSeconds = intervalSeconds
        self.enabled = enabled
        self.createdAt = createdAt
        self.feedbackSource = feedbackSource
    }

    /// Whether `source` can be a `feedbackSource`: 1 to `maxFeedbackSourceLength` characters, no control
    /// characters, not only spaces.
    public static func isValidFeedbackSource(_ source: String) -> Bool {
        !source.trimmingCharacters(in: .whitespaces).isEmpty && source.count <= maxFeedbackSourceLength
            && !source.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// Whether `name` is a usable exchange or bank name: 1 to 64 of `a-z`, `0-9`, `_`, `-`, starting with a letter.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), name.unicodeScalars.count <= 64 else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
    }
}
