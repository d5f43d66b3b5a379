import Foundation
import Logging
import NCCBank
import NCCBankPostgres
import NCCHashing
import NCCIndex
import Synchronization

/// The bank's behaviour behind the HTTP routes: validation, authorization, rate limits, the store and the
/// in-memory indexes kept in step with it.
///
/// On SQLite, case writes (open, add, withdraw) run one at a time, each store transaction followed by its
/// index update, so the indexes never hold a withdrawn hash. On PostgreSQL the indexes follow the bank's
/// numbered changes instead (`ChangeFollower.swift`). Matches only read the indexes.
public final class BankService: Sendable {
    let store: any BankStore
    let index = BankIndex()
    let configuration: ServerConfiguration
    let metrics = ServiceMetrics()
    let logger: Logger
    private let readyFlag = Atomic<Bool>(false)
    let caseWrites = AsyncLock()
    /// The shared PostgreSQL store when replicas follow its change feed; nil on SQLite.
    let feed: PostgresBankStore?
    /// The sequence of the last change of the shared bank applied to this replica's indexes (0 on SQLite).
    let appliedSequence = Atomic<Int64>(0)
    /// Platforms as last read (PostgreSQL: used while the database is away).
    let knownPlatforms = PlatformMemory()
    /// Matches answered while the database was away, recorded when it returns.
    let pendingMatches = PendingMatches()
    let requestLimiter: RateLimiter
    let hashLimiter: RateLimiter
    let secretLimiter: RateLimiter

    /// A service over `store`; not ready until `loadIndex()` has run.
    public init(store: any BankStore, configuration: ServerConfiguration, logger: Logger) {
        self.store = store
        self.feed = store as? PostgresBankStore
        self.configuration = configuration
        self.logger = logger
        requestLimiter = RateLimiter(capacity: configuration.requestsPerSecond * 2, ratePerSecond: configuration.requestsPerSecond)
        hashLimiter = RateLimiter(capacity: max(Double(maxItemsPerRequest), configuration.hashesPerSecond * 2), ratePerSecond: configuration.hashesPerSecond)
        secretLimiter = RateLimiter(capacity: Double(configuration.secretFailuresAllowed), ratePerSecond: 1 / configuration.secretRetrySeconds)
    }

    /// Whether the indexes are loaded and requests are served.
    public var isReady: Bool { readyFlag.load(ordering: .acquiring) }

    /// Builds the indexes from the store; then the service is ready.
    public func loadIndex() async throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let hashes: [StoredHash]
        if let feed {
            // One snapshot: the hashes and the change sequence they include; following starts after it.
            let loaded = try await feed.loadHashesAndSequence()
            hashes = loaded.hashes
            appliedSequence.store(loaded.sequence, ordering: .releasing)
        } else {
            hashes = try await store.loadHashes()
        }
        index.insert(hashes)
        readyFlag.store(true, ordering: .releasing)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        logger.info("index loaded", metadata: ["hashes": "\(hashes.count)", "seconds": "\(String(format: "%.2f", seconds))"])
    }

    func requireReady() throws {
        guard isReady else { throw APIError.notReady }
    }

    // MARK: - Cases

    /// Checks hashes of a case request: structural problems throw a 400 (nothing is stored); hashes the bank
    /// cannot use (PDQ quality under 50) come back as rejections.
    func validate(_ request: HashesRequest, firstImageKey: Int) throws -> (accepted: [NewHash], rejected: [Rejection]) {
        if request.hashes.isEmpty {
            throw APIError.badRequest("no_hashes", "The request lists no hashes; send at least one.")
        }
        if request.hashes.count > maxItemsPerRequest {
            throw APIError(.contentTooLarge, "too_many_items", "A request holds at most \(maxItemsPerRequest) hashes; this one has \(request.hashes.count). Send them in several requests.")
        }
        var accepted: [NewHash] = [], rejected: [Rejection] = []
        var seen = Set<NewHash>()
        var nextKey = firstImageKey
        for (i, input) in request.hashes.enumerated() {
            let path = "hashes[\(i)]"
            let algorithm = try HashText.algorithm(input.algorithm, at: "\(path).algorithm")
            let bytes = try HashText.bytes(input.value, algorithm: algorithm, at: "\(path).value")
            if let image = input.image, !(0...1_000_000).contains(image) {
                throw APIError.badRequest("invalid_field", "\(path).image is a picture number from 0 to 1000000.")
            }
            if let quality = input.quality, !(0...100).contains(quality) {
                throw APIError.badRequest("invalid_field", "\(path).quality is PDQ's quality score, from 0 to 100.")
            }
            let imageKey: Int
            if let image = input.image { imageKey = image } else { imageKey = nextKey; nextKey += 1 }
            if algorithm == .pdq {
                guard let quality = input.quality else {
                    rejected.append(Rejection(index: i, code: "quality_missing", message: "This PDQ hash came without its quality score, so the bank cannot tell whether it can be matched reliably. Hash the picture again with nccmatch, which sends the score."))
                    continue
                }
                if quality < 50 {
                    rejected.append(Rejection(index: i, code: "quality_too_low", message: "This picture is too plain (quality \(quality) of 100; at least 50 is needed) to be matched reliably, so it was not added. This is not a problem with what you did; the picture simply has too little detail for this kind of matching."))
                    continue
                }
            }
            let hash = NewHash(algorithm: algorithm, value: bytes, quality: algorithm == .pdq ? input.quality : nil, imageKey: imageKey)
            if seen.insert(hash).inserted { accepted.append(hash) }
        }
        return (accepted, rejected)
    }

    func openCase(_ request: HashesRequest) async throws -> CaseCreatedResponse {
        try requireReady()
        let (accepted, rejected) = try validate(request, firstImageKey: Self.autoImageKeyBase(request))
        if accepted.isEmpty {
            throw APIError(.unprocessableContent, "no_usable_hashes", "None of the hashes could be added, so no case was opened. \(rejected.first?.message ?? "")")
        }
        let id = Secrets.newCaseID()
        let secret = Secrets.newCaseSecret()
        let rounds = configuration.secretRounds
        let stored = try await Self.offload { try Secrets.hashCaseSecret(secret, rounds: rounds) }
        let newCase = NewCase(id: id, secret: stored, hashes: accepted)
        try await caseWrite {
            let hashes = try await self.bankCall { try await self.store.createCase(newCase) }
            await self.applyLocalWrite(inserted: hashes, removed: [])
        }
        metrics.add("nccmatch_cases_opened_total")
        logger.info("case opened", metadata: ["hashes": "\(accepted.count)", "rejected": "\(rejected.count)"])
        return CaseCreatedResponse(
            caseID: id, secret: secret, accepted: accepted.count, rejected: rejected,
            message: "Your case is open. Only hashes were received, never pictures. Keep the case id and the secret somewhere safe: they are shown only once and are needed to check or withdraw the case.")
    }

    /// Picture numbers given to hashes without `image`: above every number the request uses.
    static func autoImageKeyBase(_ request: HashesRequest) -> Int {
        (request.hashes.compactMap(\.image).max() ?? -1) + 1
    }

    /// Checks a case secret, throttling repeated wrong ones per case. The same answer for an unknown case
    /// and a wrong secret, so neither reveals the other.
    func authenticateCase(_ caseID: String, secret: String?) async throws {
        guard let secret, !secret.isEmpty else {
            throw APIError(.unauthorized, "secret_required", "This needs the case secret you received when the case was opened, sent as `Authorization: Bearer <secret>`.")
        }
        if let wait = await secretWait(caseID, take: false) {
            metrics.add("nccmatch_rate_limited_total{reason=\"case_secret\"}")
            throw APIError(.tooManyRequests, "too_many_attempts", "There were several tries with a secret that did not fit. For safety, please wait \(wait) seconds before trying again.", retryAfter: wait)
        }
        let credentials = try await bankCall { try await self.store.caseCredentials(caseID: caseID) }
        let valid: Bool
        if let credentials {
            valid = await Self.offload { Secrets.verifyCaseSecret(secret, against: credentials.secret) }
        } else {
            valid = false
        }
        if !valid {
            _ = await secretWait(caseID, take: true)
            logger.notice("case secret refused")
            throw APIError(.unauthorized, "case_credentials_invalid", "The case id and secret do not fit together. Check both against what you saved when you opened the case; copy them exactly.")
        }
    }

    func addHashes(caseID: String, secret: String?, request: HashesRequest, authenticated: Bool = false) async throws -> HashesAddedResponse {
        try requireReady()
        if !authenticated { try await authenticateCase(caseID, secret: secret) }
        // Hashes without a picture number get fresh numbers above those the case and the request use.
        let existing = try await bankCall { try await self.store.caseStatus(caseID: caseID) }
        let base = max((existing?.images.map(\.image).max() ?? -1) + 1, Self.autoImageKeyBase(request))
        let (hashes, rejected) = try validate(request, firstImageKey: base)
        if hashes.isEmpty {
            throw APIError(.unprocessableContent, "no_usable_hashes", "None of the hashes could be added; the case is unchanged. \(rejected.first?.message ?? "")")
        }
        try await caseWrite {
            let stored = try await self.bankCall { try await self.store.addHashes(caseID: caseID, hashes: hashes) }
            await self.applyLocalWrite(inserted: stored, removed: [])
        }
        logger.info("hashes added", metadata: ["hashes": "\(hashes.count)"])
        return HashesAddedResponse(caseID: caseID, accepted: hashes.count, rejected: rejected)
    }

    func withdraw(caseID: String, secret: String?) async throws -> CaseStatusResponse {
        try requireReady()
        try await authenticateCase(caseID, secret: secret)
        try await caseWrite {
            let removed = try await self.bankCall { try await self.store.withdrawCase(caseID: caseID) }
            await self.applyLocalWrite(inserted: [], removed: removed)
        }
        metrics.add("nccmatch_cases_withdrawn_total")
        logger.info("case withdrawn")
        return try await status(caseID: caseID, secret: nil, authenticated: true)
    }

    func status(caseID: String, secret: String?, authenticated: Bool = false) async throws -> CaseStatusResponse {
        if !authenticated { try await authenticateCase(caseID, secret: secret) }
        guard let report = try await bankCall({ try await self.store.caseStatus(caseID: caseID) }) else {
            throw APIError(.unauthorized, "case_credentials_invalid", "The case id and secret do not fit together.")
        }
        let format = ISO8601DateFormatter()
        let images = report.images.map { image in
            CaseStatusResponse.Image(
                image: image.image, hashes: image.hashes, platformsMatched: image.platformsMatched,
                feedback: Dictionary(uniqueKeysWithValues: FeedbackOutcome.allCases.map { ($0.rawValue, image.feedback[$0] ?? 0) }))
        }
        let message: String
        switch report.state {
        case .withdrawn:
            message = "This case is withdrawn: its hashes were deleted and nothing is matched against them any more. You can open a new case at any time."
        case .active:
            let matched = images.filter { $0.platformsMatched > 0 }.count
            let removed = images.reduce(0) { $0 + ($1.feedback[FeedbackOutcome.removed.rawValue] ?? 0) }
            if matched == 0 {
                message = "Your case is active. No platform has found a match so far; the bank keeps checking every batch platforms send."
            } else {
                message = "Your case is active. \(matched) of your \(images.count) picture\(images.count == 1 ? "" : "s") \(matched == 1 ? "has" : "have") been found on at least one platform; platforms reported \(removed) removal\(removed == 1 ? "" : "s")."
            }
        }
        return CaseStatusResponse(caseID: report.caseID, status: report.state.rawValue, createdAt: format.string(from: report.createdAt),
                                  withdrawnAt: report.withdrawnAt.map(format.string(from:)), images: images, message: message)
    }

    // MARK: - Platforms

    /// The platform behind a bearer key; 401 for a missing or unknown key, 403 for a revoked one.
    /// Looked up in the store on every request, so a revocation by `nccmatch admin` takes effect at once.
    func authenticatePlatform(_ bearer: String?) async throws -> PlatformRecord {
        guard let bearer, !bearer.isEmpty else {
            throw APIError(.unauthorized, "api_key_required", "This endpoint needs a platform API key, sent as `Authorization: Bearer <key>`.")
        }
        guard let key = APIKey(parsing: bearer),
              let platform = try await lookUpPlatform(keyPrefix: key.prefix),
              key.matches(storedHash: platform.keyHash) else {
            throw APIError(.unauthorized, "api_key_invalid", "The API key is not valid. Check that it was copied whole; the bank operator can issue a new one.")
        }
        if platform.revokedAt != nil {
            throw APIError(.forbidden, "api_key_revoked", "This API key was revoked by the bank operator; ask them for a new one.")
        }
        if let wait = requestLimiter.take(platform.keyPrefix) {
            metrics.add("nccmatch_rate_limited_total{reason=\"requests\"}")
            throw APIError(.tooManyRequests, "rate_limited", "Too many requests for this API key; retry after \(wait) seconds.", retryAfter: wait)
        }
        return platform
    }

    func match(bearer: String?, request: MatchRequest) async throws -> MatchResponse {
        try requireReady()
        let platform = try await authenticatePlatform(bearer)
        if request.items.isEmpty { throw APIError.badRequest("no_items", "The request lists no items; send at least one.") }
        if request.items.count > maxItemsPerRequest {
            throw APIError(.contentTooLarge, "too_many_items", "A match request holds at most \(maxItemsPerRequest) items; this one has \(request.items.count). Split it into batches.")
        }
        var queries: [BankIndex.Query] = []
        queries.reserveCapacity(request.items.count)
        var algorithms = Set<HashAlgorithm>()
        for (i, item) in request.items.enumerated() {
            if item.id.utf8.count > 256 {
                throw APIError.badRequest("invalid_field", "items[\(i)].id is longer than 256 bytes; use a shorter content id.")
            }
            let algorithm = try HashText.algorithm(item.algorithm, at: "items[\(i)].algorithm")
            queries.append(.init(algorithm: algorithm, bytes: try HashText.bytes(item.value, algorithm: algorithm, at: "items[\(i)].value")))
            algorithms.insert(algorithm)
        }
        var distances: [HashAlgorithm: Int] = [:]
        if let wanted = request.maxDistance {
            for algorithm in algorithms where algorithm != .md5 && algorithm != .sha256 {
                guard (0...algorithm.defaultMaxDistance).contains(wanted) else {
                    throw APIError.badRequest("invalid_max_distance", "max_distance can narrow matching but not widen it: for \(algorithm.rawValue) it is between 0 and \(algorithm.defaultMaxDistance).")
                }
                distances[algorithm] = wanted
            }
        }
        if let wait = hashLimiter.take(platform.keyPrefix, cost: Double(queries.count)) {
            metrics.add("nccmatch_rate_limited_total{reason=\"hashes\"}")
            throw APIError(.tooManyRequests, "rate_limited", "Too many hashes for this API key; retry after \(wait) seconds.", retryAfter: wait)
        }
        let found = index.match(queries, distances: distances)
        let imageIDs = Set(found.flatMap { $0.map { Int64($0.id) } })
        let refs = imageIDs.isEmpty ? [:] : try await matchReferences(platform: platform, imageIDs: Array(imageIDs))
        var hits: [HashAlgorithm: Int] = [:]
        var results: [MatchResponse.Result] = []
        results.reserveCapacity(queries.count)
        for (i, item) in request.items.enumerated() {
            var matches: [MatchResponse.Match] = []
            for m in found[i] {
                if let ref = refs[Int64(m.id)] { matches.append(.init(matchRef: ref, distance: m.distance)) }
            }
            matches.sort { $0.distance < $1.distance || ($0.distance == $1.distance && $0.matchRef < $1.matchRef) }
            hits[queries[i].algorithm, default: 0] += matches.count
            results.append(.init(id: item.id, matches: matches))
        }
        for algorithm in algorithms {
            metrics.add("nccmatch_match_queries_total{algorithm=\"\(algorithm.rawValue)\"}", queries.lazy.filter { $0.algorithm == algorithm }.count)
            metrics.add("nccmatch_match_hits_total{algorithm=\"\(algorithm.rawValue)\"}", hits[algorithm] ?? 0)
        }
        logger.debug("match", metadata: ["platform": "\(platform.name)", "items": "\(queries.count)", "matched_pictures": "\(refs.count)"])
        return MatchResponse(results: results)
    }

    func feedback(bearer: String?, request: FeedbackRequest) async throws -> FeedbackResponse {
        let platform = try await authenticatePlatform(bearer)
        guard let outcome = FeedbackOutcome(rawValue: request.outcome) else {
            throw APIError.badRequest("unknown_outcome", "outcome is one of pending_review, removed, not_violating.")
        }
        if let content = request.contentID, content.utf8.count > 256 {
            throw APIError.badRequest("invalid_field", "content_id is longer than 256 bytes; use a shorter content id.")
        }
        guard request.matchRef.utf8.count <= 64 else {
            throw APIError(.notFound, "match_ref_not_found", "This match reference is not one your platform received; check the value returned by /v1/match.")
        }
        try await bankCall { try await self.store.recordFeedback(platform: platform, matchRef: request.matchRef, outcome: outcome, contentID: request.contentID) }
        metrics.add("nccmatch_feedback_total{outcome=\"\(outcome.rawValue)\"}")
        logger.info("feedback", metadata: ["platform": "\(platform.name)", "outcome": "\(outcome.rawValue)"])
        return FeedbackResponse(matchRef: request.matchRef, outcome: outcome.rawValue, recorded: true)
    }

    // MARK: - Helpers

    /// The wrong-secret throttle: kept in the shared database on PostgreSQL (so it holds across replicas),
    /// in memory on SQLite. If the database cannot be asked, this replica's own buckets decide.
    func secretWait(_ caseID: String, take: Bool) async -> Int? {
        if let feed {
            do {
                return try await feed.secretThrottle(
                    caseID: caseID, capacity: secretLimiter.capacity, ratePerSecond: secretLimiter.ratePerSecond, take: take)
            } catch {
                logger.warning("secret throttle not readable in the database; using this replica's", metadata: ["code": "\((error as? BankError)?.code ?? "unknown")"])
            }
        }
        return take ? secretLimiter.take(caseID) : secretLimiter.wait(caseID)
    }

    /// Runs a store call, turning store errors into API errors (logged without values).
    func bankCall<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as BankError {
            throw apiError(error)
        }
    }

    /// The API answer for a store error, logging the service's own failures (without values).
    func apiError(_ error: BankError) -> APIError {
        if error.code.hasPrefix("store") || error.code.hasPrefix("database_") {
            logger.error("store failure", metadata: ["code": "\(error.code)", "cause": "\(error.underlying.map { String(describing: $0) } ?? "-")"])
        }
        return APIError.from(error)
    }

    /// Runs CPU-heavy work (secret hashing) off the cooperative thread pool.
    static func offload<T: Sendable>(_ body: @Sendable @escaping () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }

    static func offload<T: Sendable>(_ body: @Sendable @escaping () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: body()) }
        }
    }
}
