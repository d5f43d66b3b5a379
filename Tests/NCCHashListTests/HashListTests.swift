import Foundation
import NCCHashList
import NCCHashing
import NCCTestSupport
import Testing

/// Hash lists read back: every form `nccmatch hash` writes, and every way a line can be wrong, each reported
/// with its line and a specific code while the other lines are kept.
@Suite("Hash list reader")
struct HashListTests {
    static let pdqA = String(repeating: "0123456789abcdef", count: 4)
    static let pdqB = String(repeating: "fedcba9876543210", count: 4)
    static let pdqC = String(repeating: "00ff", count: 16)
    static let pdqD = String(repeating: "a5", count: 32)

    func parse(_ text: String, _ algorithm: HashListAlgorithm = .pdq, role: HashList.Role = .bank) -> HashList {
        HashList.parse(Data(text.utf8), source: "list.jsonl", algorithm: algorithm, role: role)
    }

    func words(_ hex: String) -> [UInt64] { try! HexWords.decode(hex) }

    @Test func plainTextLinesWithHeaderCommentsAndIDs() {
        let list = parse("pdq,id\n# a comment\n\n\(Self.pdqA),first\n\"\(Self.pdqB)\"\t\"second one\"\n\(Self.pdqC)\n")
        #expect(list.problems.isEmpty, "\(list.problems)")
        #expect(list.ids == [.named("first"), .named("second one"), .line(6)])
        #expect(list.words == words(Self.pdqA) + words(Self.pdqB) + words(Self.pdqC))
    }

    @Test func malformedLinesAreSkippedWithTheirLineNumberAndCode() {
        let text = """
            \(Self.pdqA),ok
            \(Self.pdqA.dropLast()),short
            \(Self.pdqA.dropLast())g,not-hex
            {"pdq": "\(Self.pdqB)", "path": "a.jpg"
            {"phash":"0011223344556677"}
            {"pdq":12}
            {"path":"b.png","md5":"x","error":{"code":"unsupported_format","message":"m"}}
            {"pdq":"\(Self.pdqC)","pdq_quality":20}
            {"pdq":"\(Self.pdqD)","pdq_quality":80,"id":7}
            """
        let list = parse(text)
        #expect(list.ids == [.named("ok"), .named("7")])
        #expect(list.skippedLines == 7)
        let found = list.problems.map { [$0.line: $0.code] }
        let expected: [[Int: HashListProblem.Code]] = [
            [2: .invalidHash], [3: .invalidHash], [4: .malformedJSON], [5: .missingHash], [6: .wrongType], [7: .unhashedRecord], [8: .lowQuality],
        ]
        #expect(found == expected)
        #expect(list.problems[0].message.contains("63"), "says how many characters it has: \(list.problems[0].message)")
        #expect(list.problems[1].message.contains("character 64"), "\(list.problems[1].message)")
        let report = list.problemReport()
        #expect(report.contains("list.jsonl:2: ") && report.contains("list.jsonl:8: "), "\(report)")
        #expect(!report.contains(Self.pdqB) && !report.contains(Self.pdqC), "no hash of the file is repeated in a message")
    }

    @Test func aLowQualityPDQIsKeptAsAQuery() {
        let list = parse("{\"pdq\":\"\(Self.pdqC)\",\"pdq_quality\":20}\n", role: .queries(dihedral: false))
        #expect(list.count == 1 && list.problems.isEmpty)
    }

    @Test func problemsListedAreBoundedButCounted() {
        let text = (0..<(HashList.maxReportedProblems + 5)).map { _ in "nothex" }.joined(separator: "\n")
        let list = parse("\(Self.pdqA)\n" + text)
        #expect(list.problems.count == HashList.maxReportedProblems)
        #expect(list.skippedLines == HashList.maxReportedProblems + 5)
        #expect(list.problemReport().contains("(and 5 more malformed line(s) in list.jsonl)"))
    }

    /// A screenshot's line sends its photo region and that region with the corner painted over (a chat's time
    /// stamp), after the whole picture's hashes, through the fast scanner and through JSONDecoder alike.
    @Test func aScreenshotsPhotoRegionIsSentWithItsCornerMasked() throws {
        let pdq = try PDQHash(hex: Self.pdqA), region = try PDQHash(hex: Self.pdqB), corner = try PDQHash(hex: Self.pdqC)
        let line = """
            {"path":"chat.jpg","pdq":"\(pdq.hex)","pdq_quality":90,"phash":"00000000000000ff","dhash":"ff00000000000000",\
            "pdq_photo_region":"\(region.hex)","pdq_photo_region_corner_masked":"\(corner.hex)"}
            """
        var picture = PDQCompanions(pdq: pdq, photoRegion: region)
        picture.photoRegionCornerMasked = corner
        let expected = MatchingPolicy.standard.queryPDQ(picture, dihedral: false)
        #expect(expected == [pdq, region, corner])
        for text in [line, line.replacingOccurrences(of: "\":", with: "\" : ")] {
            let list = parse(text + "\n", role: .queries(dihedral: false))
            #expect(list.problems.isEmpty, "\(list.problems)")
            let codes = try #require(list.queryCodes.first)
            #expect(codes.pdq == expected.flatMap { [$0.words.0, $0.words.1, $0.words.2, $0.words.3] }, "\(text)")
        }
    }

    /// A JSON line of `nccmatch hash --match-variants` sends what `MatchingPolicy.queryPDQ` says, in its order.
    @Test(arguments: [false, true]) func queryCodesFollowTheMatchingPolicy(dihedral: Bool) throws {
        let pdq = try PDQHash(hex: Self.pdqA), stripped = try PDQHash(hex: Self.pdqB)
        let top = try PDQHash(hex: Self.pdqC), bottom = try PDQHash(hex: Self.pdqD)
        let variants = (0..<8).map { PDQHash(words: (UInt64($0), 1, 2, 3)) }
        let strippedVariants = (0..<8).map { PDQHash(words: (UInt64($0), 9, 9, 9)) }
        let line = """
            {"path":"x.jpg","pdq":"\(pdq.hex)","pdq_quality":90,"pdq_dihedral":[\(([pdq] + variants.dropFirst()).map { "\"\($0.hex)\"" }.joined(separator: ","))],\
            "phash":"00000000000000ff","dhash":"ff00000000000000",\
            "unletterboxed":{"pdq":"\(stripped.hex)","pdq_quality":80,"pdq_dihedral":[\(([stripped] + strippedVariants.dropFirst()).map { "\"\($0.hex)\"" }.joined(separator: ","))],"phash":"0000000000000000","dhash":"0000000000000000","width":3,"height":4},\
            "pdq_caption_masked":{"top":"\(top.hex)","top_quality":70,"bottom":"\(bottom.hex)","bottom_quality":71},\
            "pdq_low_passed":"\(top.hex)","pdq_low_passed_quality":60,\
            "pdq_center_crops":[{"aspect":"1:1","pdq":"\(bottom.hex)","quality":50}]}
            """
        let picture = PDQCompanions(pdq: pdq, dihedral: [pdq] + variants.dropFirst(), unletterboxed: stripped,
                                    unletterboxedDihedral: [stripped] + strippedVariants.dropFirst(), captionMasked: [top, bottom], lowPassed: top,
                                    centerCrops: [bottom])
        let expected = MatchingPolicy.standard.queryPDQ(picture, dihedral: dihedral)
        let list = parse(line + "\n", role: .queries(dihedral: dihedral))
        #expect(list.problems.isEmpty, "\(list.problems)")
        let codes = try #require(list.queryCodes.first)
        #expect(codes.pdq == expected.flatMap { [$0.words.0, $0.words.1, $0.words.2, $0.words.3] })
        #expect(codes.pdq.count == (dihedral ? 19 : 5) * 4, "plain, 7 variants, unletterboxed, its 7 variants, 2 caption masks, low-passed")
        #expect(codes.phash == 0xff && codes.dhash == 0xff00_0000_0000_0000)
        #expect(list.ids == [.named("x.jpg")])

        // The same line with spaces between its tokens goes through JSONDecoder and reads the same.
        let spaced = line.replacingOccurrences(of: "\":", with: "\" : ").replacingOccurrences(of: ",\"", with: ", \"")
        let again = parse(spaced + "\n", role: .queries(dihedral: dihedral))
        #expect(again.problems.isEmpty, "\(again.problems)")
        #expect(again.queryCodes == list.queryCodes && again.ids == list.ids)
    }

    /// A variant list written by hand without the identity first still sends every variant it names.
    @Test func aDihedralListWithoutTheIdentityKeepsEveryVariant() {
        let list = parse("{\"pdq\":\"\(Self.pdqA)\",\"pdq_dihedral\":[\"\(Self.pdqB)\"]}\n", role: .queries(dihedral: true))
        #expect(list.queryCodes.first?.pdq == words(Self.pdqA) + words(Self.pdqB))
    }

    @Test func escapedStringsAndNumericIDsReadThroughJSONDecoder() {
        let list = parse("{\"id\":42,\"pdq\":\"\(Self.pdqA)\"}\n{\"path\":\"dir\\/caf\\u00e9 \\\"1\\\".jpg\",\"pdq\":\"\(Self.pdqB)\"}\n")
        #expect(list.problems.isEmpty, "\(list.problems)")
        #expect(list.ids == [.named("42"), .named("dir/café \"1\".jpg")])
    }

    @Test func pHashAndDHashListsReadOneWord() {
        let list = parse("{\"phash\":\"0011223344556677\",\"dhash\":\"8899aabbccddeeff\",\"pdq\":\"\(Self.pdqA)\"}\n", .dhash)
        #expect(list.words == [0x8899_aabb_ccdd_eeff])
        let text = parse("0011223344556677 a\n", .phash, role: .queries(dihedral: false))
        #expect(text.queryCodes == [QueryCodes(phash: 0x0011_2233_4455_6677)])
    }

    /// The CSV of `nccmatch hash --format csv`, with quoted paths and the companion columns.
    @Test func hashCSVWithCompanionColumns() throws {
        let header = "path,md5,sha256,pdq,pdq_quality,pdq_dihedral,phash,dhash,width,height,format,error_code,error_message,"
            + "pdq_pixel_dihedral,unletterboxed_pdq,unletterboxed_pdq_quality,unletterboxed_pdq_dihedral,unletterboxed_phash,unletterboxed_dhash,"
            + "unletterboxed_width,unletterboxed_height,pdq_caption_masked_top,pdq_caption_masked_top_quality,"
            + "pdq_caption_masked_bottom,pdq_caption_masked_bottom_quality,pdq_low_passed,pdq_low_passed_quality,pdq_center_crops"
        let good = "\"a, \"\"b\"\"\nc.jpg\",m,s,\(Self.pdqA),90,\(Self.pdqA) \(Self.pdqB),0000000000000001,0000000000000002,10,10,jpeg,,,"
            + ",\(Self.pdqB),80,,,,9,9,\(Self.pdqC),70,\(Self.pdqD),70,\(Self.pdqC),60,"
        let failed = "d.bmp,m,s,,,,,,,,,unsupported_format,not a picture," + String(repeating: ",", count: 14)
        let short = "e.jpg,m,s,\(Self.pdqA)"
        let bad = "f.jpg,m,s,\(Self.pdqA),90,,zz00000000000001,0000000000000002,10,10,jpeg,,," + String(repeating: ",", count: 14)
        let csv = [header, good, failed, short, bad].joined(separator: "\n") + "\n"
        let list = HashList.parse(Data(csv.utf8), source: "h.csv", algorithm: .pdq, role: .queries(dihedral: false))
        #expect(list.ids == [.named("a, \"b\"\nc.jpg")])
        let expected = [Self.pdqA, Self.pdqB, Self.pdqC, Self.pdqD, Self.pdqC].flatMap(words)
        #expect(list.queryCodes == [QueryCodes(pdq: expected, pdqKinds: ["pdq", "unletterboxed", "caption-masked-top", "caption-masked-bottom", "low-passed"], phash: 1, dhash: 2)],
                "each code with its kind, which the bank uses to decide what it is compared with")
        #expect(list.problems.map(\.code) == [.unhashedRecord, .wrongFieldCount, .invalidHash])
        #expect(list.problems.map(\.line) == [4, 5, 6], "a record starts on the line after the quoted line break")
        #expect(list.problems[2].message.contains("\"phash\""), "\(list.problems[2].message)")
    }

    @Test func anUnreadableFileIsAnError() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let error = try #require(throws: HashListError.self) {
            try HashList.read(path: dir.url.appendingPathComponent("missing.txt").path, algorithm: .pdq, role: .bank)
        }
        #expect(error.code == .unreadable)
        #expect(error.message.contains("check the path"))
    }
}

/// Hex for expected values, through the project's codec.
enum HexWords {
    static func decode(_ hex: String) throws -> [UInt64] {
        if hex.count == 16 { return [try Hash64(hex: hex).value] }
        let h = try PDQHash(hex: hex)
        return [h.words.0, h.words.1, h.words.2, h.words.3]
    }
}
