import Foundation
import Logging
import NCCBank
import NCCHashing
import NCCIndex
import NCCVideo
import NCCWire

// Named banks in matching: following the imported hashes, a request's choice of banks, and each match's bank
// (enabled, not quarantined, within the bank's PDQ distance, allow-list banks silencing an upload).
extension BankService {
    /// Brings the matching indexes up to the imported hashes the store holds, and re-reads the banks' settings and
    /// the quarantine: call it right after an exchange page is applied, so that withdrawn hashes stop matching at
    /// once (the server also calls it about every second). A store failure is logged (without values) and matching
    /// goes on with what is loaded; the next call retries.
    public func refreshImported() async {
        do {
            try await importedBanks.refresh()
            if importedBanks.noteSuccess() { logger.info("imported hashes followed again") }
            metrics.set("nccmatch_quarantine_flagged_items", quarantineWatch.awaitingDecision(quarantined: importedBanks.quarantined))
        } catch {
            let failures = importedBanks.noteFailure()
            // Once when it starts failing, then once a minute at the follower's pace.
            if failures == 1 || failures % 60 == 0 {
                let code = (error as? BankError).map { "\($0.code)" } ?? "\(type(of: error))"
                logger.error("imported hashes not refreshed; matching goes on with those loaded", metadata: ["code": "\(code)", "failures": "\(failures)"])
            }
        }
    }

    /// Calls `refreshImported()` every `interval` until the task is cancelled.
    func followImported(every interval: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            await refreshImported()
        }
    }

    /// The banks a request restricts matching to; nil when it names none (every enabled bank).
    /// - Throws: 400 `invalid_field` for an empty list or a malformed name, `too_many_banks` past `WireLimits.maxBanksPerRequest`,
    ///   422 `unknown_bank` for a name the service does not have (a well-formed name is valid by the wire schema, which
    ///   cannot know the banks, so it is refused by meaning, as `no_usable_hashes` is).
    func bankSelection(_ names: [String]?) throws -> Set<String>? {
        guard let names else { return nil }
        if names.isEmpty {
            throw APIError.badRequest("invalid_field", "banks lists no bank; leave it out to match every bank, or name at least one.")
        }
        if names.count > WireLimits.maxBanksPerRequest {
            throw APIError.badRequest("too_many_banks", "banks names at most \(WireLimits.maxBanksPerRequest) banks; this request names \(names.count). Leave it out to match every bank.")
        }
        let known = importedBanks.banks
        for (i, name) in names.enumerated() where known[name] == nil {
            guard BankSettings.isValidName(name) else {
                throw APIError.badRequest("invalid_field", "banks[\(i)] is not a bank name: bank names are 1 to 64 characters of a-z, 0-9, '_' and '-', starting with a letter.")
            }
            throw APIError(.unprocessableContent, "unknown_bank", "\"\(name)\" is not a bank of this service; check the name with the bank operator, or leave banks out to match every bank.")
        }
        return Set(names)
    }

    /// The PDQ distance each bank answers within for this request: an enabled match bank the request did not
    /// exclude at its own distance, narrowed to the request's level; an enabled allow-list bank at its own distance
    /// whatever the request says. Banks missing here answer nothing.
    static func pdqLimits(banks: [String: BankSettings], selection: Set<String>?, requested: Int?) -> [String: Int] {
        var limits: [String: Int] = [:]
        for (name, bank) in banks where bank.enabled {
            let own = bank.pdqDistance ?? HashAlgorithm.pdq.defaultMaxDistance
            switch bank.role {
            case .allow:
                limits[name] = own
            case .match:
                if selection?.contains(name) ?? true { limits[name] = min(own, requested ?? own) }
            }
        }
        return limits
    }

    /// The PDQ probe band of a bank answering within `limit` bits: PDQ's own (12 bits and more), or, for a bank
    /// narrower than 14 bits, its outer 2 bits, so that a boundary walk at a narrow bank's edge is watched too.
    static func probeBand(pdqLimit limit: Int) -> Int {
        min(MatchPolicy.probeBand(.pdq), max(1, limit - 2))
    }

    /// The matches a request may be answered after the banks' rules, and the bank of each index id kept.
    struct BankFiltered {
        var found: [[IndexMatch]]
        var videoFound: [[VideoFrameIndex.Hit]]
        /// Index id (positive: a case picture or video; negative: an imported hash) to its bank's name.
        var bankOf: [Int64: String]
        /// Uploads silenced by an allow-list bank.
        var allowListed: Set<String>
    }

    /// Applies the banks' rules to what the indexes found: a match whose bank is unknown, disabled or not asked
    /// for, whose item is quarantined, or (PDQ) beyond its bank's distance is dropped; an upload (items sharing an
    /// `id`) with any match in an enabled allow-list bank loses every match. Videos belong to the own bank.
    func filterByBank(found: [[IndexMatch]], algorithms: [HashAlgorithm], uploads: [String],
                      videoFound: [[VideoFrameIndex.Hit]], videoUploads: [String], limits: [String: Int]) -> BankFiltered {
        let ids = found.lazy.flatMap { $0.map(\.imageID) }
        let view = importedBanks.view(resolving: ids)
        var allowListed = Set<String>()
        var kept = found
        for (i, matches) in found.enumerated() where !matches.isEmpty {
            kept[i] = matches.filter { m in
                let id = m.imageID
                guard let bank = view.bankOf[id], let limit = limits[bank], let settings = view.banks[bank] else { return false }
                if view.quarantined.contains(ImportedBanks.View.item(indexID: id, bank: bank)) { return false }
                if algorithms[i] == .pdq && m.distance > limit { return false }
                if settings.role == .allow {
                    allowListed.insert(uploads[i])
                    return false
                }
                return true
            }
        }
        let own = BankSettings.ownBankName
        let videosAnswered = limits[own] != nil
        var keptVideos = videoFound.map { hits in
            videosAnswered ? hits.filter { !view.quarantined.contains(BankItemReference(bank: own, id: $0.videoID)) } : []
        }
        if !allowListed.isEmpty {
            for i in kept.indices where allowListed.contains(uploads[i]) { kept[i] = [] }
            for k in keptVideos.indices where allowListed.contains(videoUploads[k]) { keptVideos[k] = [] }
        }
        var bankOf = view.bankOf
        for hits in keptVideos { for hit in hits { bankOf[hit.videoID] = own } }
        return BankFiltered(found: kept, videoFound: keptVideos, bankOf: bankOf, allowListed: allowListed)
    }

    /// The match references of imported hashes (`x_`), which the store makes and remembers for feedback. Unlike a
    /// case picture's, they cannot be made while a shared bank's database is away: the request is then refused with
    /// a 503 that says so (nothing is answered, so no match is hidden), and counted.
    func importedReferences(_ store: any ExchangeBankStore, platform: PlatformRecord, hashIDs: [Int64]) async throws -> [Int64: String] {
        do {
            return try await store.importedMatchReferences(platform: platform, hashIDs: hashIDs)
        } catch let error as BankError where error.code.isDatabaseAway {
            metrics.add("nccmatch_imported_matches_unanswered_total")
            throw APIError(.serviceUnavailable, "database_unavailable", "Some of these hashes match banks filled by hash exchanges, whose answers need the bank's database, which is not reachable just now; nothing was answered. Try again in a few seconds.", retryAfter: 2)
        } catch let error as BankError {
            throw apiError(error)
        }
    }

    /// Counts the answered matches per bank item and upload, and flags the items matching far more uploads than
    /// their peers (`QuarantineWatch`): metric, audit entry naming the item (`<bank>/<id>`, never a hash value).
    func watchForQuarantine(_ results: [MatchResponse.Result], refItems: [String: BankItemReference]) async {
        var perUpload: [String: Set<BankItemReference>] = [:]
        for result in results {
            for match in result.matches {
                if let item = refItems[match.matchRef] { perUpload[result.id, default: []].insert(item) }
            }
        }
        let flagged = quarantineWatch.record(Array(perUpload.values))
        guard !flagged.isEmpty else { return }
        metrics.add("nccmatch_quarantine_flagged_total", flagged.count)
        metrics.set("nccmatch_quarantine_flagged_items", quarantineWatch.awaitingDecision(quarantined: importedBanks.quarantined))
        for item in flagged {
            logger.warning("bank item matching far more uploads than its peers; see the audit log", metadata: ["bank": "\(item.bank)"])
            do {
                try await store.appendAudit(actor: "service", action: "quarantine_flagged", caseID: nil, matchRef: nil, detail: "item \(item)")
            } catch {
                logger.error("audit entry not written", metadata: ["action": "quarantine_flagged"])
            }
        }
    }
}
