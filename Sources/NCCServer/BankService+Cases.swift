import Foundation
import Logging
import NCCBank
import NCCHashing
import NCCIndex
import NCCVideo
import NCCWire
import Synchronization

// Cases: validating a case's hashes, opening it, its secret, adding to it, its status and its withdrawal.
extension BankService {
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
}
