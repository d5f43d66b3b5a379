import Foundation
import NCCBank
import NCCExchange
import Synchronization
import Testing

@Suite("Feedback to exchanges")
struct FeedbackTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    @Test("Our outcomes are the bank's, in StopNCII's and NCMEC's words")
    func vocabulary() {
        #expect(ExchangeFeedbackOutcome.allCases.map(\.rawValue) == FeedbackOutcome.allCases.map(\.rawValue))
        for outcome in FeedbackOutcome.allCases { #expect(ExchangeFeedbackOutcome(rawValue: outcome.rawValue) != nil) }
        #expect(ExchangeFeedbackOutcome.allCases.map(\.stopNCIIValue) == ["PendingReview", "Blocked", "NotBlocked"])
        #expect(ExchangeFeedbackOutcome.allCases.map(\.ncmecVote) == [nil, .affirmative, .negative])
    }

    @Test("StopNCII feedback is pytx's SubmitFeedback body, with the function and subscription keys")
    func stopNCIIBody() async throws {
        let expected = try JSONSerialization.jsonObject(with: FixtureFiles.data("stopncii/submit_feedback_expected.json")) as? [String: Any]
        let item = try #require((expected?["hashFeedbacks"] as? [[String: Any]])?[1])
        let server = try await ReplayServer.start { _ in .json("{}") }
        defer { Task { await server.stop() } }
        let sender = StopNCIIFeedbackSender(baseURL: server.baseURL.appendingPathComponent("v1"), feedbackFunctionKey: "fb-key",
                                            subscriptionKey: "sub", tags: ["Nude"])
        let id = ExchangeRecord.ID(signalType: .imagePDQ, signalValue: try #require(item["hashValue"] as? String))
        #expect(try await sender.send(.init(exchange: "stopncii", record: id, outcome: .removed)) == .accepted)
        let request = try #require(server.requests.first)
        #expect(request.method == "POST" && request.path == "/v1/SubmitFeedback")
        #expect(request.headers["x-functions-key"] == "fb-key" && request.headers["ocp-apim-subscription-key"] == "sub")
        let sent = try #require(JSONSerialization.jsonObject(with: request.body) as? NSDictionary)
        #expect(sent == ["count": 1, "hashFeedbacks": [item]] as NSDictionary)
    }

    @Test("NCMEC feedback: affirmative and negative (its only reason looked up) per fingerprint of an entry; nothing for pending review")
    func ncmecVotes() async throws {
        let reasons = try FixtureFiles.text("ncmec/feedback_reasons.xml")
        let server = try await ReplayServer.start { request in request.method == "GET" ? .xml(reasons) : .xml("<submissionResult/>") }
        defer { Task { await server.stop() } }
        let sender = NCMECFeedbackSender(baseURL: server.baseURL.appendingPathComponent("hashsharing"), username: "u", password: "p")
        let id = ExchangeRecord.ID(signalType: .imageMD5, signalValue: "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", entry: UpstreamEntry(memberID: 42, entryID: "image1"))
        #expect(try await sender.send(.init(exchange: "ncmec", record: id, outcome: .pendingReview)) == .notApplicable)
        #expect(server.requests.isEmpty)
        #expect(try await sender.send(.init(exchange: "ncmec", record: id, outcome: .removed)) == .accepted)
        #expect(try await sender.send(.init(exchange: "ncmec", record: id, outcome: .notViolating)) == .accepted)
        let requests = server.requests
        #expect(requests.map(\.method) == ["PUT", "GET", "PUT"])
        #expect(requests[0].path == "/hashsharing/v2/entries/42/image1/MD5/feedback" && requests[1].path == "/hashsharing/v2/feedback/MD5/reasons")
        #expect(requests[0].headers["authorization"] == "Basic dTpw")
        let affirmative = String(decoding: requests[0].body, as: UTF8.self)
        let negative = String(decoding: requests[2].body, as: UTF8.self)
        #expect(affirmative.contains("<affirmative/>") && affirmative.contains("https://hashsharing.ncmec.org/hashsharing/v2"))
        #expect(negative.contains("<negative><reasonIds><guid>01234567-abcd-0123-4567-012345678900</guid></reasonIds></negative>"))
    }

    @Test("1,000 feedbacks reach the exchange exactly once each, across failures, retries, duplicates and a restart of the delivery")
    func exactlyOnce() async throws {
        let accepted = Mutex<[String: Int]>([:])
        let attempts = Mutex<[String: Int]>([:])
        let server = try await ReplayServer.start { request in
            guard let body = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any],
                  let hash = (body["hashFeedbacks"] as? [[String: Any]])?.first?["hashValue"] as? String else { return .status(400) }
            let attempt = attempts.withLock { $0[hash, default: 0] += 1; return $0[hash]! }
            // Every seventh hash fails twice before it is accepted.
            if Int(hash.suffix(4), radix: 16)! % 7 == 0, attempt <= 2 { return .status(503) }
            accepted.withLock { $0[hash, default: 0] += 1 }
            return .json("{}")
        }
        defer { Task { await server.stop() } }
        let outbox = MemoryFeedbackOutbox()
        let keys = (0..<1_000).map { FeedbackItem.Key(exchange: "stopncii", record: .init(signalType: .imagePDQ, signalValue: FixtureFiles.pdq($0)), outcome: .removed) }
        for key in keys { #expect(try await outbox.enqueue(key, now: Self.t0)) }
        for key in keys.prefix(100) { #expect(try await outbox.enqueue(key, now: Self.t0) == false) }
        let senders: [String: any FeedbackSender] = [
            "stopncii": StopNCIIFeedbackSender(baseURL: server.baseURL, feedbackFunctionKey: "f", subscriptionKey: "s"),
        ]
        // The first delivery stops after 400 items (as if the process ended); a new one over the same outbox goes on.
        _ = try await FeedbackDelivery(outbox: outbox, senders: senders, retryDelay: 1).deliverDue(now: Self.t0, limit: 400)
        var now = Self.t0
        for _ in 0..<6 {
            _ = try await FeedbackDelivery(outbox: outbox, senders: senders, retryDelay: 1).deliverDue(now: now)
            now = now.addingTimeInterval(10)
        }
        let items = try await outbox.items()
        #expect(items.count == 1_000)
        #expect(items.allSatisfy { if case .delivered = $0.state { true } else { false } })
        let counts = accepted.withLock { $0 }
        #expect(counts.count == 1_000 && counts.values.allSatisfy { $0 == 1 })
        // The retried ones show their tries to the operator.
        #expect(items.filter { $0.attempts == 3 }.count == keys.filter { Int($0.record.signalValue.suffix(4), radix: 16)! % 7 == 0 }.count)
    }

    @Test("Refused keys fail an item for good with its code; an exchange without a sender is a configuration failure")
    func permanentFailures() async throws {
        let server = try await ReplayServer.start { _ in .status(401) }
        defer { Task { await server.stop() } }
        let outbox = MemoryFeedbackOutbox()
        let record = ExchangeRecord.ID(signalType: .imagePDQ, signalValue: FixtureFiles.pdq(1))
        _ = try await outbox.enqueue(.init(exchange: "stopncii", record: record, outcome: .removed), now: Self.t0)
        _ = try await outbox.enqueue(.init(exchange: "unknown", record: record, outcome: .removed), now: Self.t0)
        let delivery = FeedbackDelivery(outbox: outbox, senders: ["stopncii": StopNCIIFeedbackSender(baseURL: server.baseURL, feedbackFunctionKey: "f", subscriptionKey: "s")])
        let report = try await delivery.deliverDue(now: Self.t0)
        #expect(report.failed == 2)
        #expect(try await outbox.items().map(\.state) == [.failed(.unauthorized), .failed(.misconfigured)])
        #expect(try await outbox.due(now: Self.t0.addingTimeInterval(86_400), limit: 10).isEmpty)
    }

    @Test("An item in doubt is settled from StopNCII's record: our feedback there is delivered unsent; absent, it is sent once the feed was read past the try, or after the bounded wait")
    func settlesInDoubt() async throws {
        // Records as StopNCII's FetchHashes returns them (pytx `exchanges/clients/stopncii/api.py`,
        // `StopNCIIHashRecord`, `CSPFeedbacks` with `source` and `feedbackValue`), read through our importer.
        let ours = "Example Platform"
        let hashes = (1...4).map { FixtureFiles.pdq($0) }
        let feedback: [[[String: Any]]] = [
            [["source": ours, "feedbackValue": "Blocked", "tags": [String]()]],          // ours, the value we send: held
            [["source": "Another Platform", "feedbackValue": "Blocked", "tags": [String]()]], // someone else's only
            [["source": ours, "feedbackValue": "NotBlocked", "tags": [String]()]],       // ours, another value
            [],
        ]
        let exchangeNow = Int64(Date().timeIntervalSince1970)
        let page: [String: Any] = [
            "count": 4, "hasMoreRecords": false, "nextSetTimestamp": exchangeNow,
            "hashRecords": zip(hashes, feedback).map { hash, feedback -> [String: Any] in
                ["lastModtimestamp": exchangeNow - 1, "signalType": "ImagePDQ", "hashValue": hash, "hashStatus": "Active",
                 "caseNumbers": [String: String](), "CSPFeedbacks": feedback]
            },
        ]
        let pageData = try JSONSerialization.data(withJSONObject: page)
        let server = try await ReplayServer.start { request in request.method == "GET" ? .data(pageData) : .json("{}") }
        defer { Task { await server.stop() } }
        let base = server.baseURL.appendingPathComponent("v1")
        let store = MemoryExchangeRecordStore()
        _ = try await ExchangeSync(exchange: "sncii", importer: StopNCIIImporter(baseURL: base, fetchFunctionKey: "f", subscriptionKey: "s"), store: store).run()
        #expect(try await store.record(.init(signalType: .imagePDQ, signalValue: hashes[0]), exchange: "sncii")?.feedback.first?.source == ours)

        // Four items whose process died during their request: three tried long before the feed was read, the
        // fourth just now (the feed may not show it yet).
        let outbox = MemoryFeedbackOutbox()
        let keys = hashes.map { FeedbackItem.Key(exchange: "sncii", record: .init(signalType: .imagePDQ, signalValue: $0), outcome: .removed) }
        // The clock of the delivery is the exchange's page time, not the wall clock: on a loaded machine the fetch
        // above may take longer than the 35 s answer window, which would move the tries relative to the feed.
        let now = Date(timeIntervalSince1970: TimeInterval(exchangeNow))
        for (index, key) in keys.enumerated() {
            #expect(try await outbox.enqueue(key, now: now.addingTimeInterval(-200)))
            let sentAt = index == 3 ? now.addingTimeInterval(-5) : now.addingTimeInterval(-100)
            #expect(try await outbox.markSending(key, attempts: 0, at: sentAt, recheckAt: sentAt))
        }
        let settings = ExchangeSettings(name: "sncii", kind: .stopNCII, bank: "b", intervalSeconds: 60, feedbackSource: "  example platform ")
        let sender = StopNCIIFeedbackSender(baseURL: base, feedbackFunctionKey: "fk", subscriptionKey: "s")
        let delivery = FeedbackDelivery(outbox: outbox, senders: ["sncii": sender], exchanges: ["sncii": settings], records: store)
        let report = try await delivery.deliverDue(now: now)
        #expect(report.settled == 1 && report.delivered == 3 && report.retrying == 1)
        var posted: [String] { server.requests.filter { $0.method == "POST" }.compactMap { request in
            ((try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any]).flatMap { ($0["hashFeedbacks"] as? [[String: Any]])?.first?["hashValue"] as? String }
        } }
        #expect(posted == [hashes[1], hashes[2]])
        var items = try await outbox.items()
        #expect(items.map(\.attempts) == [1, 2, 2, 1] && items.prefix(3).allSatisfy { $0.state == .delivered(at: now) && $0.inDoubtSince == nil })
        // The fourth waits for the feed (rechecked every 5 s), then, the feed not showing it within the window and
        // three intervals, is sent.
        #expect(items[3].inDoubtSince != nil && items[3].state == .pending(notBefore: now.addingTimeInterval(5)))
        _ = try await delivery.deliverDue(now: now.addingTimeInterval(5))
        #expect(posted.count == 2)
        _ = try await delivery.deliverDue(now: now.addingTimeInterval(-5 + 35 + 180))
        #expect(posted == [hashes[1], hashes[2], hashes[3]])
        items = try await outbox.items()
        #expect(items[3].inDoubtSince == nil && items[3].attempts == 2)

        // Without a feedback source the exchange's record cannot say: an item in doubt is sent again.
        let unsettled = MemoryFeedbackOutbox()
        #expect(try await unsettled.enqueue(keys[0], now: now))
        #expect(try await unsettled.markSending(keys[0], attempts: 0, at: now.addingTimeInterval(-100), recheckAt: now))
        var plain = settings
        plain.feedbackSource = nil
        _ = try await FeedbackDelivery(outbox: unsettled, senders: ["sncii": sender], exchanges: ["sncii": plain], records: store).deliverDue(now: now)
        #expect(posted.last == hashes[0] && posted.count == 4)
    }

    @Test("The settlement rule: our source and value settle; another source, another value or no source do not; the wait is bounded")
    func settlementRule() throws {
        let record = ExchangeRecord(id: .init(signalType: .imagePDQ, signalValue: FixtureFiles.pdq(1)), status: .active,
                                    feedback: [UpstreamFeedback(source: "Other", value: "Blocked", tags: []), UpstreamFeedback(source: "Ours", value: "NotBlocked", tags: [])])
        #expect(FeedbackSettlement.shows(record, source: "ours", outcome: .notViolating))
        #expect(!FeedbackSettlement.shows(record, source: "Ours", outcome: .removed))
        #expect(!FeedbackSettlement.shows(record, source: "Other platform", outcome: .removed))
        var item = FeedbackItem(key: .init(exchange: "s", record: record.id, outcome: .removed), now: Self.t0)
        let settings = ExchangeSettings(name: "s", kind: .stopNCII, bank: "b", intervalSeconds: 100, feedbackSource: "Ours")
        let rule = FeedbackSettlement()
        #expect(rule.decide(item, settings: settings, record: record, checkpoint: nil, now: Self.t0) == .send) // not in doubt
        item.inDoubtSince = Self.t0
        #expect(rule.decide(item, settings: settings, record: record, checkpoint: nil, now: Self.t0) == .wait(until: Self.t0.addingTimeInterval(5)))
        #expect(rule.decide(item, settings: settings, record: record, checkpoint: nil, now: Self.t0.addingTimeInterval(334)) == .wait(until: Self.t0.addingTimeInterval(335)))
        #expect(rule.decide(item, settings: settings, record: record, checkpoint: nil, now: Self.t0.addingTimeInterval(335)) == .send)
        var ncmec = settings
        ncmec.kind = .ncmec
        #expect(rule.decide(item, settings: ncmec, record: record, checkpoint: nil, now: Self.t0) == .send)
        var disabled = settings
        disabled.enabled = false
        #expect(rule.decide(item, settings: disabled, record: record, checkpoint: nil, now: Self.t0) == .send)
        item.key.outcome = .notViolating
        #expect(rule.decide(item, settings: settings, record: record, checkpoint: nil, now: Self.t0) == .delivered)
    }

    @Test("A request that times out leaves its item in doubt, not sent again; the exchange's record showing it settles it unsent")
    func timedOutTryIsSettled() async throws {
        let posts = Mutex(0)
        let server = try await ReplayServer.start { _ in
            // Taken, then answered far too late for the sender's 1 s deadline (which a loaded machine can stretch
            // to several seconds).
            posts.withLock { $0 += 1 }
            try? await Task.sleep(for: .seconds(120))
            return .json("{}")
        }
        defer { Task { await server.stop() } }
        let key = FeedbackItem.Key(exchange: "sncii", record: .init(signalType: .imagePDQ, signalValue: FixtureFiles.pdq(7)), outcome: .notViolating)
        let outbox = MemoryFeedbackOutbox()
        let store = MemoryExchangeRecordStore()
        #expect(try await outbox.enqueue(key, now: Self.t0))
        let sender = StopNCIIFeedbackSender(baseURL: server.baseURL, feedbackFunctionKey: "f", subscriptionKey: "s",
                                            http: ExchangeHTTPClient(exchangeName: "StopNCII", deadline: 1, maxResponseBytes: 1 << 20))
        let settings = ExchangeSettings(name: "sncii", kind: .stopNCII, bank: "b", feedbackSource: "Example Platform")
        let delivery = FeedbackDelivery(outbox: outbox, senders: ["sncii": sender], exchanges: ["sncii": settings], records: store)
        let item = try #require(try await outbox.due(now: Date(), limit: 1).first)
        #expect(try await delivery.attempt(item, with: sender) == .inDoubt(.timedOut))
        let inDoubt = try #require(try await outbox.items().first)
        #expect(inDoubt.inDoubtSince != nil && inDoubt.attempts == 1)
        #expect(try await outbox.due(now: Date(), limit: 1).isEmpty)
        // The next fetch brings the record with our feedback.
        var record = ExchangeRecord(id: key.record, status: .active)
        record.feedback = [UpstreamFeedback(source: "Example Platform", value: "NotBlocked", tags: [])]
        try await store.apply([.upsert(record)], checkpoint: try await ExchangeStoreContract.checkpoint(), exchange: "sncii")
        let report = try await delivery.deliverDue(now: Date().addingTimeInterval(36))
        // Settled unsent: no second POST. (The first may not have reached the replay at all when a loaded machine
        // stretched the 1 s deadline before the request was written; in doubt covers both.)
        #expect(report.settled == 1 && posts.withLock { $0 } <= 1)
        #expect(try await outbox.items().first.map { ($0.inDoubtSince, $0.attempts) } ?? (Date(), 0) == (nil, 1))
    }
}
