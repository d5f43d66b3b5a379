import Foundation
import NCCBank
import NCCExchange
import NCCHashing
import NCCTestSupport
import Testing

/// A bank store that also keeps banks and exchanges, as the server sees it.
typealias ExchangeBank = any BankStore & ExchangeBankStore

/// The banks-and-exchanges contract (`ExchangeBankStore`): one body per behaviour, run on every backend by the
/// suites in `ExchangeBankContractSuites.swift` (memory, SQLite) and the PostgreSQL driver's own suite. Each body
/// takes a `Backend`, makes a fresh bank with `withExchangeStore`, and reopens it where durability matters.
enum ExchangeBankContract {
    // MARK: Fixtures

    /// Runs `body` on a fresh bank of `backend` that implements `ExchangeBankStore`.
    static func withExchangeStore(_ backend: Backend, _ body: (StoreFixture, ExchangeBank) async throws -> Void) async throws {
        try await withStore(backend) { fixture in
            try await body(fixture, try await open(fixture))
        }
    }

    /// Opens (or reopens) the fixture's bank as an `ExchangeBankStore`.
    static func open(_ fixture: StoreFixture) async throws -> ExchangeBank {
        let store = try await fixture.open()
        return try #require(store as? ExchangeBank, "the \(fixture.backend) store does not implement ExchangeBankStore")
    }

    /// A distinct 64-hex PDQ value for `index` (made up, never a real picture's).
    static func pdq(_ index: Int) -> String {
        let word = String(UInt64(index) &* 0x9E37_79B9_7F4A_7C15, radix: 16)
        return String(repeating: "a", count: 48) + String(repeating: "0", count: 16 - word.count) + word
    }

    /// A distinct 32-hex MD5 value for `index`.
    static func md5(_ index: Int) -> String {
        let word = String(UInt64(index) &+ 1, radix: 16)
        return String(repeating: "b", count: 16) + String(repeating: "0", count: 16 - word.count) + word
    }

    static func record(_ index: Int, _ type: ExchangeSignalType = .imagePDQ, entry: UpstreamEntry? = nil,
                       status: ExchangeHashStatus = .active) -> ExchangeRecord {
        let value = switch type {
        case .imagePDQ: pdq(index)
        case .videoMD5, .imageMD5: md5(index)
        default: "tmk-\(index)"
        }
        return ExchangeRecord(id: .init(signalType: type, signalValue: value, entry: entry), status: status,
                              caseNumbers: ["case-\(index)": status], lastModified: 1000 + Int64(index))
    }

    /// A real checkpoint (they are opaque), made by reading a one-line file; `index` makes different ones.
    static func checkpoint(_ index: Int = 0) async throws -> ExchangeCheckpoint {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("c.txt").path
        try "pdq \(pdq(index))\n".write(toFile: path, atomically: true, encoding: .utf8)
        return try await SignalFileImporter(path: path, format: .localFile).fetchPage(after: nil).checkpoint
    }

    /// A match bank `bank` filled by exchange `exchange`.
    static func addFeed(_ store: ExchangeBank, exchange: String, bank: String, kind: ExchangeSettings.Kind = .stopNCII) async throws {
        if try await !store.banks().contains(where: { $0.name == bank }) { try await store.addBank(BankSettings(name: bank)) }
        try await store.addExchange(ExchangeSettings(name: exchange, kind: kind, bank: bank))
    }

    /// Reads the whole change feed after `version` in pages of `limit`.
    static func drain(_ store: ExchangeBank, after version: Int64, limit: Int = 1000) async throws -> (upserted: [ImportedHash], removed: [Int64], version: Int64) {
        var version = version
        var upserted: [ImportedHash] = []
        var removed: [Int64] = []
        while true {
            let changes = try await store.importedChanges(after: version, limit: limit)
            #expect(changes.upserted.count + changes.removed.count <= limit)
            #expect(changes.version >= version)
            upserted += changes.upserted
            removed += changes.removed
            version = changes.version
            if !changes.hasMore { return (upserted, removed, version) }
        }
    }

    static func code(_ body: () async throws -> Void) async -> BankError.Code? {
        do {
            try await body()
            return nil
        } catch let error as BankError {
            return error.code
        } catch {
            Issue.record("not a BankError: \(error)")
            return nil
        }
    }

    static func sameSettings(_ a: [BankSettings], _ b: [BankSettings]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            var y = y
            y.createdAt = x.createdAt
            return x == y && abs(x.createdAt.timeIntervalSince(y.createdAt)) < 0.01
        }
    }

    // MARK: Banks

    /// The own bank exists from the start and stays; banks are added, changed and removed with every refusal;
    /// the PDQ distance rule holds at 31/32 with and without the override; refusals change nothing.
    static func banks(_ backend: Backend) async throws {
        try await withExchangeStore(backend) { fixture, store in
            let initial = try await store.banks()
            #expect(initial.map(\.name) == [BankSettings.ownBankName])
            let ownBank = try #require(initial.first)
            #expect(ownBank.role == .match && ownBank.enabled && ownBank.pdqDistance == nil && !ownBank.distanceOverride)
            #expect(await code { try await store.removeBank(name: BankSettings.ownBankName) } == .bankInUse)
            var own = initial[0]
            own.role = .allow
            #expect(await code { try await store.updateBank(own) } == .bankInvalid)
            #expect(await code { try await store.addBank(BankSettings(name: BankSettings.ownBankName)) } == .bankExists)
            #expect(sameSettings(try await store.banks(), initial))
            // The own bank can be disabled and given a narrower distance.
            own.role = .match
            own.enabled = false
            own.pdqDistance = 20
            try await store.updateBank(own)

            try await store.addBank(BankSettings(name: "zeta", role: .allow))
            try await store.addBank(BankSettings(name: "d31", pdqDistance: 31))
            #expect(await code { try await store.addBank(BankSettings(name: "d32", pdqDistance: 32)) } == .distanceTooWide)
            try await store.addBank(BankSettings(name: "d32", pdqDistance: 32, distanceOverride: true))
            #expect(await code { try await store.addBank(BankSettings(name: "d300", pdqDistance: 300, distanceOverride: true)) } == .distanceTooWide)
            #expect(await code { try await store.addBank(BankSettings(name: "d-1", pdqDistance: -1)) } == .distanceTooWide)
            #expect(await code { try await store.addBank(BankSettings(name: "Bad Name")) } == .bankInvalid)
            #expect(await code { try await store.addBank(BankSettings(name: "zeta")) } == .bankExists)
            let before = try await store.banks()
            #expect(before.map(\.name) == [BankSettings.ownBankName, "d31", "d32", "zeta"])

            // Updates: validated, the name must exist, the creation time stays.
            #expect(await code { try await store.updateBank(BankSettings(name: "d31", pdqDistance: 32)) } == .distanceTooWide)
            #expect(await code { try await store.updateBank(BankSettings(name: "nope")) } == .bankNotFound)
            #expect(sameSettings(try await store.banks(), before))
            try await store.updateBank(BankSettings(name: "d31", role: .allow, enabled: false, pdqDistance: 32, distanceOverride: true,
                                                    createdAt: Date(timeIntervalSince1970: 0)))
            let reopened = try await open(fixture)
            let banks = try await reopened.banks()
            let d31 = try #require(banks.first { $0.name == "d31" })
            #expect(d31.role == .allow && !d31.enabled && d31.pdqDistance == 32 && d31.distanceOverride)
            #expect(abs(d31.createdAt.timeIntervalSince(before[1].createdAt)) < 0.01)
            #expect(banks[0].name == BankSettings.ownBankName && !banks[0].enabled && banks[0].pdqDistance == 20 && banks[0].role == .match)

            // A bank an exchange fills stays until the exchange goes; then it can be removed.
            try await reopened.addExchange(ExchangeSettings(name: "feed", kind: .stopNCII, bank: "zeta"))
            #expect(await code { try await reopened.removeBank(name: "zeta") } == .bankInUse)
            #expect(await code { try await reopened.removeBank(name: "nope") } == .bankNotFound)
            _ = try await reopened.removeExchange(name: "feed")
            try await reopened.removeBank(name: "zeta")
            #expect(try await reopened.banks().map(\.name) == [BankSettings.ownBankName, "d31", "d32"])
            #expect(await code { try await reopened.removeBank(name: "zeta") } == .bankNotFound)
            // Re-adding a removed name is a new bank.
            try await reopened.addBank(BankSettings(name: "zeta"))

            let actions = try await reopened.auditEntries(limit: 100, after: nil).map(\.action)
            #expect(actions == ["bank_changed", "bank_added", "bank_added", "bank_added", "bank_changed", "exchange_added",
                                "exchange_removed", "bank_removed", "bank_added"])
        }
    }

    // MARK: Exchanges

    /// Exchanges are added, changed and removed with every refusal; their settings survive a reopen; credentials
    /// are stored as variable names only.
    static func exchanges(_ backend: Backend) async throws {
        try await withExchangeStore(backend) { fixture, store in
            try await store.addBank(BankSettings(name: "stop"))
            let settings = ExchangeSettings(name: "stopncii", kind: .stopNCII, bank: "stop", endpoint: "https://api.example/v1",
                                            credentialEnvironment: ["fetch_key": "STOP_FETCH", "subscription_key": "STOP_SUB"],
                                            intervalSeconds: ExchangeSettings.minimumInterval)
            try await store.addExchange(settings)
            try await store.addExchange(ExchangeSettings(name: "alpha", kind: .localFile, bank: "stop", endpoint: "/tmp/list.txt"))
            #expect(await code { try await store.addExchange(settings) } == .exchangeExists)
            #expect(await code { try await store.addExchange(ExchangeSettings(name: "own", kind: .ncmec, bank: BankSettings.ownBankName)) } == .bankInUse)
            #expect(await code { try await store.addExchange(ExchangeSettings(name: "lost", kind: .ncmec, bank: "nope")) } == .bankNotFound)
            #expect(await code { try await store.addExchange(ExchangeSettings(name: "Bad", kind: .ncmec, bank: "stop")) } == .bankInvalid)
            #expect(await code { try await store.addExchange(ExchangeSettings(name: "fast", kind: .ncmec, bank: "stop", intervalSeconds: 9)) } == .bankInvalid)
            #expect(try await store.exchanges().map(\.name) == ["alpha", "stopncii"])

            // Updates change the switch, interval, endpoint and credential names; name, kind and bank stay.
            var changed = settings
            changed.enabled = false
            changed.intervalSeconds = 600
            changed.endpoint = nil
            changed.credentialEnvironment = ["fetch_key": "OTHER"]
            changed.kind = .ncmec
            changed.bank = BankSettings.ownBankName
            try await store.updateExchange(changed)
            #expect(await code { try await store.updateExchange(ExchangeSettings(name: "nope", kind: .ncmec, bank: "stop")) } == .exchangeNotFound)
            var tooFast = changed
            tooFast.intervalSeconds = 1
            #expect(await code { try await store.updateExchange(tooFast) } == .bankInvalid)

            let reopened = try await open(fixture)
            let stored = try #require(try await reopened.exchanges().first { $0.name == "stopncii" })
            #expect(stored.kind == .stopNCII && stored.bank == "stop" && !stored.enabled && stored.intervalSeconds == 600)
            #expect(stored.endpoint == nil && stored.credentialEnvironment == ["fetch_key": "OTHER"])
            #expect(abs(stored.createdAt.timeIntervalSince(settings.createdAt)) < 0.01)
            #expect(try await reopened.exchangeRecordCount(exchange: "stopncii") == 0)
            #expect(await code { _ = try await reopened.exchangeRecordCount(exchange: "nope") } == .exchangeNotFound)
            #expect(await code { _ = try await reopened.removeExchange(name: "nope") } == .exchangeNotFound)
            #expect(try await reopened.removeExchange(name: "alpha") == 0)
            #expect(try await reopened.exchanges().map(\.name) == ["stopncii"])
        }
    }

    // MARK: Apply

    /// Upserts, removals and entry replacements; replays never double; a stored id keeps its hash id; kinds that
    /// are not matched are stored but stay out of the change feed; the checkpoint goes with its page; a page for
    /// an unknown exchange is refused whole.
    static func apply(_ backend: Backend) async throws {
        try await withExchangeStore(backend) { fixture, store in
            try await addFeed(store, exchange: "s", bank: "stop")
            try await addFeed(store, exchange: "n", bank: "ncmec", kind: .ncmec)
            let c1 = try await checkpoint(1), c2 = try await checkpoint(2)
            #expect(c1 != c2)
            #expect(try await store.checkpoint(exchange: "s") == nil)
            let page = [record(1), record(2), record(3), record(4, .videoTMK), record(5, .videoMD5)]
            try await store.apply(page.map { .upsert($0) }, checkpoint: c1, exchange: "s")
            #expect(try await store.checkpoint(exchange: "s") == c1)
            #expect(try await store.checkpoint(exchange: "n") == nil)
            #expect(Set(try await store.records(exchange: "s")) == Set(page))
            #expect(try await store.exchangeRecordCount(exchange: "s") == 5)
            let first = try await drain(store, after: 0)
            #expect(first.upserted.count == 4 && first.removed.isEmpty)
            #expect(Set(first.upserted.map(\.algorithm)) == [.pdq, .md5])
            #expect(first.upserted.allSatisfy { $0.bank == "stop" && $0.exchange == "s" && $0.id > 0 })
            let pdq1 = try #require(first.upserted.first { $0.algorithm == .pdq && $0.value == ImportedHash.matchable(record(1).id)?.value })
            #expect(pdq1.value.count == 32)
            #expect(first.upserted.first { $0.algorithm == .md5 }?.value.count == 16)
            #expect(Set(first.upserted.map(\.id)).count == 4)

            // The same page again: nothing doubles, every id stays, and the feed shows them again (an index
            // replaces entries by id).
            try await store.apply(page.map { .upsert($0) }, checkpoint: c2, exchange: "s")
            #expect(try await store.exchangeRecordCount(exchange: "s") == 5)
            #expect(try await store.checkpoint(exchange: "s") == c2)
            let replay = try await drain(store, after: first.version)
            #expect(Set(replay.upserted.map(\.id)) == Set(first.upserted.map(\.id)) && replay.removed.isEmpty)
            #expect(replay.version > first.version)

            // A changed record keeps its id; a removal and a withdrawn upsert leave tombstones.
            var changed = record(1)
            changed.caseNumbers = ["case-1": .active, "case-9": .received, "odd \"case\" \\ \n\t\u{1} é": .withdrawn]
            changed.feedback = [UpstreamFeedback(source: "platform", value: "Blocked", tags: ["t"])]
            changed.classification = "A1"
            try await store.apply([.upsert(changed), .remove(record(2).id), .upsert(record(3, status: .withdrawn)),
                                   .remove(record(77).id), .remove(record(4, .videoTMK).id)], checkpoint: c1, exchange: "s")
            let afterRemoval = try await drain(store, after: replay.version)
            let id2 = first.upserted.first { $0.value == ImportedHash.matchable(record(2).id)?.value }?.id
            let id3 = first.upserted.first { $0.value == ImportedHash.matchable(record(3).id)?.value }?.id
            #expect(afterRemoval.upserted.map(\.id) == [pdq1.id])
            #expect(Set(afterRemoval.removed).isSuperset(of: [id2, id3].compactMap { $0 }))
            #expect(afterRemoval.removed.count == 3, "record 2, record 3 and the TMK record left; record 77 was never there")
            let left = try await store.records(exchange: "s")
            #expect(Set(left.map(\.id)) == [record(1).id, record(5, .videoMD5).id])
            #expect(left.first { $0.id == changed.id } == changed)

            // NCMEC entries: replaced whole; fingerprints that stay keep their ids; a deleted entry leaves nothing.
            let entry = UpstreamEntry(memberID: 42, entryID: "e/1")
            let other = UpstreamEntry(memberID: 4, entryID: "2/e")
            try await store.apply([.replaceEntry(entry, [record(10, entry: entry), record(11, .sha1, entry: entry), record(12, .imageMD5, entry: entry)]),
                                   .replaceEntry(other, [record(20, entry: other)])], checkpoint: c1, exchange: "n")
            let ncmec = try await drain(store, after: afterRemoval.version)
            #expect(ncmec.upserted.count == 3 && ncmec.upserted.allSatisfy { $0.bank == "ncmec" && $0.exchange == "n" })
            let kept = try #require(ncmec.upserted.first { $0.algorithm == .pdq && $0.value == ImportedHash.matchable(record(10, entry: entry).id)?.value })
            try await store.apply([.replaceEntry(entry, [record(10, entry: entry), record(13, entry: entry)])], checkpoint: c2, exchange: "n")
            let replaced = try await drain(store, after: ncmec.version)
            #expect(replaced.upserted.contains { $0.id == kept.id } && replaced.upserted.count == 2)
            #expect(replaced.removed.count == 2, "the SHA-1 and the MD5 fingerprint left")
            #expect(Set(try await store.records(exchange: "n").map(\.id)) == [record(10, entry: entry).id, record(13, entry: entry).id, record(20, entry: other).id])
            try await store.apply([.replaceEntry(entry, [])], checkpoint: c2, exchange: "n")
            #expect(try await store.records(exchange: "n").map(\.id) == [record(20, entry: other).id])

            // A page for an exchange that is not configured is refused and writes nothing.
            let before = try await store.importedChanges(after: 0, limit: 10_000)
            #expect(await code { try await store.apply([.upsert(record(50))], checkpoint: c1, exchange: "missing") } == .exchangeNotFound)
            #expect(try await store.checkpoint(exchange: "missing") == nil)
            #expect(try await store.records(exchange: "missing").isEmpty)
            let after = try await store.importedChanges(after: 0, limit: 10_000)
            #expect(after.version == before.version && after.upserted == before.upserted && after.removed == before.removed)

            // Everything is still there after a reopen.
            let reopened = try await open(fixture)
            #expect(try await reopened.checkpoint(exchange: "s") == c1)
            #expect(try await reopened.checkpoint(exchange: "n") == c2)
            #expect(Set(try await reopened.records(exchange: "s")) == Set(left))
            let all = try await drain(reopened, after: 0, limit: 3)
            let md5ID = try #require(first.upserted.first { $0.algorithm == .md5 }?.id)
            let otherID = try #require(ncmec.upserted.first { $0.value == ImportedHash.matchable(record(20, entry: other).id)?.value }?.id)
            #expect(Set(all.upserted.map(\.id)) == [pdq1.id, md5ID, otherID])
            #expect(all.version == after.version)
        }
    }

    // MARK: The change feed

    /// Paging with `limit` and `hasMore`, versions increasing across exchanges, removals as tombstones, and pages
    /// of kinds that are not matched moving the version without changes.
    static func changeFeed(_ backend: Backend) async throws {
        try await withExchangeStore(backend) { _, store in
            try await addFeed(store, exchange: "s", bank: "stop")
            try await addFeed(store, exchange: "t", bank: "list")
            let mark = try await checkpoint()
            let empty = try await store.importedChanges(after: 0, limit: 10)
            #expect(empty.upserted.isEmpty && empty.removed.isEmpty && !empty.hasMore && empty.version == 0)
            for round in 0..<5 {
                try await store.apply((0..<5).map { .upsert(record(round * 5 + $0)) }, checkpoint: mark, exchange: "s")
                try await store.apply((0..<2).map { .upsert(record(100 + round * 2 + $0)) }, checkpoint: mark, exchange: "t")
            }
            var version: Int64 = 0
            var seen: [ImportedHash] = []
            var pages = 0
            while true {
                let changes = try await store.importedChanges(after: version, limit: 7)
                pages += 1
                #expect(changes.removed.isEmpty)
                #expect(changes.version > version)
                seen += changes.upserted
                version = changes.version
                if !changes.hasMore { break }
                #expect(changes.upserted.count == 7)
            }
            #expect(pages == 5 && seen.count == 35 && Set(seen.map(\.id)).count == 35)
            // Oldest first: the feed interleaves the exchanges in the order their pages were applied.
            #expect(seen.prefix(7).map(\.exchange) == ["s", "s", "s", "s", "s", "t", "t"])
            let done = try await store.importedChanges(after: version, limit: 7)
            #expect(done.upserted.isEmpty && done.removed.isEmpty && !done.hasMore && done.version == version)

            try await store.apply([.remove(record(0).id), .remove(record(1).id), .upsert(record(2))], checkpoint: mark, exchange: "s")
            try await store.apply([.upsert(record(200)), .remove(record(100).id)], checkpoint: mark, exchange: "t")
            let next = try await store.importedChanges(after: version, limit: 100)
            let ids = Dictionary(seen.map { ($0.value, $0.id) }, uniquingKeysWith: { a, _ in a })
            func id(_ index: Int) -> Int64? { ids[ImportedHash.matchable(record(index).id)!.value] }
            #expect(next.removed == [id(0), id(1), id(100)].compactMap { $0 })
            #expect(next.upserted.map(\.exchange) == ["s", "t"] && next.upserted.first?.id == id(2))
            #expect(!next.hasMore && next.version > version)
            // Exactly at the limit: hasMore only when something is left.
            let cut = try await store.importedChanges(after: version, limit: 4)
            #expect(cut.upserted.count + cut.removed.count == 4 && cut.hasMore)
            let rest = try await store.importedChanges(after: cut.version, limit: 1)
            #expect(rest.upserted.count + rest.removed.count == 1 && !rest.hasMore && rest.version == next.version)

            // Kinds that are not matched move the version, and the follower past them, without changes.
            try await store.apply([.upsert(record(300, .videoTMK))], checkpoint: mark, exchange: "s")
            let quiet = try await store.importedChanges(after: next.version, limit: 10)
            #expect(quiet.upserted.isEmpty && quiet.removed.isEmpty && !quiet.hasMore && quiet.version >= next.version)
            let still = try await store.importedChanges(after: quiet.version, limit: 10)
            #expect(still.upserted.isEmpty && still.removed.isEmpty && still.version == quiet.version)

            // A follower from the start gets exactly the current matchable hashes (and removals it may ignore).
            let fresh = try await drain(store, after: 0, limit: 6)
            #expect(fresh.upserted.count == 33 && Set(fresh.upserted.map(\.id)).count == 33)
            #expect(Set(fresh.removed) == Set([id(0), id(1), id(100)].compactMap { $0 }))
            #expect(fresh.version == quiet.version)
        }
    }

    // MARK: Removing an exchange

    /// An exchange goes with its records (tombstoned), checkpoint and pending feedback; delivered feedback stays.
    static func removeExchange(_ backend: Backend) async throws {
        try await withExchangeStore(backend) { fixture, store in
            try await addFeed(store, exchange: "s", bank: "stop")
            try await addFeed(store, exchange: "keep", bank: "stop")
            let mark = try await checkpoint()
            try await store.apply([.upsert(record(1)), .upsert(record(2)), .upsert(record(3, .videoTMK)), .upsert(record(4, .videoMD5))],
                                  checkpoint: mark, exchange: "s")
            try await store.apply([.upsert(record(1))], checkpoint: mark, exchange: "keep")
            let t0 = Date(timeIntervalSince1970: 1_700_000_000)
            let delivered = FeedbackItem.Key(exchange: "s", record: record(1).id, outcome: .removed)
            let pending = FeedbackItem.Key(exchange: "s", record: record(2).id, outcome: .removed)
            let failed = FeedbackItem.Key(exchange: "s", record: record(4, .videoMD5).id, outcome: .notViolating)
            let other = FeedbackItem.Key(exchange: "keep", record: record(1).id, outcome: .removed)
            for key in [delivered, pending, failed, other] { #expect(try await store.enqueue(key, now: t0)) }
            try await store.record(delivered, state: .delivered(at: t0), error: nil)
            try await store.record(failed, state: .failed(.unauthorized), error: .unauthorized)
            let before = try await drain(store, after: 0)
            let ownIDs = Set(before.upserted.filter { $0.exchange == "s" }.map(\.id))
            #expect(ownIDs.count == 3)

            #expect(try await store.removeExchange(name: "s") == 4)
            let reopened = try await open(fixture)
            #expect(try await reopened.exchanges().map(\.name) == ["keep"])
            #expect(try await reopened.records(exchange: "s").isEmpty)
            #expect(try await reopened.checkpoint(exchange: "s") == nil)
            #expect(try await reopened.checkpoint(exchange: "keep") == mark)
            let after = try await drain(reopened, after: before.version)
            #expect(after.upserted.isEmpty && Set(after.removed).isSuperset(of: ownIDs) && after.removed.count == 4)
            #expect(Set(try await reopened.items().map(\.key)) == [delivered, failed, other])
            #expect(try await reopened.due(now: t0, limit: 10).map(\.key) == [other])
            // The name can be used again, for a fresh exchange.
            try await reopened.addExchange(ExchangeSettings(name: "s", kind: .localFile, bank: "stop"))
            #expect(try await reopened.exchangeRecordCount(exchange: "s") == 0)
            #expect(try await reopened.checkpoint(exchange: "s") == nil)
            #expect(try await reopened.auditEntries(limit: 1, after: nil).map(\.action) == ["exchange_added"])
            #expect(try await reopened.auditEntries(limit: 2, after: nil).first?.detail == "s: 4 records")
        }
    }

    // MARK: Imported match references and feedback

    /// `x_` references are stable per platform and hash, distinct from `m_` ones and between platforms, audited
    /// with the bank's name; feedback is queued once per record and outcome, refused for another platform's or a
    /// case picture's reference, and answered `hash_withdrawn` once the record left.
    static func importedReferencesAndFeedback(_ backend: Backend) async throws {
        try await withExchangeStore(backend) { fixture, store in
            try await addFeed(store, exchange: "s", bank: "stop")
            let mark = try await checkpoint()
            try await store.apply([.upsert(record(1)), .upsert(record(2)), .upsert(record(3, .videoMD5))], checkpoint: mark, exchange: "s")
            let hashes = try await drain(store, after: 0).upserted
            func id(_ r: ExchangeRecord) throws -> Int64 { try #require(hashes.first { $0.value == ImportedHash.matchable(r.id)?.value }?.id) }
            let id1 = try id(record(1)), id2 = try id(record(2)), id3 = try id(record(3, .videoMD5))
            let p = try await store.addPlatform(name: "p", key: APIKey.generate())
            let q = try await store.addPlatform(name: "q", key: APIKey.generate())
            let pictures = try await store.createCase(NewCase(id: "c_1", secret: try StoreContract.secret(), hashes: StoreContract.hashes))
            let caseRefs = try await store.matchReferences(platform: p, imageIDs: pictures.map(\.imageID))
            let auditStart = try await store.auditEntries(limit: 1, after: nil).last?.id ?? 0

            let refs = try await store.importedMatchReferences(platform: p, hashIDs: [id1, id2, id3, id1, 9_999_999])
            #expect(Set(refs.keys) == [id1, id2, id3])
            #expect(refs.values.allSatisfy { $0.hasPrefix("x_") && $0.count == 34 } && Set(refs.values).count == 3)
            #expect(Set(refs.values).isDisjoint(with: caseRefs.values))
            #expect(try await store.importedMatchReferences(platform: p, hashIDs: [id1]) == [id1: refs[id1]!])
            let qRefs = try await store.importedMatchReferences(platform: q, hashIDs: [id1])
            #expect(qRefs[id1] != nil && qRefs[id1] != refs[id1])
            #expect(try await store.importedMatchReferences(platform: p, hashIDs: []).isEmpty)
            let matches = try await store.auditEntries(limit: 100, after: auditStart)
            #expect(matches.count == 5 && matches.allSatisfy { $0.action == "match" && $0.detail == "bank stop" })
            #expect(matches.filter { $0.actor == "platform:p" }.map(\.matchRef) == [refs[id1], refs[id2], refs[id3], refs[id1]])

            // Feedback: once per record and outcome, in the outbox under the exchange's record.
            let reopened = try await open(fixture)
            #expect(try await reopened.importedMatchReferences(platform: p, hashIDs: [id2]) == [id2: refs[id2]!])
            #expect(try await reopened.recordImportedFeedback(platform: p, matchRef: refs[id1]!, outcome: .removed, contentID: "u1"))
            #expect(try await reopened.recordImportedFeedback(platform: p, matchRef: refs[id1]!, outcome: .removed, contentID: "u2") == false)
            #expect(try await reopened.recordImportedFeedback(platform: q, matchRef: qRefs[id1]!, outcome: .removed, contentID: nil) == false)
            #expect(try await reopened.recordImportedFeedback(platform: p, matchRef: refs[id1]!, outcome: .notViolating, contentID: nil))
            #expect(try await reopened.recordImportedFeedback(platform: p, matchRef: refs[id3]!, outcome: .pendingReview, contentID: nil))
            let items = try await reopened.items()
            #expect(items.map(\.key) == [FeedbackItem.Key(exchange: "s", record: record(1).id, outcome: .removed),
                                         FeedbackItem.Key(exchange: "s", record: record(1).id, outcome: .notViolating),
                                         FeedbackItem.Key(exchange: "s", record: record(3, .videoMD5).id, outcome: .pendingReview)])
            #expect(items.allSatisfy { $0.attempts == 0 && $0.lastError == nil })
            #expect(try await reopened.due(now: Date(), limit: 10).count == 3)

            // Refusals write nothing.
            let auditBefore = try await reopened.auditEntries(limit: 1000, after: nil).count
            #expect(await code { try await reopened.recordImportedFeedback(platform: q, matchRef: refs[id1]!, outcome: .removed, contentID: nil) } == .matchRefNotFound)
            #expect(await code { try await reopened.recordImportedFeedback(platform: p, matchRef: caseRefs.values.first!, outcome: .removed, contentID: nil) } == .matchRefNotFound)
            #expect(await code { try await reopened.recordImportedFeedback(platform: p, matchRef: "x_00000000000000000000000000000000", outcome: .removed, contentID: nil) } == .matchRefNotFound)
            #expect(await code { try await reopened.recordFeedback(platform: p, matchRef: refs[id1]!, outcome: .removed, contentID: nil) } == .matchRefNotFound)
            try await reopened.apply([.remove(record(2).id)], checkpoint: mark, exchange: "s")
            #expect(await code { try await reopened.recordImportedFeedback(platform: p, matchRef: refs[id2]!, outcome: .removed, contentID: nil) } == .hashWithdrawn)
            #expect(try await reopened.importedMatchReferences(platform: p, hashIDs: [id2]).isEmpty)
            // The same hash stored again is a new item with a new id and a new reference.
            try await reopened.apply([.upsert(record(2))], checkpoint: mark, exchange: "s")
            let again = try await reopened.importedChanges(after: 0, limit: 100).upserted.first { $0.value == ImportedHash.matchable(record(2).id)?.value }
            #expect(again.map { $0.id > id3 } == true)
            #expect(try await reopened.items().count == 3)
            let audit = try await reopened.auditEntries(limit: 1000, after: nil)
            #expect(audit.count == auditBefore, "refusals and the apply are not audited")
            #expect(audit.filter { $0.action == "feedback" }.map(\.detail) == ["removed", "removed", "removed", "not_violating", "pending_review"])
            // No hash value is ever in the audit log.
            let values = [record(1), record(2), record(3, .videoMD5)].map(\.signalValue)
            for entry in audit {
                let text = [entry.detail, entry.matchRef, entry.caseID].compactMap { $0 }.joined(separator: " ")
                #expect(!values.contains { text.contains($0) })
            }
        }
    }

    // MARK: Quarantine

    /// Quarantine marks are set, cleared and listed per bank, audited, durable, and go with their bank.
    static func quarantine(_ backend: Backend) async throws {
        try await withExchangeStore(backend) { fixture, store in
            try await store.addBank(BankSettings(name: "stop"))
            let own = BankItemReference(bank: BankSettings.ownBankName, id: 5)
            let item = BankItemReference(bank: "stop", id: 7)
            try await store.setQuarantined(item, true)
            try await store.setQuarantined(own, true)
            try await store.setQuarantined(own, true)
            try await store.setQuarantined(BankItemReference(bank: "stop", id: 3), true)
            #expect(try await store.quarantinedItems() == [own, BankItemReference(bank: "stop", id: 3), item])
            try await store.setQuarantined(BankItemReference(bank: "stop", id: 3), false)
            try await store.setQuarantined(BankItemReference(bank: "stop", id: 99), false)
            #expect(await code { try await store.setQuarantined(BankItemReference(bank: "nope", id: 1), true) } == .bankNotFound)
            let reopened = try await open(fixture)
            #expect(try await reopened.quarantinedItems() == [own, item])
            let audit = try await reopened.auditEntries(limit: 100, after: nil).filter { $0.action == "quarantined" || $0.action == "released" }
            #expect(audit.map(\.action) == ["quarantined", "quarantined", "quarantined", "quarantined", "released", "released"])
            #expect(audit.first?.detail == "stop/7" && audit.allSatisfy { $0.actor == "operator" })
            try await reopened.removeBank(name: "stop")
            #expect(try await reopened.quarantinedItems() == [own])
            try await reopened.addBank(BankSettings(name: "stop"))
            #expect(try await reopened.quarantinedItems() == [own])
        }
    }
}
