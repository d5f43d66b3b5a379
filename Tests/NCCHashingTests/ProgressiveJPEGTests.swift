import Foundation
import NCCHashing
import NCCTestSupport
import Testing

/// Progressive JPEGs in `fast` mode: at 1/8 scale the decoder reads only the scans the reduced picture uses (the
/// DC scans of luma) and, for luma output, decodes them without libjpeg's whole-picture coefficient memory. The
/// pixels must equal libjpeg's full decode of every scan at the same scale (`djpeg -scale 1/8 -grayscale`, block
/// smoothing on, as the decoder ran before), and the hashes must equal those of the same file sent through the
/// full decode. Truncated files stay `truncated`. See `Sources/CImageCodecs/jpeg_decode.c` and docs/formats.md.
///
/// The pictures are made here: a textured test card encoded by `cjpeg` (libjpeg-turbo) with its standard progression
/// and with scan scripts that refine DC late, keep DC scans apart, use restart intervals, or never finish some
/// coefficients (where libjpeg smooths blocks, so the decoder must take the full path).
@Suite(.needsTool("cjpeg"), .needsTool("djpeg"))
struct ProgressiveJPEGTests {
    struct Variant: Sendable, CustomTestStringConvertible {
        let name: String
        let width: Int
        let height: Int
        let cjpeg: [String]
        let scans: String?
        var testDescription: String { name }
    }

    /// The standard progression refines DC in scan 7 of 10; `late-dc` refines it in the last two scans.
    static let variants: [Variant] = [
        Variant(name: "standard progression 4:2:0", width: 2400, height: 2048, cjpeg: ["-progressive"], scans: nil),
        Variant(name: "4:4:4, restart every row, odd size", width: 2111, height: 2053,
            cjpeg: ["-progressive", "-sample", "1x1", "-restart", "1"], scans: nil),
        Variant(name: "4:2:2 with optimized tables", width: 2400, height: 2048, cjpeg: ["-progressive", "-sample", "2x1", "-optimize"], scans: nil),
        Variant(name: "grayscale", width: 2100, height: 2200, cjpeg: ["-progressive", "-grayscale"], scans: nil),
        Variant(name: "late DC refinement", width: 2400, height: 2048, cjpeg: [], scans: """
            0,1,2: 0 0 0 2; 0: 1 5 0 2; 2: 1 63 0 1; 1: 1 63 0 1; 0: 6 63 0 2; 0: 1 63 2 1;
            2: 1 63 1 0; 1: 1 63 1 0; 0: 1 63 1 0; 0,1,2: 0 0 2 1; 0,1,2: 0 0 1 0;
            """),
        Variant(name: "DC scans apart, three refinements, restarts", width: 2304, height: 2072, cjpeg: ["-restart", "2"], scans: """
            0: 0 0 0 3; 1: 0 0 0 0; 2: 0 0 0 0; 0: 1 63 0 0; 0: 0 0 3 2; 1: 1 63 0 0; 0: 0 0 2 1; 2: 1 63 0 0; 0: 0 0 1 0;
            """),
        Variant(name: "coefficients never final (smoothed: full decode)", width: 2400, height: 2048, cjpeg: [], scans: """
            0,1,2: 0 0 0 0; 0: 1 5 0 0; 0: 6 63 0 1; 1: 1 63 0 0; 2: 1 63 0 0;
            """),
    ]

    static let fast = HashingOptions(mode: .fast)

    @Test(arguments: variants)
    func theEarlyOutputEqualsTheFullDecode(_ variant: Variant) throws {
        let folder = try TemporaryDirectory(prefix: "nccmatch-progressive")
        defer { folder.remove() }
        let jpeg = try Self.encode(variant, in: folder)
        let decoded = try ImageDecoder.decode(jpeg, options: Self.fast.decodeOptions)
        #expect(decoded.width == (variant.width + 7) / 8 && decoded.height == (variant.height + 7) / 8, "fast mode decodes at 1/8")
        #expect(decoded.layout == .gray8)

        // libjpeg's own decode of every scan, at the same scale and settings.
        let reference = try Self.djpegGray(jpeg, in: folder)
        #expect(reference.width == decoded.width && reference.height == decoded.height)
        let same = decoded.pixels.withUnsafeBytes { Array($0.prefix(decoded.width * decoded.height)) == reference.pixels }
        #expect(same, "pixels differ from djpeg -scale 1/8 -grayscale")

        // The same file forced through the full decode (a DQT after the scans makes the scan plan give up).
        let early = try Self.fastHashes(jpeg)
        let full = try Self.fastHashes(try Self.withTableBeforeEnd(jpeg))
        #expect(early.pdq.hash == full.pdq.hash && early.phash == full.phash && early.dhash == full.dhash)
        #expect(early.pdq.dihedral == full.pdq.dihedral)
    }

    /// Cut anywhere after the header (in the last scan, just before the end marker, in a scan the reduced picture
    /// does not read), a progressive file is `truncated` in `fast` mode as in `exact` mode, as before.
    @Test func aTruncatedProgressiveFileStaysTruncated() throws {
        let folder = try TemporaryDirectory(prefix: "nccmatch-progressive")
        defer { folder.remove() }
        let jpeg = try Self.encode(Self.variants[0], in: folder)
        let sos = Self.scanStarts(jpeg)
        #expect(sos.count == 10, "the standard progression has 10 scans")
        let cuts = [
            jpeg.count - 2,                     // only the end marker missing
            jpeg.count - 300,                   // inside the last AC refinement scan
            (sos[3] + sos[4]) / 2,              // inside a chroma AC scan, which 1/8 luma never reads
            (sos[6] + sos[7]) / 2,              // inside the DC refinement scan
            sos[1] + 4,                         // inside the second scan's header
        ]
        for cut in cuts {
            let bytes = Array(jpeg.prefix(cut))
            for mode in [HashingMode.fast, .exact] {
                let error = #expect(throws: ImageDecodingError.self) {
                    _ = try ImageDecoder.decode(bytes, options: HashingOptions(mode: mode).decodeOptions)
                }
                #expect(error?.code == .truncated, "cut at \(cut) of \(jpeg.count), \(mode)")
            }
        }
    }

    /// Damage inside a scan the reduced picture never reads is not seen in `fast` mode: the hash is the intact
    /// file's, while `exact` mode, which decodes that scan, reports the damage (the one behaviour that changed).
    @Test func damageInASkippedScanLeavesTheFastHashAlone() throws {
        let folder = try TemporaryDirectory(prefix: "nccmatch-progressive")
        defer { folder.remove() }
        let jpeg = try Self.encode(Self.variants[0], in: folder)
        let sos = Self.scanStarts(jpeg)
        var damaged = jpeg
        let middle = (sos[9] + jpeg.count) / 2 // the last scan: luma AC refinement
        for i in stride(from: middle, to: middle + 400, by: 2) { damaged[i] = 0xFF; damaged[i + 1] = 0x00 } // all 1 bits
        let error = #expect(throws: ImageDecodingError.self) {
            _ = try ImageDecoder.decode(damaged, options: HashingOptions(mode: .exact).decodeOptions)
        }
        #expect(error?.code == .corruptData)
        #expect(try Self.fastHashes(damaged) == Self.fastHashes(jpeg))

        // Damage in the DC scan is seen by both modes.
        var damagedDC = jpeg
        let dcMiddle = (sos[0] + sos[1]) / 2
        for i in stride(from: dcMiddle, to: dcMiddle + 200, by: 2) { damagedDC[i] = 0xFF; damagedDC[i + 1] = 0x00 }
        for mode in [HashingMode.fast, .exact] {
            let dcError = #expect(throws: ImageDecodingError.self) {
                _ = try ImageDecoder.decode(damagedDC, options: HashingOptions(mode: mode).decodeOptions)
            }
            #expect(dcError?.code == .corruptData, "\(mode)")
        }
    }

    // MARK: - Helpers

    struct ToolFailure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    static func fastHashes(_ bytes: [UInt8]) throws -> ImageHashes {
        let result: Result<ImageHashes, ImageDecodingError> = bytes.withUnsafeBytes { raw in
            Result { () throws(ImageDecodingError) in try ImageHasher.hashImage(raw, options: fast) }
        }
        return try result.get()
    }

    /// A textured test card (gradients, rings and deterministic noise, so every AC band carries data) as a PPM.
    static func testCard(width: Int, height: Int) -> [UInt8] {
        var bytes = Array("P6\n\(width) \(height)\n255\n".utf8)
        bytes.reserveCapacity(bytes.count + width * height * 3)
        var rng = SplitMix64(seed: 0x7072_6F67)
        for y in 0..<height {
            for x in 0..<width {
                let dx = Double(x - width / 2), dy = Double(y - height / 3)
                let ring = 127.5 + 90 * sin((dx * dx + dy * dy).squareRoot() / 23)
                let noise = Double(rng.next() & 31) - 15.5
                let r = ring + noise, g = Double(x * 255 / width) + noise, b = Double(y * 255 / height) - noise
                bytes.append(UInt8(max(0, min(255, r))))
                bytes.append(UInt8(max(0, min(255, g))))
                bytes.append(UInt8(max(0, min(255, b))))
            }
        }
        return bytes
    }

    static func encode(_ variant: Variant, in folder: TemporaryDirectory) throws -> [UInt8] {
        let source = folder.url.appendingPathComponent("card.ppm")
        try Data(testCard(width: variant.width, height: variant.height)).write(to: source)
        var arguments = ["-quality", "90"] + variant.cjpeg
        if let scans = variant.scans {
            let script = folder.url.appendingPathComponent("scans.txt")
            try Data(scans.utf8).write(to: script)
            arguments += ["-scans", script.path]
        }
        return try run(TestRequirements.requireTool("cjpeg"), arguments + [source.path])
    }

    /// `djpeg -scale 1/8 -grayscale` of the file: libjpeg decoding every scan, block smoothing on.
    static func djpegGray(_ jpeg: [UInt8], in folder: TemporaryDirectory) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        let file = folder.url.appendingPathComponent("picture.jpg")
        try Data(jpeg).write(to: file)
        let pgm = try run(TestRequirements.requireTool("djpeg"), ["-scale", "1/8", "-grayscale", "-pnm", file.path])
        // "P5\n<w> <h>\n255\n" then the bytes.
        var fields: [Int] = [], at = 2, current = ""
        while fields.count < 3, at < pgm.count {
            let c = pgm[at]
            at += 1
            if c == 0x20 || c == 0x0A {
                if !current.isEmpty { fields.append(Int(current) ?? -1); current = "" }
            } else {
                current.append(Character(UnicodeScalar(c)))
            }
        }
        #expect(Array(pgm.prefix(2)) == Array("P5".utf8) && fields.count == 3)
        return (fields[0], fields[1], Array(pgm[at...]))
    }

    /// The file with its first quantization table repeated just before the end marker: the same picture, which the
    /// decoder sends through libjpeg's full decode (tables may not change after the first scan in the scan plan).
    static func withTableBeforeEnd(_ jpeg: [UInt8]) throws -> [UInt8] {
        var at = 2
        while at + 4 <= jpeg.count, jpeg[at] == 0xFF {
            let length = Int(jpeg[at + 2]) << 8 | Int(jpeg[at + 3])
            if jpeg[at + 1] == 0xDB {
                var copy = jpeg
                copy.insert(contentsOf: jpeg[at..<(at + 2 + length)], at: jpeg.count - 2)
                return copy
            }
            at += 2 + length
        }
        throw ToolFailure(message: "no DQT marker in the header")
    }

    /// Offsets of the SOS markers (found by their FF DA; entropy-coded data never holds FF followed by DA).
    static func scanStarts(_ jpeg: [UInt8]) -> [Int] {
        (0..<(jpeg.count - 1)).filter { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xDA }
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolFailure(message: "\(tool) \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)")
        }
        return Array(bytes)
    }
}
