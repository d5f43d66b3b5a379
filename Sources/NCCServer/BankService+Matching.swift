import Foundation
import Logging
import NCCBank
import NCCHashing
import NCCIndex
import NCCVideo
import NCCWire
import Synchronization

// Platforms: their keys, and the match batch under `MatchPolicy` and `ProbeGuard` (pictures and videos).
extension BankService {
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
    /// would take the platform past its daily budget of distinct pictures is refused whole. Every match names its
    /// bank; the banks' rules (`filterByBank`: enabled, asked for, not quarantined, each bank's PDQ distance, allow-list
    /// banks silencing an upload) apply before the probing guard sees the matches.
    func match(bearer: String?, request: MatchRequest) async throws -> MatchResponse {
        matchActivity.begin()
        defer { matchActivity.end() }
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
            let reach = try Self.reach(ofKind: item.kind, algorithm: algorithm, at: "items[\(i)]")
            queries.append(.init(algorithm: algorithm, bytes: try HashText.bytes(try HashText.value(item.value, at: "items[\(i)].value"), algorithm: algorithm, at: "items[\(i)].value"), reach: reach))
            queryItems.append(i)
            algorithms.insert(algorithm)
        }
        let selection = try bankSelection(request.banks)
        var distances = try Self.levelDistances(request.maxDistance, algorithms: algorithms)
        // PDQ is searched at the widest distance any bank answers within, then each match is held to its bank's.
        let limits = Self.pdqLimits(banks: importedBanks.banks, selection: selection, requested: distances[.pdq])
        if algorithms.contains(.pdq) { distances[.pdq] = limits.values.max() ?? 0 }
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
        let banked = filterByBank(found: found, algorithms: queries.map(\.algorithm), uploads: queryItems.map { request.items[$0].id },
                                  videoFound: videoFound, videoUploads: videoQueries.map { request.items[$0.item].id }, limits: limits)
        found = banked.found
        videoFound = banked.videoFound

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
                // A bank narrower than PDQ's band has its boundary walks watched in its own outer bits.
                let limit = algorithm == .pdq ? banked.bankOf[m.imageID].flatMap { limits[$0] } : nil
                let outer = limit.map(Self.probeBand(pdqLimit:)) ?? band
                candidates.append(.init(item: i, image: m.imageID, outerBand: m.distance >= outer, valueDigest: digest, pdqWords: words))
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

        // References: case pictures and videos (positive ids) as before (`m_`), imported hashes (negative ids) from
        // their exchange's records (`x_`).
        let pictureIDs = Set(found.flatMap { $0.map(\.imageID) })
        let caseIDs = pictureIDs.filter { $0 > 0 }.union(videoFound.flatMap { $0.map(\.videoID) })
        var refs = caseIDs.isEmpty ? [:] : try await matchReferences(platform: platform, imageIDs: Array(caseIDs))
        let importedIDs = pictureIDs.compactMap(ImportedIndexID.hashID)
        if !importedIDs.isEmpty, let exchangeStore = importedBanks.store {
            for (hashID, ref) in try await importedReferences(exchangeStore, platform: platform, hashIDs: importedIDs) { refs[ImportedIndexID.of(hashID)] = ref }
        }
        var hits: [HashAlgorithm: Int] = [:]
        var results = request.items.map { MatchResponse.Result(id: $0.id, matches: []) }
        // The bank item behind each reference answered, for the quarantine watch.
        var refItems: [String: BankItemReference] = [:]
        let own = BankSettings.ownBankName
        for (i, item) in queryItems.enumerated() {
            var matches: [(ref: String, distance: Int, bank: String)] = []
            for m in found[i] {
                let id = m.imageID
                if let ref = refs[id], let bank = banked.bankOf[id] {
                    matches.append((ref, m.distance, bank))
                    refItems[ref] = ImportedBanks.View.item(indexID: id, bank: bank)
                }
            }
            // Sorted by distance only for trusted platforms; others see references in their own order, which
            // says nothing about distance.
            matches.sort { trusted ? ($0.distance, $0.ref) < ($1.distance, $1.ref) : $0.ref < $1.ref }
            hits[queries[i].algorithm, default: 0] += matches.count
            results[item].matches = matches.map { .init(matchRef: $0.ref, distance: trusted ? $0.distance : nil, bank: $0.bank) }
        }
        var videoHits = 0
        for (k, query) in videoQueries.enumerated() {
            // In the video index's order: by query share, then bank share.
            results[query.item].matches = videoFound[k].compactMap { hit in
                guard let ref = refs[hit.videoID] else { return nil }
                refItems[ref] = BankItemReference(bank: own, id: hit.videoID)
                return .init(matchRef: ref, distance: nil, queryMatchPercent: Self.oneDecimal(hit.queryPercent), bankMatchPercent: Self.oneDecimal(hit.bankPercent), bank: own)
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
        await watchForQuarantine(results, refItems: refItems)
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

    /// What a PDQ item's `kind` lets it reach (`MatchingPolicy.reach(ofSentKind:)`); no kind is the upload as it is.
    /// A kind the policy does not name, or a kind on an item of another algorithm, is refused.
    static func reach(ofKind kind: String?, algorithm: HashAlgorithm, at path: String) throws -> SentReach {
        guard let kind else { return .full }
        guard algorithm == .pdq else {
            throw APIError.badRequest("kind_not_allowed", "\(path).kind is for pdq items only (what the PDQ hash is of); leave it out of \(algorithm.rawValue) items.")
        }
        guard kind.utf8.count <= WireLimits.maxKindLength, MatchingPolicy.isQueryKind(kind) else {
            throw APIError.badRequest("invalid_field", "\(path).kind is not a kind nccmatch knows. Use the kind `nccmatch hash --set query` prints with the hash (pdq, unletterboxed, caption-masked-top, caption-masked-bottom, low-passed, corner-masked-bottom-right, photo-region, photo-region-corner-masked, collage-tile-1, ...), or leave it out for the upload as it is.")
        }
        return MatchingPolicy.reach(ofSentKind: kind)
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
}
