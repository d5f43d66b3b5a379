/// One hash as an exchange describes it: the unit imported, stored, and (later) served in a StopNCII-shaped feed.
///
/// A later record with the same `id` replaces the earlier one whole; a record whose `status` is withdrawn or
/// deleted removes it. Values are checked before a record exists (`RecordValidator`): a record is never malformed.
public struct ExchangeRecord: Sendable, Hashable, Codable {
    /// What identifies a record within one exchange: its kind and value, and for exchanges that group hashes
    /// into entries (NCMEC), the entry.
    public struct ID: Sendable, Hashable, Codable {
        /// The hash kind.
        public var signalType: ExchangeSignalType
        /// The hash in lowercase hex (or the exchange's own text form for kinds without a fixed hex form).
        public var signalValue: String
        /// The upstream entry the hash belongs to, for NCMEC; nil for StopNCII and files.
        public var entry: UpstreamEntry?

        /// Makes an id.
        public init(signalType: ExchangeSignalType, signalValue: String, entry: UpstreamEntry? = nil) {
            self.signalType = signalType
            self.signalValue = signalValue
            self.entry = entry
        }
    }

    /// The record's identity.
    public var id: ID
    /// The aggregate status (StopNCII `hashStatus`); `.active` for exchanges without one.
    public var status: ExchangeHashStatus
    /// Upstream case numbers and each one's status (StopNCII `caseNumbers`); empty for other exchanges.
    public var caseNumbers: [String: ExchangeHashStatus]
    /// What platforms reported upstream (StopNCII `CSPFeedbacks`).
    public var feedback: [UpstreamFeedback]
    /// When upstream last changed it, in seconds since 1970 (StopNCII `lastModtimestamp`, NCMEC `timestamp`).
    public var lastModified: Int64?
    /// The upstream classification (NCMEC `classification`, such as `A1`), if any.
    public var classification: String?

    /// The hash kind.
    public var signalType: ExchangeSignalType { id.signalType }
    /// The hash value in its stored text form.
    public var signalValue: String { id.signalValue }

    /// Makes a record. Prefer the importers, which validate; a hand-made record is trusted as given.
    public init(id: ID, status: ExchangeHashStatus = .active, caseNumbers: [String: ExchangeHashStatus] = [:],
                feedback: [UpstreamFeedback] = [], lastModified: Int64? = nil, classification: String? = nil) {
        self.id = id
        self.status = status
        self.caseNumbers = caseNumbers
        self.feedback = feedback
        self.lastModified = lastModified
        self.classification = classification
    }
}

/// An entry of an exchange that groups fingerprints (NCMEC): who uploaded it and its id there.
public struct UpstreamEntry: Sendable, Hashable, Codable {
    /// The uploading member's id (NCMEC `member id`, the `esp_id` feedback is addressed to).
    public var memberID: Int
    /// The entry id (NCMEC `id`).
    public var entryID: String

    /// Makes an entry reference.
    public init(memberID: Int, entryID: String) {
        self.memberID = memberID
        self.entryID = entryID
    }
}

/// One platform's feedback on a hash as the exchange reports it (StopNCII `CSPFeedbacks` items).
public struct UpstreamFeedback: Sendable, Hashable, Codable {
    /// Who gave it (StopNCII `source`, a platform's name).
    public var source: String
    /// The value as the exchange names it (`Blocked`, `NotBlocked`, ..., or a value we do not know yet).
    public var value: String
    /// Free tags.
    public var tags: [String]

    /// Makes a feedback item.
    public init(source: String, value: String, tags: [String]) {
        self.source = source
        self.value = value
        self.tags = tags
    }
}
