import Foundation
import NCCExchange
import NCCTestSupport
import Testing

@Suite("Signal file importers")
struct SignalFileImporterTests {
    @Test("pytx local_file lines: pdq and video_md5 matched, other kinds kept, bad lines counted; pages resume by line")
    func localFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("signals.txt").path
        let lines = [
            "pdq \(FixtureFiles.pdq(1))",
            "video_md5 ABCDEFABCDEFABCDEFABCDEFABCDEF12",
            "photodna opaque-photodna-value",
            "pdq 1234",
            "just-one-field",
            "",
            "pdq \(FixtureFiles.pdq(2))",
        ]
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let store = MemoryExchangeRecordStore()
        let sync = ExchangeSync(exchange: "f", importer: SignalFileImporter(path: path, format: .localFile, pageLines: 3), store: store)
        let report = try await sync.run()
        #expect(report.pages == 3 && report.reachedEnd)
        #expect(report.rejections.counts == [.hashWrongLength: 1, .malformedLine: 1])
        let records = try await store.records(exchange: "f")
        #expect(Set(records.map(\.signalType)) == [.imagePDQ, .videoMD5, .other("photodna")])
        #expect(records.count == 4)
        // Read to its end: the same file gives nothing new; a changed file is read again from its start.
        let again = try await sync.run()
        #expect(again.upserted == 0)
        try (lines + ["pdq \(FixtureFiles.pdq(3))"]).joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try await sync.run()
        #expect(try await store.records(exchange: "f").count == 5)
    }

    @Test("Signal CSV as `threatexchange dataset -P --csv` writes it (signal_type, signal_str, collab, category, tags)")
    func csv() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("bank.csv").path
        let text = """
        signal_type,signal_str,collab,category,tags
        pdq,\(FixtureFiles.pdq(7)),Sample Data,POSITIVE_CLASS,"tag one tag,two"
        video_md5,"ABCDEFABCDEFABCDEFABCDEFABCDEF12",Sample Data,POSITIVE_CLASS,
        pdq,"unterminated
        pdq,\(FixtureFiles.pdq(8).prefix(32)),Sample Data,POSITIVE_CLASS,
        """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let store = MemoryExchangeRecordStore()
        let report = try await ExchangeSync(exchange: "c", importer: SignalFileImporter(path: path, format: .csv), store: store).run()
        #expect(report.rejections.counts == [.malformedLine: 1, .hashWrongLength: 1])
        #expect(Set(try await store.records(exchange: "c").map(\.signalValue)) == [FixtureFiles.pdq(7), "abcdefabcdefabcdefabcdefabcdef12"])
    }

    @Test("A missing file is a typed error, not a crash")
    func missingFile() async throws {
        await #expect(throws: ExchangeError(.fileUnreadable, "The signal file could not be read; check that it exists and is readable.")) {
            _ = try await SignalFileImporter(path: "/nonexistent/signals.txt", format: .localFile).fetchPage(after: nil)
        }
    }
}
