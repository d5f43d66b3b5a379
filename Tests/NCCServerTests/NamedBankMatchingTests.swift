import Foundation
import Logging
import NCCBank
import NCCExchange
import NCCHashing
import NCCWire
import Synchronization
import Testing

@testable import NCCServer

/// Matching across named banks, through the service's match and feedback entry points over a `MemoryBankStore`:
/// victims' case pictures in the own bank (`cases`), hashes an exchange imported into other banks, followed by the
/// service's refresh as the server's follower does it.
@Suite struct NamedBankMatchingTests {
    /// A made-up PDQ value for `seed` (a fixed pseudo-random 256 bits), with its `flipped` lowest bits inverted.
    static func pdq(_ seed: UInt64, flipped: Int = 0) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
        var bytes: [UInt8] = []
        for _ in 0..<32 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes.append(UInt8(truncatingIfNeeded: state >> 24))
        }
        for bit in 0..<flipped { bytes[31 - bit / 8] ^= 1 << UInt8(bit % 8) }
        return bytes
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// A PDQ record as an exchange delivers it.
    static func record(_ value: [UInt8]) -> ExchangeRecord {
        ExchangeRecord(id: .init(signalType: .imagePDQ, signalValue: hex(value)))
    }

    /// A service over a memory bank with one platform, one case picture (`casePicture`) and a match bank
    /// `stopncii` filled by the exchange `feed`.
    struct Fixture {
        let store = MemoryBankStore()
        let service: BankService
        let key: APIKey
        /// The case picture's image id.
        let caseImage: Int64
        static let casePicture = NamedBankMatchingTests.pdq(1)

        init(configuration: ServerConfiguration = ServerConfiguration(dataDirectory: NSTemporaryDirectory())) async throws {
            service = BankService(store: store, configuration: configuration,
                                  logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            key = APIKey.generate()
            _ = try await store.addPlatform(name: "platform", key: key)
            let stored = try await store.createCase(NewCase(
                id: "case-1", secret: StoredSecret(scheme: "pbkdf2-sha256", rounds: 1, salt: Array(repeating: 1, count: 16), hash: Array(repeating: 2, count: 32)),
                hashes: [NewHash(algorithm: .pdq, value: Self.casePicture, quality: 100, imageKey: 0)]))
            caseImage = try #require(stored.first?.imageID)
            try await addFeed(exchange: "feed", bank: BankSettings(name: "stopncii"))
            try await service.loadIndex()
        }

        /// Adds a bank and an exchange filling it.
        func addFeed(exchange: String, bank: BankSettings) async throws {
            try await store.addBank(bank)
            try await store.addExchange(ExchangeSettings(name: exchange, kind: .localFile, bank: bank.name, endpoint: "/nonexistent/\(exchange).txt"))
        }

        /// Applies `changes` as one page of `exchange`, then refreshes the service as the fetch loop does.
        func apply(_ changes: [ExchangeChange], exchange: String = "feed") async throws {
            try await store.apply(changes, checkpoint: try await NamedBankMatchingTests.checkpoint(), exchange: exchange)
            await service.refreshImported()
        }

        /// The store's id of an imported value.
        func importedID(_ value: [UInt8]) async throws -> Int64 {
            let changes = try await store.importedChanges(after: 0, limit: 100_000)
            return try #require(changes.upserted.last { $0.value == value }?.id)
        }

        /// Matches uploads (id to PDQ values).
        func match(_ uploads: [(String, [[UInt8]])], banks: [String]? = nil, maxDistance: Int? = nil) async throws -> [String: [MatchResponse.Match]] {
            let items = uploads.flatMap { upload in upload.1.map { MatchItem(id: upload.0, algorithm: .pdq, value: NamedBankMatchingTests.hex($0)) } }
            let answer = try await service.match(bearer: key.text, request: MatchRequest(items: items, maxDistance: maxDistance, banks: banks))
            var byUpload: [String: [MatchResponse.Match]] = [:]
            for result in answer.results { byUpload[result.id, default: []] += result.matches }
            return byUpload
        }

        /// The banks named by one upload's matches, sorted.
        func banks(_ value: [UInt8], banks: [String]? = nil, maxDistance: Int? = nil) async throws -> [String] {
            try await match([("u", [value])], banks: banks, maxDistance: maxDistance)["u", default: []].map { $0.bank ?? "-" }.sorted()
        }
    }

    /// A real checkpoint (they are opaque): the one a local file importer gives after reading a one-line file.
    static func checkpoint() async throws -> ExchangeCheckpoint {
        let path = NSTemporaryDirectory() + "named-bank-\(UUID().uuidString).txt"
        try "pdq \(hex(pdq(999)))\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await SignalFileImporter(path: path, format: .localFile).fetchPage(after: nil).checkpoint
    }

    /// The API error code a call throws; nil when it does not throw.
    static func code(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let error as APIError {
            return error.code
        } catch {
            Issue.record("not an APIError: \(error)")
            return nil
        }
    }

    @Test func everyMatchNamesItsBankWithItsOwnKindOfReference() async throws {
        let f = try await Fixture()
        let imported = Self.pdq(2)
        try await f.apply([.upsert(Self.record(imported))])
        let answer = try await f.match([("both", [Fixture.casePicture, imported]), ("copy", [Self.pdq(2, flipped: 9)]), ("none", [Self.pdq(3)])])
        let both = try #require(answer["both"])
        #expect(both.map { $0.bank ?? "-" }.sorted() == ["cases", "stopncii"])
        #expect(both.first { $0.bank == "cases" }?.matchRef.hasPrefix("m_") == true)
        #expect(both.first { $0.bank == "stopncii" }?.matchRef.hasPrefix("x_") == true)
        #expect(answer["copy"]?.map(\.bank) == ["stopncii"], "a near copy of the imported hash matches it")
        #expect(answer["none"]?.isEmpty == true)
        let json = String(decoding: try JSONEncoder().encode(try #require(answer["copy"]?.first)), as: UTF8.self)
        #expect(json.contains(#""bank":"stopncii""#), "\(json)")
    }

    @Test func anImportedVideoMD5MatchesAnMD5ItemExactly() async throws {
        let f = try await Fixture()
        let md5 = Array(Self.pdq(11).prefix(16))
        try await f.apply([.upsert(ExchangeRecord(id: .init(signalType: .videoMD5, signalValue: Self.hex(md5))))])
        var other = md5
        other[15] ^= 1
        let items = [MatchItem(id: "v", algorithm: .md5, value: Self.hex(md5)), MatchItem(id: "w", algorithm: .md5, value: Self.hex(other))]
        let answer = try await f.service.match(bearer: f.key.text, request: MatchRequest(items: items))
        #expect(answer.results[0].matches.map(\.bank) == ["stopncii"])
        #expect(answer.results[0].matches.first?.matchRef.hasPrefix("x_") == true)
        #expect(answer.results[1].matches.isEmpty, "MD5 is exact")
    }

    @Test func aRequestCanBeRestrictedToSomeBanks() async throws {
        let f = try await Fixture()
        let imported = Self.pdq(2)
        try await f.apply([.upsert(Self.record(imported))])
        let upload = [("u", [Fixture.casePicture, imported])]
        #expect(try await f.match(upload, banks: ["stopncii"])["u"]?.map(\.bank) == ["stopncii"])
        #expect(try await f.match(upload, banks: ["cases"])["u"]?.map(\.bank) == ["cases"])
        #expect(try await f.match(upload, banks: ["cases", "stopncii"])["u"]?.count == 2)
        #expect(await Self.code { _ = try await f.match(upload, banks: ["ncmec"]) } == "unknown_bank")
        #expect(await Self.code { _ = try await f.match(upload, banks: ["Not a name!"]) } == "invalid_field", "not even a bank name")
        // Valid by the wire schema (which cannot know the banks), refused by meaning: 422, as the schema checks expect.
        await #expect(throws: APIError.self) {
            do { _ = try await f.match(upload, banks: ["ncmec"]) } catch let error as APIError {
                #expect(error.status.code == 422)
                throw error
            }
        }
        #expect(await Self.code { _ = try await f.match(upload, banks: []) } == "invalid_field")
        #expect(await Self.code { _ = try await f.match(upload, banks: Array(repeating: "cases", count: WireLimits.maxBanksPerRequest + 1)) } == "too_many_banks")
        // A bank added while the server runs is known after the next refresh.
        try await f.store.addBank(BankSettings(name: "later"))
        await f.service.refreshImported()
        #expect(try await f.match(upload, banks: ["later"])["u"]?.isEmpty == true)
    }

    @Test func aDisabledBankMatchesNothingAndKeepsItsHashes() async throws {
        let f = try await Fixture()
        let imported = Self.pdq(2)
        try await f.apply([.upsert(Self.record(imported))])
        var bank = try #require(try await f.store.banks().first { $0.name == "stopncii" })
        bank.enabled = false
        try await f.store.updateBank(bank)
        await f.service.refreshImported()
        #expect(try await f.banks(imported).isEmpty)
        #expect(try await f.banks(Fixture.casePicture) == ["cases"], "other banks still match")
        var own = try #require(try await f.store.banks().first { $0.name == BankSettings.ownBankName })
        own.enabled = false
        try await f.store.updateBank(own)
        bank.enabled = true
        try await f.store.updateBank(bank)
        await f.service.refreshImported()
        #expect(try await f.banks(imported) == ["stopncii"])
        #expect(try await f.banks(Fixture.casePicture).isEmpty, "the own bank can be disabled too")
    }

    @Test func anAllowListedUploadGetsNoMatchFromAnyBank() async throws {
        let f = try await Fixture()
        let knownFalsePositive = Self.pdq(5)
        let imported = Self.pdq(2)
        try await f.addFeed(exchange: "fp-list", bank: BankSettings(name: "known-fp", role: .allow))
        try await f.apply([.upsert(Self.record(imported)), .upsert(Self.record(knownFalsePositive))])
        try await f.apply([.upsert(Self.record(knownFalsePositive))], exchange: "fp-list")
        let answer = try await f.match([
            ("silenced", [Fixture.casePicture, Self.pdq(5, flipped: 10)]),
            ("same-hash", [knownFalsePositive]),
            ("other", [Fixture.casePicture, imported]),
        ])
        #expect(answer["silenced"]?.isEmpty == true, "the case picture's match is silenced with the whole upload")
        #expect(answer["same-hash"]?.isEmpty == true, "the hash is in a match bank and in the allow-list: the allow-list wins")
        #expect(answer["other"]?.count == 2, "another upload of the batch is answered")
        // The allow-list applies to a request restricted to other banks, and stops when its bank is disabled.
        #expect(try await f.match([("u", [Fixture.casePicture, knownFalsePositive])], banks: ["cases"])["u"]?.isEmpty == true)
        var allow = try #require(try await f.store.banks().first { $0.name == "known-fp" })
        allow.enabled = false
        try await f.store.updateBank(allow)
        await f.service.refreshImported()
        #expect(try await f.banks(knownFalsePositive) == ["stopncii"])
    }

    @Test func eachBankMatchesWithinItsOwnPDQDistanceAtTheBoundary() async throws {
        let f = try await Fixture()
        let strict = Self.pdq(7)
        try await f.addFeed(exchange: "strict-feed", bank: BankSettings(name: "strict", pdqDistance: 20))
        try await f.apply([.upsert(Self.record(strict))], exchange: "strict-feed")
        #expect(try await f.banks(Self.pdq(7, flipped: 20)) == ["strict"], "at its distance")
        #expect(try await f.banks(Self.pdq(7, flipped: 21)).isEmpty, "one bit past it")
        // The other banks keep the default 31, searched in the same request.
        #expect(try await f.banks(Self.pdq(1, flipped: 31)) == ["cases"])
        #expect(try await f.banks(Self.pdq(1, flipped: 32)).isEmpty)
        let answer = try await f.match([("near", [Self.pdq(7, flipped: 20)]), ("far", [Self.pdq(7, flipped: 21)]), ("case", [Self.pdq(1, flipped: 25)])])
        #expect(answer["near"]?.count == 1 && answer["far"]?.isEmpty == true && answer["case"]?.count == 1)
        // A request's level narrows a bank's distance, never widens it.
        #expect(try await f.banks(Self.pdq(7, flipped: 15), maxDistance: 15) == ["strict"])
        #expect(try await f.banks(Self.pdq(7, flipped: 16), maxDistance: 15).isEmpty)
        #expect(try await f.banks(Self.pdq(7, flipped: 21), maxDistance: 31).isEmpty)
        // A wider distance the operator allowed explicitly.
        var wide = try #require(try await f.store.banks().first { $0.name == "strict" })
        wide.pdqDistance = 40
        wide.distanceOverride = true
        try await f.store.updateBank(wide)
        await f.service.refreshImported()
        #expect(try await f.banks(Self.pdq(7, flipped: 40)) == ["strict"])
        #expect(try await f.banks(Self.pdq(7, flipped: 41)).isEmpty)
        #expect(try await f.banks(Self.pdq(1, flipped: 32)).isEmpty, "the own bank stays at 31")
    }

    @Test func aBoundaryWalkAtANarrowBanksEdgeIsWithheld() async throws {
        var configuration = ServerConfiguration(dataDirectory: NSTemporaryDirectory())
        configuration.probeBandLimit = 4
        let f = try await Fixture(configuration: configuration)
        let narrow = Self.pdq(9)
        try await f.addFeed(exchange: "narrow-feed", bank: BankSettings(name: "narrow", pdqDistance: 8))
        try await f.apply([.upsert(Self.record(narrow))], exchange: "narrow-feed")
        // Six distinct values 8 bits from the hash, at the bank's edge (PDQ's own band starts at 12: without the
        // narrow bank's band none of them would count).
        let walk = (0..<6).map { k in
            var value = Self.pdq(9, flipped: 7)
            value[31 - (8 + k) / 8] ^= 1 << UInt8((8 + k) % 8)
            return ("walk-\(k)", [value])
        }
        let answer = try await f.match(walk)
        #expect(answer.values.allSatisfy { $0.isEmpty }, "withheld from the batch that crossed the limit")
        let audit = try await f.store.auditEntries(limit: 1_000, after: nil)
        #expect(audit.contains { $0.action == "probing_suspected" })
        #expect(try await f.banks(narrow) == ["narrow"], "the exact hash, inside the band, still matches")
    }

    @Test func aQuarantinedItemIsNeverMatched() async throws {
        let f = try await Fixture()
        let imported = Self.pdq(2)
        try await f.apply([.upsert(Self.record(imported))])
        let id = try await f.importedID(imported)
        try await f.store.setQuarantined(BankItemReference(bank: "stopncii", id: id), true)
        try await f.store.setQuarantined(BankItemReference(bank: BankSettings.ownBankName, id: f.caseImage), true)
        await f.service.refreshImported()
        #expect(try await f.banks(imported).isEmpty)
        #expect(try await f.banks(Fixture.casePicture).isEmpty)
        try await f.store.setQuarantined(BankItemReference(bank: "stopncii", id: id), false)
        await f.service.refreshImported()
        #expect(try await f.banks(imported) == ["stopncii"], "released")
        #expect(try await f.banks(Fixture.casePicture).isEmpty, "still quarantined")
    }

    @Test func aWithdrawalUpstreamStopsTheMatchAtTheNextRefresh() async throws {
        let f = try await Fixture()
        let kept = Self.pdq(2), withdrawn = Self.pdq(3)
        try await f.apply([.upsert(Self.record(kept)), .upsert(Self.record(withdrawn))])
        #expect(try await f.banks(withdrawn) == ["stopncii"])
        // Re-delivered unchanged: still one match, not two.
        try await f.apply([.upsert(Self.record(withdrawn))])
        #expect(try await f.match([("u", [withdrawn])])["u"]?.count == 1)
        try await f.store.apply([.remove(Self.record(withdrawn).id)], checkpoint: try await Self.checkpoint(), exchange: "feed")
        // Before the follower's refresh the index still holds it, but the store gives no reference for a hash it no
        // longer holds: no match even then.
        #expect(f.service.importedBanks.importedCount == 2)
        #expect(try await f.banks(withdrawn).isEmpty)
        await f.service.refreshImported()
        #expect(f.service.importedBanks.importedCount == 1)
        #expect(try await f.banks(withdrawn).isEmpty)
        #expect(try await f.banks(kept) == ["stopncii"])
        // A removed exchange takes its hashes out of matching.
        _ = try await f.store.removeExchange(name: "feed")
        await f.service.refreshImported()
        #expect(f.service.importedBanks.importedCount == 0)
        #expect(try await f.banks(kept).isEmpty)
        #expect(try await f.banks(Fixture.casePicture) == ["cases"])
    }

    @Test func aFollowerFarBehindCatchesUpInBatches() async throws {
        let f = try await Fixture()
        let count = ImportedBanks.batchLimit + 5
        try await f.store.apply((0..<count).map { .upsert(Self.record(Self.pdq(UInt64(100 + $0)))) },
                                checkpoint: try await Self.checkpoint(), exchange: "feed")
        await f.service.refreshImported()
        #expect(f.service.importedBanks.importedCount == count)
        #expect(try await f.banks(Self.pdq(100 + UInt64(count) - 1)) == ["stopncii"], "the last batch is in")
    }

    @Test func feedbackOnAnImportedMatchIsQueuedForItsExchangeOnce() async throws {
        let f = try await Fixture()
        let imported = Self.pdq(2)
        try await f.apply([.upsert(Self.record(imported))])
        let answer = try await f.match([("u", [imported, Fixture.casePicture])])
        let importedRef = try #require(answer["u"]?.first { $0.bank == "stopncii" }?.matchRef)
        let caseRef = try #require(answer["u"]?.first { $0.bank == "cases" }?.matchRef)
        for _ in 0..<2 {
            let response = try await f.service.feedback(bearer: f.key.text, request: FeedbackRequest(matchRef: importedRef, outcome: "removed", contentID: "post-1"))
            #expect(response.recorded)
        }
        let items = try await f.store.items()
        #expect(items.count == 1, "the same outcome on the same record is queued once")
        #expect(items.first?.key.exchange == "feed")
        #expect(items.first?.key.record == Self.record(imported).id)
        // A case picture's reference still goes to the case's counts, not the outbox.
        _ = try await f.service.feedback(bearer: f.key.text, request: FeedbackRequest(matchRef: caseRef, outcome: "removed", contentID: nil))
        #expect(try await f.store.items().count == 1)
        #expect(await Self.code { _ = try await f.service.feedback(bearer: f.key.text, request: FeedbackRequest(matchRef: "x_" + String(repeating: "0", count: 32), outcome: "removed", contentID: nil)) } == "match_ref_not_found")
        // After the exchange withdrew the hash, feedback on it is refused as no longer needed.
        try await f.apply([.remove(Self.record(imported).id)])
        #expect(await Self.code { _ = try await f.service.feedback(bearer: f.key.text, request: FeedbackRequest(matchRef: importedRef, outcome: "not_violating", contentID: nil)) } == "hash_withdrawn")
    }

    @Test func anItemMatchingFarMoreUploadsThanItsPeersIsFlaggedOnce() async throws {
        let f = try await Fixture()
        let noisy = Self.pdq(20)
        let peers = (21..<25).map { Self.pdq(UInt64($0)) }
        try await f.apply(([noisy] + peers).map { .upsert(Self.record($0)) })
        let noisyID = try await f.importedID(noisy)
        // Each peer matched by one upload, the noisy hash by 50: not yet past the minimum.
        _ = try await f.match(peers.enumerated().map { ("peer-\($0.offset)", [$0.element]) })
        _ = try await f.match((0..<QuarantineWatch.minimumUploads).map { ("a-\($0)", [noisy]) })
        func flags() async throws -> [AuditEntry] {
            try await f.store.auditEntries(limit: 10_000, after: nil).filter { $0.action == "quarantine_flagged" }
        }
        #expect(try await flags().isEmpty)
        // The 51st upload crosses it, far above the peers' median (1).
        _ = try await f.match([("a-last", [noisy])])
        let flagged = try await flags()
        #expect(flagged.count == 1)
        #expect(flagged.first?.actor == "service")
        #expect(flagged.first?.detail == "item stopncii/\(noisyID)")
        #expect(flagged.first?.detail?.contains(Self.hex(noisy)) == false)
        let metrics = f.service.metrics.render(indexCounts: [:], ready: true)
        #expect(metrics.contains("nccmatch_quarantine_flagged_total 1"), "\(metrics)")
        #expect(metrics.contains("nccmatch_quarantine_flagged_items 1"), "\(metrics)")
        // Flagged once; still matched until the operator decides.
        let more = try await f.match((0..<20).map { ("b-\($0)", [noisy]) })
        #expect(more.values.allSatisfy { $0.count == 1 })
        #expect(try await flags().count == 1)
        try await f.store.setQuarantined(BankItemReference(bank: "stopncii", id: noisyID), true)
        await f.service.refreshImported()
        #expect(try await f.banks(noisy).isEmpty)
        #expect(f.service.metrics.render(indexCounts: [:], ready: true).contains("nccmatch_quarantine_flagged_items 0"))
    }

    @Test func anItemWithoutPeersOrBelowTheMinimumIsNotFlagged() {
        let clock = Mutex(0.0)
        let watch = QuarantineWatch(now: { clock.withLock { $0 } })
        let alone = BankItemReference(bank: "stopncii", id: 1)
        #expect(watch.record(Array(repeating: [alone], count: 500)).isEmpty, "no peers: its own count is the median")
        let peer = BankItemReference(bank: "stopncii", id: 2)
        let other = BankItemReference(bank: "stopncii", id: 3)
        // A new hour: two peers at 3 uploads each, the item at 51 but not 20 times their median... until it is.
        clock.withLock { $0 = 3_600 }
        #expect(watch.record(Array(repeating: [peer, other], count: 3)).isEmpty)
        #expect(watch.record(Array(repeating: [alone], count: 51)).isEmpty, "51 is not over 20 x 3")
        #expect(watch.record(Array(repeating: [alone], count: 8)).isEmpty, "59 neither")
        #expect(watch.record(Array(repeating: [alone], count: 8)) == [alone], "67 is (judged every 8 uploads past 50)")
        #expect(watch.record(Array(repeating: [alone], count: 80)).isEmpty, "once")
    }
}
