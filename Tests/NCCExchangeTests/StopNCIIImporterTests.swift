import Foundation
import NCCExchange
import NCCHashing
import Testing

@Suite("StopNCII importer")
struct StopNCIIImporterTests {
    static func importer(_ server: ReplayServer, now: Int64 = 1_700_000_000) -> StopNCIIImporter {
        StopNCIIImporter(baseURL: server.baseURL.appendingPathComponent("v1"), fetchFunctionKey: "fetch-key", subscriptionKey: "sub-key",
                         http: ExchangeHTTPClient(exchangeName: "StopNCII", deadline: 10, attempts: 3, retryDelay: 0.05), now: { now })
    }

    @Test("pytx's two sample pages: headers, paging by nextPageToken, records, statuses, case numbers, feedback")
    func pytxSamplePages() async throws {
        let page1 = try FixtureFiles.text("stopncii/fetch_page1.json")
        let page2 = try FixtureFiles.text("stopncii/fetch_page2.json")
        let server = try await ReplayServer.start { request in
            request.query["nextPageToken"] == FixtureFiles.stopNCIIPageToken ? .json(page2) : .json(page1)
        }
        defer { Task { await server.stop() } }
        let store = MemoryExchangeRecordStore()
        let report = try await ExchangeSync(exchange: "stopncii", importer: Self.importer(server), store: store).run()
        #expect(report.pages == 2 && report.reachedEnd && report.upserted == 3 && report.rejections.total == 0)

        let requests = server.requests
        #expect(requests.count == 2)
        #expect(requests.allSatisfy { $0.method == "GET" && $0.path == "/v1/FetchHashes" })
        #expect(requests.allSatisfy { $0.headers["x-functions-key"] == "fetch-key" && $0.headers["ocp-apim-subscription-key"] == "sub-key" })
        #expect(requests[0].query == ["startTimestamp": "10", "pageSize": "800"])
        #expect(requests[1].query["nextPageToken"] == FixtureFiles.stopNCIIPageToken && requests[1].query["startTimestamp"] == "10")

        let records = try await store.records(exchange: "stopncii")
        let byHash = Dictionary(uniqueKeysWithValues: records.map { ($0.signalValue, $0) })
        let first = try #require(byHash["2afc4a5c09628a7961c14d436493bba66b89b831453baa1d556ba385554daa82"])
        #expect(first.signalType == .imagePDQ && first.signalType.algorithm == .pdq)
        #expect(first.status == .received && first.caseNumbers.count == 4 && first.lastModified == 1_625_167_804 && first.feedback.isEmpty)
        let third = try #require(byHash["9def0b7dafa86a1c90f2abd78e79ceb25ec3d1a4b3d4bc7a4354baf7717ea038"])
        #expect(third.status == .active && third.caseNumbers == ["cc592711-7068-442f-b5d2-24d50d389751": .active])
        #expect(third.feedback == [UpstreamFeedback(source: "Facebook", value: "Blocked", tags: ["Nude", "Objectionable"])])
        // Every hash is usable by nccmatch's own PDQ type.
        for record in records { _ = try PDQHash(hex: record.signalValue) }

        // The run finished: the next run starts at the last page's nextSetTimestamp, without a token.
        _ = try await ExchangeSync(exchange: "stopncii", importer: Self.importer(server), store: store).run()
        #expect(server.requests[2].query == ["startTimestamp": "1625167824", "pageSize": "800"])
    }

    @Test("pytx's undefined-enum sample: unknown feedback values keep the hash (pytx drops the record); the later record of a hash wins")
    func undefinedFeedbackValues() async throws {
        let page = try FixtureFiles.text("stopncii/fetch_undefined_enum.json")
        let server = try await ReplayServer.start { _ in .json(page) }
        defer { Task { await server.stop() } }
        let store = MemoryExchangeRecordStore()
        let report = try await ExchangeSync(exchange: "s", importer: Self.importer(server), store: store).run()
        #expect(report.upserted == 3 && report.rejections.total == 0)
        let records = try await store.records(exchange: "s").sorted { $0.signalValue < $1.signalValue }
        #expect(records.count == 2)
        #expect(records[0].signalValue.hasPrefix("95d087d0") && records[0].feedback.map(\.value) == ["Undefined", "Undefined"])
        #expect(records[1].signalValue.hasPrefix("9def0b7d") && records[1].feedback.map(\.value) == ["RandomFeedbackValue"])
    }

    @Test("Withdrawn and Deleted hashStatus remove the hash at once (pytx's adapter tests hashValue and never removes)")
    func withdrawalAndDeletion() async throws {
        let (a, b, c) = (FixtureFiles.pdq(1), FixtureFiles.pdq(2), FixtureFiles.pdq(3))
        let pages = [
            FixtureFiles.stopNCIIPage([FixtureFiles.stopNCIIRecord(a), FixtureFiles.stopNCIIRecord(b), FixtureFiles.stopNCIIRecord(c)], token: "t1", more: true),
            FixtureFiles.stopNCIIPage([FixtureFiles.stopNCIIRecord(a, status: "Withdrawn"), FixtureFiles.stopNCIIRecord(b, status: "Deleted")], token: nil, more: false),
        ]
        let server = try await ReplayServer.start { request in .json(request.query["nextPageToken"] == "t1" ? pages[1] : pages[0]) }
        defer { Task { await server.stop() } }
        let store = MemoryExchangeRecordStore()
        let report = try await ExchangeSync(exchange: "s", importer: Self.importer(server), store: store).run()
        #expect(report.removed == 2)
        #expect(try await store.records(exchange: "s").map(\.signalValue) == [c])
    }

    @Test("800 records a page over 10 pages, with duplicates replayed and a withdrawal: each hash once, latest wins")
    func pagedFeed() async throws {
        let pageCount = 10
        var pages: [String] = []
        for page in 0..<pageCount {
            var records = (0..<800).map { FixtureFiles.stopNCIIRecord(FixtureFiles.pdq(page * 800 + $0), modified: 1_700_000_000 + page) }
            if page > 0 {
                // The previous page's first 50 records again (a replay, now modified later) in place of this page's
                // last 50, and one of the previous page's records withdrawn.
                records.replaceSubrange(750..<800, with: ((page - 1) * 800..<(page - 1) * 800 + 50).map { FixtureFiles.stopNCIIRecord(FixtureFiles.pdq($0), modified: 1_700_000_000 + page) })
                records.append(FixtureFiles.stopNCIIRecord(FixtureFiles.pdq((page - 1) * 800 + 100), status: "Withdrawn"))
            }
            pages.append(FixtureFiles.stopNCIIPage(records, token: page + 1 < pageCount ? "p\(page + 1)" : nil, more: page + 1 < pageCount))
        }
        let feed = pages
        let server = try await ReplayServer.start { request in
            let index = request.query["nextPageToken"].flatMap { Int($0.dropFirst()) } ?? 0
            return .json(feed[index])
        }
        defer { Task { await server.stop() } }
        let store = MemoryExchangeRecordStore()
        let report = try await ExchangeSync(exchange: "s", importer: Self.importer(server), store: store).run()
        #expect(report.pages == pageCount && report.reachedEnd)
        let records = try await store.records(exchange: "s")
        let hashes = Set(records.map(\.signalValue))
        #expect(hashes.count == records.count)
        // Pages 1...9 each replayed 50 of the previous page's records (so 50 fewer new ones) and withdrew one.
        let expected = pageCount * 800 - (pageCount - 1) * 50 - (pageCount - 1)
        #expect(records.count == expected)
        #expect(!hashes.contains(FixtureFiles.pdq(100)) && hashes.contains(FixtureFiles.pdq(101)))
        let replayed = try #require(records.first { $0.signalValue == FixtureFiles.pdq(800) })
        #expect(replayed.lastModified == 1_700_000_002)
    }

    @Test("Malformed records are counted by reason and skipped, never their values; 10,000 good ones around them are imported")
    func malformedRecords() async throws {
        var records = (0..<10_000).map { FixtureFiles.stopNCIIRecord(FixtureFiles.pdq($0)) }
        let secretPrefix = "deadbeefcafe"
        records.insert(FixtureFiles.stopNCIIRecord(secretPrefix + String(repeating: "0", count: 20)), at: 5_000) // a 32-character PDQ
        records.append(FixtureFiles.stopNCIIRecord(secretPrefix + String(repeating: "z", count: 52)))          // not hex
        records.append(FixtureFiles.stopNCIIRecord(FixtureFiles.pdq(20_001), status: "Pending"))               // unknown status
        records.append(#"{"lastModtimestamp":1,"hashStatus":"Active","signalType":"ImagePDQ"}"#)              // no hashValue
        records.append(#"{"hashValue":"\#(FixtureFiles.pdq(20_002))","hashStatus":"Active","signalType":"ImageSHA9"}"#)
        records.append(#"{"hashValue":17,"hashStatus":"Active","signalType":"ImagePDQ"}"#)
        records.append(#""not a record""#)
        let page = FixtureFiles.stopNCIIPage(records, token: nil, more: false)
        let server = try await ReplayServer.start { _ in .json(page) }
        defer { Task { await server.stop() } }
        let store = MemoryExchangeRecordStore()
        let report = try await ExchangeSync(exchange: "s", importer: Self.importer(server), store: store).run()
        #expect(try await store.records(exchange: "s").count == 10_000)
        #expect(report.rejections.counts == [.hashWrongLength: 1, .hashNotHex: 1, .unknownStatus: 1, .missingField: 1,
                                             .unknownSignalType: 1, .wrongType: 2])
        #expect(!"\(report)".contains(secretPrefix))
    }

    @Test("VideoMD5 maps to MD5, VideoTMK is stored but unused")
    func videoSignals() async throws {
        let md5 = "ABCDEFABCDEFABCDEFABCDEFABCDEF12"
        let page = FixtureFiles.stopNCIIPage([FixtureFiles.stopNCIIRecord(md5, type: "VideoMD5"),
                                             FixtureFiles.stopNCIIRecord("tmk-opaque-base64+/=", type: "VideoTMK")], token: nil, more: false)
        let server = try await ReplayServer.start { _ in .json(page) }
        defer { Task { await server.stop() } }
        let store = MemoryExchangeRecordStore()
        try await ExchangeSync(exchange: "s", importer: Self.importer(server), store: store).run()
        let records = try await store.records(exchange: "s")
        let video = try #require(records.first { $0.signalType == .videoMD5 })
        #expect(video.signalValue == md5.lowercased() && video.signalType.algorithm == .md5)
        #expect(records.contains { $0.signalType == .videoTMK && $0.signalType.algorithm == nil })
    }
}
