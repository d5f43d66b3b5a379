import Foundation
import Logging
import NCCBank
import NCCHashing
import NCCIndex
import NCCVideo
import NCCWire
import Synchronization

/// The bank's behaviour behind the HTTP routes: validation, authorization, rate limits, the store and the
/// in-memory indexes kept in step with it.
///
/// How the indexes keep in step with the store is the replica strategy's (`Replica/`): on a bank this
/// process alone writes, case writes run one at a time, each store transaction followed by its index update
/// (`LocalReplica`); on a shared bank the indexes follow the bank's numbered changes (`FollowingReplica`).
/// Matches only read the indexes.
public final class BankService: Sendable {
    let store: any BankStore
    let index: BankIndex
    let configuration: ServerConfiguration
    let metrics: ServiceMetrics
    let logger: Logger
    private let readyFlag = Atomic<Bool>(false)
    /// How the indexes follow the store, chosen by the kind of bank served.
    let replica: any ReplicaStrategy
    let requestLimiter: RateLimiter
    let hashLimiter: RateLimiter
    /// Wrong secrets and unknown case ids, per client address.
    let secretLimiter: RateLimiter
    /// Cases opened, per client address.
    let caseLimiter: RateLimiter
    /// Keys slowed for probing: one request per 10 s while it lasts.
    let slowedLimiter: RateLimiter
    /// Bounds the CPU that PBKDF2 takes, whoever asks.
    let secretWork: SecretWorkGate
    /// Daily budgets and probing detection of the match API.
    let probes: ProbeGuard
    /// What an unknown case id is checked against, so that it costs the same time as a known one.
    let decoySecret: StoredSecret

    /// A service over a bank this process alone writes (SQLite, memory); not ready until `loadIndex()` has run.
    public convenience init(store: any BankStore, configuration: ServerConfiguration, logger: Logger) {
        self.init(bank: .local(store), configuration: configuration, logger: logger)
    }

    /// A service over `bank`, following it as its kind needs; not ready until `loadIndex()` has run.
    public init(bank: ServedBank, configuration: ServerConfiguration, logger: Logger) {
        let index = BankIndex(), metrics = ServiceMetrics(), caseWrites = AsyncLock()
        self.store = bank.store
        self.index = index
        self.metrics = metrics
        self.configuration = configuration
        self.logger = logger
        requestLimiter = RateLimiter(capacity: configuration.requestsPerSecond * 2, ratePerSecond: configuration.requestsPerSecond)
        hashLimiter = RateLimiter(capacity: max(Double(WireLimits.maxItemsPerRequest), configuration.hashesPerSecond * 2), ratePerSecond: configuration.hashesPerSecond)
        secretLimiter = RateLimiter(capacity: Double(configuration.secretFailuresAllowed), ratePerSecond: 1 / configuration.secretRetrySeconds)
        caseLimiter = RateLimiter(capacity: Double(configuration.caseBurstPerClient), ratePerSecond: configuration.casesPerClientPerHour / 3_600)
        slowedLimiter = RateLimiter(capacity: 1, ratePerSecond: 0.1)
        secretWork = SecretWorkGate(permits: configuration.secretWorkers, queueLimit: configuration.secretQueue)
        probes = ProbeGuard(budgetPerDay: configuration.matchBudgetPerDay, bandLimit: configuration.probeBandLimit,
                            hitRateWindow: configuration.hitRateWindowSeconds)
        decoySecret = (try? Secrets.hashCaseSecret(Secrets.newCaseSecret(), rounds: configuration.secretRounds))
            ?? StoredSecret(scheme: "pbkdf2-sha256", rounds: configuration.secretRounds, salt: Array(repeating: 0, count: 16), hash: Array(repeating: 0, count: 32))
        switch bank {
        case .local(let store):
            replica = LocalReplica(store: store, index: index, caseWrites: caseWrites, secretLimiter: secretLimiter)
        case .shared(let store):
            replica = FollowingReplica(store: store, index: index, caseWrites: caseWrites, secretLimiter: secretLimiter, metrics: metrics, logger: logger)
        }
    }

    /// Whether the indexes are loaded and requests are served.
    public var isReady: Bool { readyFlag.load(ordering: .acquiring) }

    /// Builds the indexes from the store; then the service is ready.
    public func loadIndex() async throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let hashes = try await replica.loadIndex()
        readyFlag.store(true, ordering: .releasing)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        logger.info("index loaded", metadata: ["hashes": "\(hashes)", "seconds": "\(String(format: "%.2f", seconds))"])
    }

    func requireReady() throws {
        guard isReady else { throw APIError.notReady }
    }

    // MARK: - Cases

    /// Checks hashes of a case request: structural problems throw a 400 (nothing is stored); hashes the bank
    /// cannot use come back as rejections: PDQ under quality 50, values no real picture gives
    /// (`HashPlausibility`), and pHash or dHash of a picture whose PDQ was not accepted in the same request
    /// (they are only as trustworthy as the PDQ beside them).
    ///
    /// A video (`vpdq`) is one item: its usable frames (`VPDQMatchPolicy`: repeated hashes once, quality 50 or
    /// more, values a real frame can give) are stored as its PDQ hashes, its `md5` and `sha256` under the same
    /// number go with it; a number holds a video or a picture, never both, and a video never joins a number in
    /// `existing` (the case's numbers so far, with their kinds).
    func validate(_ request: HashesRequest, firstImageKey: Int, existing: [Int: BankItemKind] = [:]) throws -> (accepted: [NewHash], rejected: [Rejection]) {
        if request.hashes.isEmpty {
            throw APIError.badRequest("no_hashes", "The request lists no hashes; send at least one.")
        }
        let total = request.hashes.reduce(0) { $0 + $1.hashCount }
        if total > WireLimits.maxItemsPerRequest {
            throw APIError(.contentTooLarge, "too_many_items", "A request holds at most \(WireLimits.maxItemsPerRequest) hashes, each video frame counting as one; this one has \(total). Send them in several requests.")
        }
        // Every field is checked before any arithmetic on it (an `image` near Int.max once overflowed here).
        var parsed: [(algorithm: HashAlgorithm, bytes: [UInt8])] = []
        var videoFrames: [Int: [VPDQFrame]] = [:]
        parsed.reserveCapacity(request.hashes.count)
        for (i, input) in request.hashes.enumerated() {
            let path = "hashes[\(i)]"
            if let image = input.image, !(0...WireLimits.maxImageNumber).contains(image) {
                throw APIError.badRequest("invalid_field", "\(path).image is a picture number from 0 to \(WireLimits.maxImageNumber).")
            }
            if VideoText.isVideo(input.algorithm) {
                videoFrames[i] = try VideoText.frames(input.frames, value: input.value, quality: input.quality, at: path)
                parsed.append((.pdq, []))
                continue
            }
            try VideoText.refuseFrames(input.frames, at: path)
            let algorithm = try HashText.algorithm(input.algorithm, at: "\(path).algorithm")
            let bytes = try HashText.bytes(try HashText.value(input.value, at: "\(path).value"), algorithm: algorithm, at: "\(path).value")
            if let quality = input.quality, !(0...100).contains(quality) {
                throw APIError.badRequest("invalid_field", "\(path).quality is PDQ's quality score, from 0 to 100.")
            }
            if input.quality != nil && algorithm != .pdq {
                throw APIError.badRequest("invalid_field", "\(path).quality belongs to PDQ hashes only; leave it out for \(algorithm.rawValue).")
            }
            parsed.append((algorithm, bytes))
        }
        var accepted: [NewHash] = [], rejected: [Rejection] = []
        var seen = Set<NewHash>()
        var nextKey = firstImageKey
        var keys: [Int] = []
        for input in request.hashes {
            if let image = input.image { keys.append(image) } else { keys.append(nextKey); nextKey += 1 }
        }
        // Which numbers are videos: one video a number, never beside a picture's hashes, never a number the case has.
        var videoKeys = Set(existing.filter { $0.value == .video }.keys)
        for i in videoFrames.keys.sorted() {
            let key = keys[i]
            if existing[key] != nil || !videoKeys.insert(key).inserted {
                throw APIError.badRequest("video_image_conflict", "hashes[\(i)]: picture number \(key) is already used\(existing[key] != nil ? " in this case" : " by another video in this request"); give each video a number of its own.")
            }
        }
        for (i, key) in keys.enumerated() where videoFrames[i] == nil && videoKeys.contains(key) {
            if parsed[i].algorithm != .md5 && parsed[i].algorithm != .sha256 {
                throw APIError.badRequest("video_image_conflict", "hashes[\(i)]: picture number \(key) is a video; a picture's hashes need a number of their own (a video's number takes only its md5 and sha256).")
            }
        }
        var pdqAccepted = Set<Int>()
        var pending64: [(index: Int, hash: NewHash)] = []
        for (i, input) in request.hashes.enumerated() {
            let (algorithm, bytes) = parsed[i]
            let imageKey = keys[i]
            if let frames = videoFrames[i] {
                let usable = VideoFrameIndex.usable(frames)
                if usable.isEmpty {
                    rejected.append(Rejection(index: i, code: "video_quality_too_low", message: "None of this video's frames has enough detail (PDQ quality of at least 50) to be matched reliably, so it was not added. This is not a problem with what you did; the video is simply too dark or too plain for this kind of matching. Its exact copies are still matched if its MD5 and SHA-256 were sent."))
                    continue
                }
                for frame in usable {
                    let hash = NewHash(algorithm: .pdq, value: VideoText.bytes(frame), quality: frame.quality, imageKey: imageKey, kind: .video)
                    if seen.insert(hash).inserted { accepted.append(hash) }
                }
                continue
            }
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
            if let problem = HashPlausibility.problem(algorithm, bytes) {
                rejected.append(Rejection(index: i, code: "implausible_hash", message: problem))
                continue
            }
            let hash = NewHash(algorithm: algorithm, value: bytes, quality: algorithm == .pdq ? input.quality : nil, imageKey: imageKey,
                               kind: videoKeys.contains(imageKey) ? .video : .picture)
            switch algorithm {
            case .pdq: pdqAccepted.insert(imageKey)
            case .phash, .dhash:
                pending64.append((i, hash))
                continue
            case .md5, .sha256: break
            }
            if seen.insert(hash).inserted { accepted.append(hash) }
        }
        // pHash and dHash count only beside an accepted PDQ of the same picture.
        for (i, hash) in pending64 {
            guard pdqAccepted.contains(keys[i]) else {
                rejected.append(Rejection(index: i, code: "pdq_required", message: "A \(hash.algorithm.rawValue) hash is kept only together with an accepted PDQ hash of the same picture, which this request does not have; it was not added. Send all hashes of a picture together, as nccmatch does."))
                continue
            }
            if seen.insert(hash).inserted { accepted.append(hash) }
        }
        rejected.sort { $0.index < $1.index }
        return (accepted, rejected)
    }

    func openCase(_ request: HashesRequest, client: String) async throws -> CaseCreatedResponse {
        try requireReady()
        let (accepted, rejected) = try validate(request, firstImageKey: Self.autoImageKeyBase(request))
        if accepted.isEmpty {
            throw APIError(.unprocessableContent, "no_usable_hashes", "None of the hashes could be added, so no case was opened. \(rejected.first?.message ?? "")")
        }
        try checkRoom(for: accepted.count)
        // Counted only for requests that would open a case, so a person's mistakes do not use it up.
        if let wait = caseLimiter.take("case:" + client) {
            metrics.add("nccmatch_rate_limited_total{reason=\"case_open\"}")
            throw APIError(.tooManyRequests, "too_many_cases", "Several cases were opened from this connection a short while ago. Please wait \(Self.minutes(wait)) and try again; nothing was stored. To add pictures to a case you already have, use that case instead.", retryAfter: wait)
        }
        let id = Secrets.newCaseID()
        let secret = Secrets.newCaseSecret()
        let rounds = configuration.secretRounds
        let stored: StoredSecret
        do {
            stored = try await secretWork.run { try Secrets.hashCaseSecret(secret, rounds: rounds) }
        } catch {
            caseLimiter.refund("case:" + client)
            throw error
        }
        let newCase = NewCase(id: id, secret: stored, hashes: accepted)
        try await replica.caseWrite {
            let hashes = try await self.bankCall { try await self.store.createCase(newCase) }
            await self.replica.applyLocalWrite(inserted: hashes, removed: [])
        }
        metrics.add("nccmatch_cases_opened_total")
        logger.info("case opened", metadata: ["hashes": "\(accepted.count)", "rejected": "\(rejected.count)"])
        return CaseCreatedResponse(
            caseID: id, secret: secret, accepted: accepted.count, rejected: rejected,
            message: "Your case is open. Only hashes were received, never pictures. Keep the case id and the secret somewhere safe: they are shown only once and are needed to check or withdraw the case.")
    }

    /// Picture numbers given to hashes without `image`: above every number the request uses.
    /// Only called after `validate` has checked every number, or on numbers it clamps itself.
    static func autoImageKeyBase(_ request: HashesRequest) -> Int {
        min(WireLimits.maxImageNumber, max(-1, request.hashes.compactMap(\.image).max() ?? -1)) + 1
    }

    /// Checks a case secret. Every try is counted against the client's address before it is checked (so
    /// concurrent guesses cannot all pass one check) and given back when the secret fits; a case is never
    /// locked, so a stranger who knows the case id cannot lock its owner out. An unknown case id and a wrong
    /// secret get the same answer after the same work (an unknown id is checked against a decoy), so neither
    /// reveals whether the case exists.
    func authenticateCase(_ caseID: String, secret: String?, client: String) async throws {
        guard let secret, !secret.isEmpty else {
            throw APIError(.unauthorized, "secret_required", "This needs the case secret you received when the case was opened, sent as `Authorization: Bearer <secret>`.")
        }
        let throttleKey = "secret:" + client
        if let wait = await replica.takeSecretTry(throttleKey) {
            metrics.add("nccmatch_rate_limited_total{reason=\"case_secret\"}")
            throw APIError(.tooManyRequests, "too_many_attempts", "There were several tries with a case id or secret that did not fit. For safety, please wait \(wait) seconds before trying again.", retryAfter: wait)
        }
        // Only ids of the shape the bank issues are looked up; anything else is checked against the decoy.
        let credentials = Secrets.isWellFormedCaseID(caseID) ? try await bankCall { try await self.store.caseCredentials(caseID: caseID) } : nil
        let against = credentials?.secret ?? decoySecret
        let fits = try await secretWork.run { Secrets.verifyCaseSecret(secret, against: against) }
        if fits && credentials != nil {
            replica.secretTryFitted(throttleKey)
            return
        }
        metrics.add("nccmatch_case_secret_refused_total")
        logger.notice("case secret refused")
        throw APIError(.unauthorized, "case_credentials_invalid", "The case id and secret do not fit together. Check both against what you saved when you opened the case; copy them exactly.")
    }

    func addHashes(caseID: String, secret: String?, client: String, request: HashesRequest, authenticated: Bool = false) async throws -> HashesAddedResponse {
        try requireReady()
        if !authenticated { try await authenticateCase(caseID, secret: secret, client: client) }
        // Hashes without a picture number get fresh numbers above those the case and the request use.
        let existing = try await bankCall { try await self.store.caseStatus(caseID: caseID) }
        let base = max((existing?.images.map(\.image).max() ?? -1) + 1, Self.autoImageKeyBase(request))
        let kinds = Dictionary((existing?.images ?? []).map { ($0.image, $0.kind) }, uniquingKeysWith: { a, _ in a })
        let (hashes, rejected) = try validate(request, firstImageKey: base, existing: kinds)
        if hashes.isEmpty {
            throw APIError(.unprocessableContent, "no_usable_hashes", "None of the hashes could be added; the case is unchanged. \(rejected.first?.message ?? "")")
        }
        try checkRoom(for: hashes.count)
        try await replica.caseWrite {
            let stored = try await self.bankCall { try await self.store.addHashes(caseID: caseID, hashes: hashes) }
            await self.replica.applyLocalWrite(inserted: stored, removed: [])
        }
        logger.info("hashes added", metadata: ["hashes": "\(hashes.count)"])
        return HashesAddedResponse(caseID: caseID, accepted: hashes.count, rejected: rejected)
    }

    func withdraw(caseID: String, secret: String?, client: String) async throws -> CaseStatusResponse {
        try requireReady()
        try await authenticateCase(caseID, secret: secret, client: client)
        try await replica.caseWrite {
            let removed = try await self.bankCall { try await self.store.withdrawCase(caseID: caseID) }
            await self.replica.applyLocalWrite(inserted: [], removed: removed)
        }
        metrics.add("nccmatch_cases_withdrawn_total")
        logger.info("case withdrawn")
        return try await status(caseID: caseID, secret: nil, client: client, authenticated: true)
    }

    func status(caseID: String, secret: String?, client: String, authenticated: Bool = false) async throws -> CaseStatusResponse {
        if !authenticated { try await authenticateCase(caseID, secret: secret, client: client) }
        guard let report = try await bankCall({ try await self.store.caseStatus(caseID: caseID) }) else {
            throw APIError(.unauthorized, "case_credentials_invalid", "The case id and secret do not fit together.")
        }
        let format = ISO8601DateFormatter()
        let images = report.images.map { image in
            CaseStatusResponse.Image(
                image: image.image, hashes: image.hashes, platformsMatched: image.platformsMatched,
                feedback: Dictionary(uniqueKeysWithValues: FeedbackOutcome.allCases.map { ($0.rawValue, image.feedback[$0] ?? 0) }),
                kind: image.kind.rawValue)
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
                let videos = images.filter { $0.kind == BankItemKind.video.rawValue }.count
                let noun = videos == 0 ? (images.count == 1 ? "picture" : "pictures")
                    : videos == images.count ? (images.count == 1 ? "video" : "videos") : "pictures and videos"
                message = "Your case is active. \(matched) of your \(images.count) \(noun) \(matched == 1 ? "has" : "have") been found on at least one platform; platforms reported \(removed) removal\(removed == 1 ? "" : "s")."
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
        if probes.slowedSeconds(platform: platform.id) != nil, !configuration.trustedPlatforms.contains(platform.name),
           let wait = slowedLimiter.take(platform.keyPrefix) {
            metrics.add("nccmatch_rate_limited_total{reason=\"probing\"}")
            throw APIError(.tooManyRequests, "slowed_for_probing", "This key's recent queries looked like an attempt to read bank hashes back, so it is limited to one request every 10 seconds for a while. If this is ordinary traffic, tell the bank operator.", retryAfter: wait)
        }
        return platform
    }

    /// Answers a match batch under `MatchPolicy` and `ProbeGuard`: items sharing an `id` are one upload;
    /// a pHash or dHash match counts only beside a PDQ of the same upload near the same bank picture; exact
    /// distances go to trusted platforms only; matches past the probing limit are withheld; a batch that
    /// would take the platform past its daily budget of distinct pictures is refused whole.
    func match(bearer: String?, request: MatchRequest) async throws -> MatchResponse {
        try requireReady()
        let platform = try await authenticatePlatform(bearer)
        let trusted = configuration.trustedPlatforms.contains(platform.name)
        if request.items.isEmpty { throw APIError.badRequest("no_items", "The request lists no items; send at least one.") }
        let total = request.items.reduce(0) { $0 + $1.hashCount }
        if total > WireLimits.maxItemsPerRequest {
            throw APIError(.contentTooLarge, "too_many_items", "A match request holds at most \(WireLimits.maxItemsPerRequest) items, each video frame counting as one; this one has \(total). Split it into batches.")
        }
        // Hash items go to the Hamming indexes and digests (`queries`, item positions in `queryItems`); video items
        // to the video index (`videoQueries`).
        var queries: [BankIndex.Query] = []
        var queryItems: [Int] = []
        var videoQueries: [(item: Int, frames: [VPDQFrame])] = []
        queries.reserveCapacity(request.items.count)
        var algorithms = Set<HashAlgorithm>()
        for (i, item) in request.items.enumerated() {
            if item.id.unicodeScalars.count > 256 {
                throw APIError.badRequest("invalid_field", "items[\(i)].id is longer than 256 characters; use a shorter content id.")
            }
            if VideoText.isVideo(item.algorithm) {
                videoQueries.append((i, try VideoText.frames(item.frames, value: item.value, quality: nil, at: "items[\(i)]")))
                continue
            }
            try VideoText.refuseFrames(item.frames, at: "items[\(i)]")
            let algorithm = try HashText.algorithm(item.algorithm, at: "items[\(i)].algorithm")
            queries.append(.init(algorithm: algorithm, bytes: try HashText.bytes(try HashText.value(item.value, at: "items[\(i)].value"), algorithm: algorithm, at: "items[\(i)].value")))
            queryItems.append(i)
            algorithms.insert(algorithm)
        }
        let distances = try Self.levelDistances(request.maxDistance, algorithms: algorithms)
        if let wait = hashLimiter.take(platform.keyPrefix, cost: Double(total)) {
            metrics.add("nccmatch_rate_limited_total{reason=\"hashes\"}")
            throw APIError(.tooManyRequests, "rate_limited", "Too many hashes for this API key; retry after \(wait) seconds.", retryAfter: wait)
        }
        var found = index.match(queries, distances: distances)
        if !trusted { found = gate64BitMatches(queries: queries, items: queryItems.map { request.items[$0] }, found: found) }
        // Videos: only declared matches (pytx's thresholds) are answered; a narrower max_distance does not apply.
        var videoFound: [[VideoFrameIndex.Hit]] = videoQueries.map { query in
            index.videos.search(query.frames, probeBand: MatchPolicy.probeBand(.pdq)).filter(\.isMatch)
        }

        // Every match about to be answered (and, when the platform has anchors, every PDQ value sent), judged as a
        // whole before anything is told. Most queries match nothing and cost nothing here.
        var candidates: [ProbeGuard.Candidate] = []
        var owners: [(item: Int, match: Int)] = []
        for (i, matches) in found.enumerated() where !matches.isEmpty {
            let algorithm = queries[i].algorithm
            let band = MatchPolicy.probeBand(algorithm)
            let digest = Self.valueDigest(queries[i])
            let words = algorithm == .pdq ? HashText.words(queries[i].bytes) : nil
            for (k, m) in matches.enumerated() {
                candidates.append(.init(item: i, image: Int64(m.id), outerBand: m.distance >= band, valueDigest: digest, pdqWords: words))
                owners.append((i, k))
            }
        }
        // A matched bank video counts against the daily budget like a picture. A video whose match hinges on frames
        // near the boundary (known frames padded with one probe frame: the walk of a stored frame) counts as an
        // outer-band match, with that frame as the anchor; every frame sent is compared with the anchors.
        for (k, hits) in videoFound.enumerated() {
            var hasher = Hasher()
            for frame in videoQueries[k].frames { hasher.combine(frame.pdq.words.0); hasher.combine(frame.pdq.words.1); hasher.combine(frame.pdq.words.2); hasher.combine(frame.pdq.words.3) }
            let digest = UInt64(bitPattern: Int64(hasher.finalize()))
            for (m, hit) in hits.enumerated() {
                candidates.append(.init(item: queries.count + k, image: hit.videoID, outerBand: hit.hingesOnOuterFrames,
                                        valueDigest: digest, pdqWords: hit.outerFrameWords))
                owners.append((queries.count + k, m))
            }
        }
        let verdict = probes.judge(platform: platform.id, trusted: trusted, candidates: candidates) {
            queries.filter { $0.algorithm == .pdq }.map { ProbeGuard.Value(words: HashText.words($0.bytes), valueDigest: Self.valueDigest($0)) }
                + videoQueries.flatMap(\.frames).map { frame in
                    let w = frame.pdq.words
                    return ProbeGuard.Value(words: [w.0, w.1, w.2, w.3], valueDigest: w.0 ^ (w.1 &* 31) ^ (w.2 &* 961) ^ (w.3 &* 29_791))
                }
        }
        if verdict.overBudget > 0 {
            metrics.add("nccmatch_match_budget_refused_total")
            await audit(platform: platform, action: "match_budget_reached", detail: "daily budget \(configuration.matchBudgetPerDay) distinct pictures")
            throw APIError(.tooManyRequests, "match_budget_exhausted", "This key has matched \(configuration.matchBudgetPerDay) different bank pictures today, its daily budget; this batch was not answered. The budget renews within a day; the bank operator can raise it.", retryAfter: 3_600)
        }
        if verdict.newlyProbed > 0 {
            metrics.add("nccmatch_probing_suspected_total", verdict.newlyProbed)
            logger.warning("probing suspected", metadata: ["platform": "\(platform.name)", "pictures": "\(verdict.newlyProbed)", "trusted": "\(trusted)"])
            await audit(platform: platform, action: "probing_suspected", detail: "\(verdict.newlyProbed) pictures matched by over \(configuration.probeBandLimit) distinct near-boundary values")
        }
        if !verdict.withheld.isEmpty {
            metrics.add("nccmatch_match_withheld_total", verdict.withheld.count)
            var dropped: [Int: Set<Int>] = [:]
            for position in verdict.withheld { dropped[owners[position].item, default: []].insert(owners[position].match) }
            for (item, positions) in dropped {
                if item >= queries.count {
                    videoFound[item - queries.count] = videoFound[item - queries.count].enumerated().filter { !positions.contains($0.offset) }.map(\.element)
                } else {
                    found[item] = found[item].enumerated().filter { !positions.contains($0.offset) }.map(\.element)
                }
            }
        }

        let imageIDs = Set(found.flatMap { $0.map { Int64($0.id) } }).union(videoFound.flatMap { $0.map(\.videoID) })
        let refs = imageIDs.isEmpty ? [:] : try await matchReferences(platform: platform, imageIDs: Array(imageIDs))
        var hits: [HashAlgorithm: Int] = [:]
        var results = request.items.map { MatchResponse.Result(id: $0.id, matches: []) }
        for (i, item) in queryItems.enumerated() {
            var matches: [(ref: String, distance: Int)] = []
            for m in found[i] {
                if let ref = refs[Int64(m.id)] { matches.append((ref, m.distance)) }
            }
            // Sorted by distance only for trusted platforms; others see references in their own order, which
            // says nothing about distance.
            matches.sort { trusted ? ($0.distance, $0.ref) < ($1.distance, $1.ref) : $0.ref < $1.ref }
            hits[queries[i].algorithm, default: 0] += matches.count
            results[item].matches = matches.map { .init(matchRef: $0.ref, distance: trusted ? $0.distance : nil) }
        }
        var videoHits = 0
        for (k, query) in videoQueries.enumerated() {
            // In the video index's order: by query share, then bank share.
            results[query.item].matches = videoFound[k].compactMap { hit in
                refs[hit.videoID].map { .init(matchRef: $0, distance: nil, queryMatchPercent: Self.oneDecimal(hit.queryPercent), bankMatchPercent: Self.oneDecimal(hit.bankPercent)) }
            }
            videoHits += results[query.item].matches.count
        }
        let uploads = Set(request.items.map(\.id)).count
        let matchedUploads = Set(results.filter { !$0.matches.isEmpty }.map(\.id)).count
        if probes.recordHitRate(platform: platform.id, items: uploads, hits: matchedUploads) {
            metrics.add("nccmatch_hit_rate_unusual_total")
            logger.warning("hit rate far above the platform's usual", metadata: ["platform": "\(platform.name)"])
            await audit(platform: platform, action: "hit_rate_unusual", detail: "this hour's matches far above the key's usual rate")
        }
        for algorithm in algorithms {
            metrics.add("nccmatch_match_queries_total{algorithm=\"\(algorithm.rawValue)\"}", queries.lazy.filter { $0.algorithm == algorithm }.count)
            metrics.add("nccmatch_match_hits_total{algorithm=\"\(algorithm.rawValue)\"}", hits[algorithm] ?? 0)
        }
        if !videoQueries.isEmpty {
            metrics.add("nccmatch_match_queries_total{algorithm=\"vpdq\"}", videoQueries.count)
            metrics.add("nccmatch_match_hits_total{algorithm=\"vpdq\"}", videoHits)
        }
        logger.debug("match", metadata: ["platform": "\(platform.name)", "items": "\(queries.count)", "matched_pictures": "\(refs.count)"])
        return MatchResponse(results: results)
    }

    /// A share in percent rounded to one decimal, as answered.
    static func oneDecimal(_ percent: Double) -> Double { (percent * 10).rounded() / 10 }

    /// A per-process digest of a query value, for counting distinct values (SipHash with a random seed, so a
    /// caller cannot make two values collide on purpose).
    static func valueDigest(_ query: BankIndex.Query) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(query.algorithm)
        hasher.combine(query.bytes)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    /// The search distance per algorithm for a caller's `max_distance`: absent means the defaults; otherwise it
    /// is one of the fixed levels (`MatchPolicy.levels`) and the same level applies to every algorithm (23 for
    /// PDQ goes with 6 for pHash and dHash); 0 asks for exact matches only. MD5 and SHA-256 are always exact.
    static func levelDistances(_ wanted: Int?, algorithms: Set<HashAlgorithm>) throws -> [HashAlgorithm: Int] {
        guard let wanted else { return [:] }
        let perceptual: [HashAlgorithm] = [.pdq, .phash, .dhash]
        var distances: [HashAlgorithm: Int] = [:]
        if wanted == 0 {
            for algorithm in perceptual where algorithms.contains(algorithm) { distances[algorithm] = 0 }
            return distances
        }
        guard let level = perceptual.lazy.compactMap({ MatchPolicy.levels($0).firstIndex(of: wanted) }).first else {
            throw APIError.badRequest("invalid_max_distance", "max_distance is one of a few fixed levels: 31, 23 or 15 (PDQ; pHash and dHash then use 8, 6 or 4), the same given as 8, 6 or 4, or 0 for exact matches only; leave it out for the default (31 and 8).")
        }
        for algorithm in perceptual where algorithms.contains(algorithm) { distances[algorithm] = MatchPolicy.levels(algorithm)[level] }
        return distances
    }

    /// Keeps a pHash or dHash match only when a PDQ item of the same upload (same `id`) is within
    /// `MatchPolicy.pdqGateDistance` of the same bank picture. The wider PDQ search runs only for uploads
    /// whose 64-bit hashes matched something, which random values almost never do.
    func gate64BitMatches(queries: [BankIndex.Query], items: [MatchItem], found: [[IndexMatch]]) -> [[IndexMatch]] {
        var uploadsWith64 = Set<String>()
        for (i, q) in queries.enumerated() where (q.algorithm == .phash || q.algorithm == .dhash) && !found[i].isEmpty {
            uploadsWith64.insert(items[i].id)
        }
        if uploadsWith64.isEmpty { return found }
        let pdqPositions = queries.indices.filter { queries[$0].algorithm == .pdq && uploadsWith64.contains(items[$0].id) }
        let near = pdqPositions.isEmpty ? [] : index.match(pdqPositions.map { queries[$0] }, distances: [.pdq: MatchPolicy.pdqGateDistance])
        var nearPictures: [String: Set<UInt64>] = [:]
        for (k, i) in pdqPositions.enumerated() { nearPictures[items[i].id, default: []].formUnion(near[k].map(\.id)) }
        var gated = found
        for (i, q) in queries.enumerated() where (q.algorithm == .phash || q.algorithm == .dhash) && !found[i].isEmpty {
            let allowed = nearPictures[items[i].id] ?? []
            gated[i] = found[i].filter { allowed.contains($0.id) }
        }
        return gated
    }

    /// Writes an audit entry about a platform; a failure to write it is logged, never fatal to the answer.
    func audit(platform: PlatformRecord, action: String, detail: String) async {
        do {
            try await store.appendAudit(actor: "platform:\(platform.name)", action: action, caseID: nil, matchRef: nil, detail: detail)
        } catch {
            logger.error("audit entry not written", metadata: ["action": "\(action)"])
        }
    }

    func feedback(bearer: String?, request: FeedbackRequest) async throws -> FeedbackResponse {
        let platform = try await authenticatePlatform(bearer)
        guard let outcome = FeedbackOutcome(rawValue: request.outcome) else {
            throw APIError.badRequest("unknown_outcome", "outcome is one of pending_review, removed, not_violating.")
        }
        if let content = request.contentID, content.unicodeScalars.count > 256 {
            throw APIError.badRequest("invalid_field", "content_id is longer than 256 characters; use a shorter content id.")
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

    /// The platform with this key prefix, as the replica strategy finds it (also while a shared bank's
    /// database is away, from memory).
    func lookUpPlatform(keyPrefix: String) async throws -> PlatformRecord? {
        try await bankCall { try await self.replica.platform(keyPrefix: keyPrefix) }
    }

    /// Match references for matched pictures, as the replica strategy makes them.
    func matchReferences(platform: PlatformRecord, imageIDs: [Int64]) async throws -> [Int64: String] {
        try await bankCall { try await self.replica.matchReferences(platform: platform, imageIDs: imageIDs) }
    }

    /// Refuses new hashes when the bank holds `maxBankHashes` already (507 `bank_full`).
    func checkRoom(for count: Int) throws {
        let held = index.counts.values.reduce(0, +)
        if held + count > configuration.maxBankHashes {
            logger.error("bank full", metadata: ["hashes": "\(held)", "limit": "\(configuration.maxBankHashes)"])
            throw APIError(.init(code: 507, reasonPhrase: "Insufficient Storage"), "bank_full", "The bank cannot take more hashes just now, so nothing was stored. This is not a problem with your request; please try again later, and tell the bank operator if it lasts.", retryAfter: 3_600)
        }
    }

    /// Seconds as words a person reads ("2 minutes").
    static func minutes(_ seconds: Int) -> String {
        seconds < 90 ? "\(seconds) seconds" : "\((seconds + 59) / 60) minutes"
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
        if error.code.isStoreFault {
            logger.error("store failure", metadata: ["code": "\(error.code)", "cause": "\(error.underlying.map { String(describing: $0) } ?? "-")"])
        }
        return APIError.from(error)
    }
}
