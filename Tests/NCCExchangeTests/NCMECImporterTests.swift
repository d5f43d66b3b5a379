import Foundation
import NCCExchange
import Testing

@Suite("NCMEC importer")
struct NCMECImporterTests {
    static func importer(_ server: ReplayServer) -> NCMECImporter {
        NCMECImporter(baseURL: server.baseURL.appendingPathComponent("hashsharing"), username: "fake_user", password: "fake_pass",
                      http: ExchangeHTTPClient(exchangeName: "NCMEC", deadline: 10, attempts: 3, retryDelay: 0.05), now: { 1_700_000_000 })
    }

    /// pytx's four chained sample pages (ncmec/tests/data.py), served by their `paging/next` paths.
    static func pytxPages() async throws -> ReplayServer {
        let pages = try (1...4).map { try FixtureFiles.text("ncmec/entries\($0).xml") }
        return try await ReplayServer.start { request in
            switch request.query["start"] {
            case "2001": .xml(pages[1])
            case "3001": .xml(pages[2])
            case "4001": .xml(pages[3])
            default: .xml(pages[0])
            }
        }
    }

    @Test("pytx's sample pages: Basic auth, from/to, paging by next, deleted entries, an entry updated, fingerprints by kind")
    func pytxSamplePages() async throws {
        let server = try await Self.pytxPages()
        defer { Task { await server.stop() } }
        let store = MemoryExchangeRecordStore()
        let report = try await ExchangeSync(exchange: "ncmec", importer: Self.importer(server), store: store).run()
        #expect(report.pages == 4 && report.reachedEnd && report.rejections.total == 0)

        let requests = server.requests
        #expect(requests.allSatisfy { $0.headers["authorization"] == "Basic " + Data("fake_user:fake_pass".utf8).base64EncodedString() })
        #expect(requests[0].path == "/hashsharing/v2/entries")
        #expect(requests[0].query == ["from": "1970-01-01T00:00:00Z", "to": "2023-11-14T22:13:15Z"])
        #expect(requests[1].path == "/hashsharing/v2/entries" && requests[1].query["start"] == "2001" && requests[1].query["max"] == "3000")

        let records = try await store.records(exchange: "ncmec")
        let byEntry = Dictionary(grouping: records) { $0.id.entry!.entryID }
        // image4 and video4 are deletion markers; willdelete was deleted on the last page.
        #expect(Set(byEntry.keys) == ["image1", "video1", "image10", "willupdate"])
        let image1 = try #require(byEntry["image1"])
        #expect(Set(image1.map(\.signalType)) == [.imageMD5, .sha1, .other("PDNA")])
        #expect(image1.allSatisfy { $0.id.entry == UpstreamEntry(memberID: 42, entryID: "image1") && $0.classification == "A1" })
        #expect(image1.first { $0.signalType == .imageMD5 }?.signalType.algorithm == .md5)
        #expect(image1.first { $0.signalType == .sha1 }?.signalType.algorithm == nil)
        #expect(byEntry["video1"]?.first { $0.signalType == .videoMD5 }?.signalValue == "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1")
        // willupdate came twice: its later version (classification A2) replaced the earlier.
        #expect(byEntry["willupdate"]?.map(\.classification) == ["A2"])
    }

    @Test("Fingerprints given as links are not stored; an empty answer is an empty page")
    func linksAndEmpty() async throws {
        let large = try FixtureFiles.text("ncmec/entries_large_fingerprints.xml")
        let empty = try FixtureFiles.text("ncmec/entries_no_data.xml")
        let server = try await ReplayServer.start { request in .xml(request.path.hasSuffix("entries") && request.query["from"] == "1970-01-01T00:00:00Z" ? large : empty) }
        defer { Task { await server.stop() } }
        let store = MemoryExchangeRecordStore()
        try await ExchangeSync(exchange: "n", importer: Self.importer(server), store: store).run()
        #expect(try await store.records(exchange: "n").map(\.signalType) == [.videoMD5])
    }

    @Test("A malformed entry or fingerprint is counted and skipped, the rest of the page kept; a non-XML answer fails the page whole")
    func malformedEntries() async throws {
        let page = """
        <?xml version="1.0" encoding="UTF-8"?>
        <queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
          <images count="4" maxTimestamp="2019-10-24T15:10:00Z">
            <image><member id="42">M</member><id>good</id><fingerprints><md5>a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1</md5><pdq>a1a1</pdq><a-fingerprint-kind-with-a-very-long-name>x</a-fingerprint-kind-with-a-very-long-name></fingerprints></image>
            <image><member id="42">M</member><fingerprints><md5>b1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1</md5></fingerprints></image>
            <image><member>M</member><id>nomember</id><fingerprints><md5>c1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1</md5></fingerprints></image>
            <image><member id="42">M</member><id>badhex</id><fingerprints><md5>zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz</md5></fingerprints></image>
          </images>
        </queryResult>
        """
        let server = try await ReplayServer.start { request in request.query["from"] == "1970-01-01T00:00:00Z" ? .xml(page) : .json("[1]") }
        defer { Task { await server.stop() } }
        let store = MemoryExchangeRecordStore()
        let report = try await ExchangeSync(exchange: "n", importer: Self.importer(server), store: store, maxPages: 1).run()
        #expect(report.rejections.counts == [.hashWrongLength: 1, .missingField: 1, .wrongType: 1, .hashNotHex: 1, .fieldTooLarge: 1])
        #expect(try await store.records(exchange: "n").map(\.signalValue) == ["a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"])

        // The next range answers JSON: the page is refused whole and the checkpoint stays.
        let before = try await store.checkpoint(exchange: "n")
        await #expect(throws: ExchangeError.self) { try await ExchangeSync(exchange: "n", importer: Self.importer(server), store: store).run() }
        #expect(try await store.checkpoint(exchange: "n") == before)
    }

    @Test("An answer declaring entities (an expansion bomb, an external file) is refused before parsing")
    func entityDeclarations() async throws {
        let lol = (1...9).map { #"<!ENTITY lol\#($0) "&lol\#($0 - 1);&lol\#($0 - 1);&lol\#($0 - 1);&lol\#($0 - 1);&lol\#($0 - 1);&lol\#($0 - 1);&lol\#($0 - 1);&lol\#($0 - 1);&lol\#($0 - 1);&lol\#($0 - 1);">"# }
        let bomb = #"<?xml version="1.0"?><!DOCTYPE queryResult [<!ENTITY lol0 "lol">"# + lol.joined() + #"<!ENTITY file SYSTEM "file:///etc/passwd">]>"#
            + #"<queryResult><images count="1"><image><member id="1">&lol9;</member><id>&file;</id></image></images></queryResult>"#
        let server = try await ReplayServer.start { _ in .xml(bomb) }
        defer { Task { await server.stop() } }
        let start = ContinuousClock.now
        do {
            _ = try await Self.importer(server).fetchPage(after: nil)
            Issue.record("expected the page to be refused")
        } catch {
            #expect(error.code == .malformedPage)
        }
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("Time ranges of at most maxRangeSeconds are read one after the other, each moving the checkpoint when done")
    func boundedRanges() async throws {
        let empty = try FixtureFiles.text("ncmec/entries_no_data.xml")
        let server = try await ReplayServer.start { _ in .xml(empty) }
        defer { Task { await server.stop() } }
        let importer = NCMECImporter(baseURL: server.baseURL, username: "u", password: "p", initialTimestamp: 1_699_800_000,
                                     maxRangeSeconds: 86_400, now: { 1_700_000_000 })
        let store = MemoryExchangeRecordStore()
        let report = try await ExchangeSync(exchange: "n", importer: importer, store: store).run()
        #expect(report.pages == 3 && report.reachedEnd)
        #expect(server.requests.map { $0.query["to"] ?? "" } == ["2023-11-13T14:40:00Z", "2023-11-14T14:40:00Z", "2023-11-14T22:13:15Z"])
        #expect(server.requests.dropFirst().map { $0.query["from"] ?? "" } == ["2023-11-13T14:40:00Z", "2023-11-14T14:40:00Z"])
    }
}
