import NCCWire

/// Sends a case's pictures in requests the bank accepts: at most `limit` hashes each (the bank's
/// `WireLimits.maxItemsPerRequest` by default, each frame of a video counting as one), whole pictures and videos per request (one picture's hashes are never
/// split), the first opening the case (`POST /v1/cases`) unless it is already open, the others adding to it
/// (`POST /v1/cases/{id}/hashes`).
public struct CaseUpload: Sendable {
    /// The bank's limit of hashes per request.
    public static let maxHashesPerRequest = WireLimits.maxItemsPerRequest

    /// A refusal of one hash, by the picture it belongs to.
    public struct Refusal: Sendable, Hashable {
        /// The picture's position in the list given to `send`.
        public var picture: Int
        /// The bank's stable code (`quality_too_low`, ...).
        public var code: String
        /// The bank's reason, in plain words.
        public var message: String
    }

    /// What happened to the pictures sent.
    public struct Outcome: Sendable {
        /// The case's id.
        public var caseID: String
        /// The case's secret, when this upload opened the case (shown once by the bank).
        public var secret: String?
        /// Hashes the bank took.
        public var accepted = 0
        /// Hashes the bank did not take, by picture, with the bank's reason.
        public var rejected: [Refusal] = []
        /// For each picture given: whether the request holding it was answered.
        public var sent: [Bool] = []
        /// For each picture given: whether a PDQ hash (or, for a video, its frames) was taken (so that changed copies can be found).
        public var perceptual: [Bool] = []
        /// The error that stopped the sending part way, if one did.
        public var failure: BankClientError?
    }

    /// The bank to send to.
    public var client: BankClient

    /// Makes an upload to `client`'s bank.
    public init(client: BankClient) { self.client = client }

    /// Consecutive runs of pictures, each run holding at most `limit` hashes (a picture with more goes alone).
    /// - Parameter hashCounts: the number of hashes of each picture.
    public static func chunks(_ hashCounts: [Int], limit: Int = maxHashesPerRequest) -> [Range<Int>] {
        var chunks: [Range<Int>] = []
        var start = 0, count = 0
        for (k, hashes) in hashCounts.enumerated() {
            if count > 0 && count + hashes > limit {
                chunks.append(start..<k)
                start = k
                count = 0
            }
            count += hashes
        }
        if start < hashCounts.count { chunks.append(start..<hashCounts.count) }
        return chunks
    }

    /// Sends the hashes of `pictures` (one list per picture, without picture numbers), numbered from
    /// `firstImage`: opens a case with the first request when `existing` is nil, else adds everything to that
    /// case with its secret.
    /// - Throws: `BankClientError` when the first request fails (nothing was stored); a later failure is
    ///   returned in `Outcome.failure` with the pictures sent so far.
    public func send(_ pictures: [[CaseHash]], firstImage: Int, existing: (caseID: String, secret: String)?,
                     limit: Int = maxHashesPerRequest) throws -> Outcome {
        var outcome = Outcome(caseID: existing?.caseID ?? "", secret: nil, sent: Array(repeating: false, count: pictures.count),
                              perceptual: Array(repeating: false, count: pictures.count))
        var secret = existing?.secret
        for (n, chunk) in Self.chunks(pictures.map { $0.reduce(0) { $0 + $1.hashCount } }, limit: limit).enumerated() {
            var hashes: [CaseHash] = []
            var owner: [Int] = []
            for k in chunk {
                for var hash in pictures[k] {
                    hash.image = firstImage + k
                    hashes.append(hash)
                    owner.append(k)
                }
            }
            let request = HashesRequest(hashes: hashes)
            let accepted: Int
            let rejected: [Rejection]
            do {
                if n == 0 && existing == nil {
                    let answer = try client.openCase(request)
                    outcome.caseID = answer.caseID
                    secret = answer.secret
                    outcome.secret = secret
                    (accepted, rejected) = (answer.accepted, answer.rejected)
                } else {
                    let answer = try client.addHashes(request, caseID: outcome.caseID, secret: secret)
                    (accepted, rejected) = (answer.accepted, answer.rejected)
                }
            } catch let error as BankClientError {
                if n == 0 && existing == nil { throw error }
                outcome.failure = error
                return outcome
            }
            outcome.accepted += accepted
            var refused = Set<Int>()
            for r in rejected where r.index >= 0 && r.index < owner.count {
                refused.insert(r.index)
                outcome.rejected.append(Refusal(picture: owner[r.index], code: r.code, message: r.message))
            }
            for (i, hash) in hashes.enumerated() {
                outcome.sent[owner[i]] = true
                if (hash.algorithm == WireAlgorithm.pdq.rawValue || hash.algorithm == WireAlgorithm.vpdq.rawValue) && !refused.contains(i) { outcome.perceptual[owner[i]] = true }
            }
        }
        return outcome
    }
}
