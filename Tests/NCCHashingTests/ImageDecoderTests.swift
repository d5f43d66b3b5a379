import Crypto
import Foundation
import NCCHashing
import NCCTestSupport
import Testing

/// One line of Tests/Fixtures/decoded-pixels.jsonl (written by Scripts/reference/make_image_fixtures.py).
struct DecodedPixelsRecord: Decodable, Sendable, CustomTestStringConvertible {
    let file: String
    let width: Int?
    let height: Int?
    let rgb_sha256: String?
    let rgb_sha256_no_exif: String?
    let upright_sha256: String?
    let error: String?
    var testDescription: String { file }

    static let all: [DecodedPixelsRecord] = {
        let url = TestPaths.fixtures.appendingPathComponent("decoded-pixels.jsonl")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(DecodedPixelsRecord.self, from: Data($0.utf8)) }
    }()
    static var valid: [DecodedPixelsRecord] { all.filter { $0.error == nil } }
    static var malformed: [DecodedPixelsRecord] { all.filter { $0.error != nil } }

    var bytes: [UInt8] {
        get throws { try [UInt8](Data(contentsOf: TestPaths.fixtures.appendingPathComponent(file))) }
    }
}

/// A `shared_file` line of decoded-pixels.jsonl: Pillow's pixel hash for an image in ../shared.
struct SharedPixelsRecord: Decodable, Sendable {
    let shared_file: String
    let width: Int
    let height: Int
    let rgb_sha256: String

    static let all: [SharedPixelsRecord] = {
        let url = TestPaths.fixtures.appendingPathComponent("decoded-pixels.jsonl")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(SharedPixelsRecord.self, from: Data($0.utf8)) }
    }()
}

func sha256Hex(_ image: DecodedImage) -> String {
    image.pixels.withUnsafeBytes { raw in
        let used = UnsafeRawBufferPointer(rebasing: raw[0..<(image.width * image.height * image.layout.bytesPerPixel)])
        return SHA256.hash(data: used).map { String(format: "%02x", $0) }.joined()
    }
}

@Suite struct ImageDecoderTests {
    @Test func fixtureListIsPresent() {
        #expect(DecodedPixelsRecord.valid.count >= 50)
        #expect(DecodedPixelsRecord.malformed.count >= 15)
    }

    @Test("Decoded RGB equals Pillow's exif_transpose(img).convert(\"RGB\")", arguments: DecodedPixelsRecord.valid)
    func pixelsEqualPillow(_ record: DecodedPixelsRecord) throws {
        let image = try ImageDecoder.decode(try record.bytes)
        #expect(image.layout == .rgb8)
        #expect(image.width == record.width)
        #expect(image.height == record.height)
        #expect(image.fullWidth == record.width)
        #expect(image.fullHeight == record.height)
        #expect(image.pixels.count == image.width * image.height * 3)
        #expect(sha256Hex(image) == record.rgb_sha256)
    }

    @Test("Without orientation the stored pixels are returned", arguments: DecodedPixelsRecord.valid.filter { $0.file.contains("orientation/") })
    func orientationOff(_ record: DecodedPixelsRecord) throws {
        let image = try ImageDecoder.decode(try record.bytes, options: .init(applyEXIFOrientation: false))
        #expect(sha256Hex(image) == record.rgb_sha256_no_exif)
    }

    @Test func allPNGOrientationsDecodeToTheSameUprightPixels() throws {
        // 8 eXIf variants, plus XMP-only (8) and ImageMagick "Raw profile type exif" (3).
        let records = DecodedPixelsRecord.valid.filter { $0.file.contains("orientation/") && $0.file.hasSuffix(".png") }
        #expect(records.count == 10)
        for record in records {
            let image = try ImageDecoder.decode(try record.bytes)
            #expect(image.width == 40 && image.height == 24, "\(record.file)")
            #expect(sha256Hex(image) == record.upright_sha256, "\(record.file)")
        }
    }

    @Test func jpegOrientationsAreUprightAndCloseToTheOriginal() throws {
        let reference = try ImageDecoder.decode(try fixture("images/orientation/exif-1.jpg"))
        // 8 EXIF variants, big-endian EXIF, XMP-only, and EXIF 1 beside XMP 6 (EXIF wins, as in Pillow).
        let records = DecodedPixelsRecord.valid.filter { $0.file.contains("orientation/") && $0.file.hasSuffix(".jpg") }
        #expect(records.count == 11)
        for record in records {
            let image = try ImageDecoder.decode(try record.bytes)
            #expect(image.width == 40 && image.height == 24, "\(record.file)")
            // JPEG re-compression of the rotated picture changes pixels slightly; content must line up.
            let meanDifference = reference.pixels.withUnsafeBytes { a in
                image.pixels.withUnsafeBytes { b in
                    zip(a, b).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) } / a.count
                }
            }
            #expect(meanDifference < 6, "\(record.file): mean difference \(meanDifference)")
        }
    }

    @Test func dctScalingPicksTheStrongestReductionKeepingTheShortSide() throws {
        let bytes = try fixture("images/jpeg/large-800x600.jpg")
        let cases: [(Int?, Int, Int)] = [(nil, 800, 600), (600, 800, 600), (599, 800, 600), (300, 400, 300), (256, 400, 300),
                                         (150, 200, 150), (100, 200, 150), (75, 100, 75), (64, 100, 75), (1, 100, 75)]
        for (short, width, height) in cases {
            let image = try ImageDecoder.decode(bytes, options: .init(minimumShortSide: short))
            #expect(image.width == width && image.height == height, "minimumShortSide \(String(describing: short))")
            #expect(image.fullWidth == 800 && image.fullHeight == 600)
        }
        // PNG is always full resolution.
        let png = try ImageDecoder.decode(try fixture("images/png/rgb8.png"), options: .init(minimumShortSide: 8))
        #expect(png.width == 61 && png.height == 43)
    }

    @Test func scalingAndOrientationCombine() throws {
        let image = try ImageDecoder.decode(try fixture("images/orientation/exif-6.jpg"), options: .init(minimumShortSide: 3))
        #expect(image.width == 5 && image.height == 3)  // 24x40 stored, 1/8 -> 3x5, rotated upright -> 5x3
        #expect(image.fullWidth == 40 && image.fullHeight == 24)
    }

    @Test func preferLumaGivesGray8ForYCbCrAndGrayscale() throws {
        for file in ["images/jpeg/baseline-420.jpg", "images/jpeg/grayscale.jpg", "images/png/gray8.png", "images/png/gray16.png"] {
            let image = try ImageDecoder.decode(try fixture(file), options: .init(preferLuma: true))
            #expect(image.layout == .gray8, "\(file)")
            #expect(image.pixels.count == image.width * image.height, "\(file)")
        }
        for file in ["images/jpeg/cmyk-adobe.jpg", "images/png/rgb8.png", "images/png/palette4.png"] {
            let image = try ImageDecoder.decode(try fixture(file), options: .init(preferLuma: true))
            #expect(image.layout == .rgb8, "\(file)")
        }
    }

    @Test func grayscaleLumaEqualsTheRGBChannels() throws {
        let bytes = try fixture("images/jpeg/grayscale.jpg")
        let gray = try ImageDecoder.decode(bytes, options: .init(preferLuma: true))
        let rgb = try ImageDecoder.decode(bytes)
        let same = gray.pixels.withUnsafeBytes { g in
            rgb.pixels.withUnsafeBytes { c in (0..<g.count).allSatisfy { g[$0] == c[3 * $0] && g[$0] == c[3 * $0 + 2] } }
        }
        #expect(same)
    }

    @Test func fastDCTStaysClose() throws {
        let bytes = try fixture("images/jpeg/baseline-420.jpg")
        let exact = try ImageDecoder.decode(bytes)
        let fast = try ImageDecoder.decode(bytes, options: .init(fastDCT: true))
        #expect(fast.width == exact.width && fast.height == exact.height)
        let meanDifference = exact.pixels.withUnsafeBytes { a in
            fast.pixels.withUnsafeBytes { b in zip(a, b).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) } / a.count }
        }
        #expect(meanDifference < 4)
    }

    @Test func formatDetectionNamesWhatItFinds() {
        func detect(_ bytes: [UInt8]) -> DetectedFormat { bytes.withUnsafeBytes { ImageDecoder.detectFormat($0) } }
        #expect(detect([]) == .unsupported(name: "empty file"))
        #expect(detect([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(detect([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) == .png)
        #expect(detect(Array("GIF89a....".utf8)) == .gif)
        #expect(detect(Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8)) == .webp)
        #expect(detect(Array("II*\u{0}\u{8}\u{0}\u{0}\u{0}".utf8)) == .unsupported(name: "TIFF"))
        #expect(detect(Array("MM\u{0}*\u{0}\u{0}\u{0}\u{8}".utf8)) == .unsupported(name: "TIFF"))
        #expect(detect(Array("%PDF-1.7".utf8)) == .unsupported(name: "PDF"))
        #expect(detect([0, 0, 0, 0x14] + Array("ftypavif".utf8) + [0, 0, 0, 0] + Array("avifmif1".utf8)) == .avif)
        #expect(detect([0, 0, 0, 0x14] + Array("ftypheic".utf8) + [0, 0, 0, 0] + Array("mif1heic".utf8)) == .heic)
        #expect(detect([0, 0, 0, 0x14] + Array("ftypqt  ".utf8) + [0, 0, 0, 0] + Array("qt  ".utf8)) == .unsupported(name: "MOV video"))
        #expect(detect([0, 0, 0, 0x14] + Array("ftypisom".utf8) + [0, 0, 2, 0] + Array("isomiso2".utf8)) == .unsupported(name: "MP4 video"))
        #expect(detect(Array("hello".utf8)) == .unsupported(name: "not an image"))
        // The name of a file never matters: a PNG is a PNG whatever it is called.
        #expect((try? fixture("images/malformed/picture.gif")).map(detect) == .gif)
        #expect((try? fixture("images/malformed/picture.bmp")).map(detect) == .unsupported(name: "BMP"))
    }

    @Test func unsupportedFormatMessagesAreCalmAndSpecific() throws {
        let bmp = decodingError(try fixture("images/malformed/picture.bmp"))
        #expect(bmp?.code == .unsupportedFormat)
        #expect(bmp?.message == "This file is a BMP image. nccmatch can hash JPEG, PNG, HEIC, AVIF, WebP and GIF images; convert it to PNG first.")
        let video = decodingError(try fixture("images/malformed/clip.mp4"))
        #expect(video?.message.hasPrefix("This file is an MP4 video, not a still picture.") == true)
        #expect(decodingError([])?.code == .emptyFile)
    }

    @Test func errorCodesAreStable() {
        #expect(ImageDecodingError.Code.allCases.map(\.rawValue) == [
            "empty_file", "unsupported_format", "truncated", "corrupt_data", "too_many_pixels",
            "invalid_dimensions", "png_crc_mismatch", "unsupported_jpeg", "out_of_memory", "file_too_large",
            "unsupported_encoding", "too_many_frames",
        ])
        for code in ImageDecodingError.Code.allCases {
            let message = ImageDecodingError.standardMessage(for: code)
            #expect(message.hasSuffix("."))
            #expect(!message.lowercased().contains("you did"))
        }
    }

    @Test("Decoded pixels equal Pillow's for every JPEG and PNG in ../shared", .needsShared)
    func sharedImagesMatchPillow() throws {
        let shared = try TestPaths.requireShared()
        let records = SharedPixelsRecord.all
        #expect(records.count >= 170)
        for record in records {
            let url = shared.appendingPathComponent(record.shared_file)
            guard let data = try? Data(contentsOf: url) else {
                Issue.record("\(record.shared_file) is listed but missing from ../shared")
                continue
            }
            let image = try ImageDecoder.decode([UInt8](data))
            #expect(image.width == record.width && image.height == record.height, "\(record.shared_file)")
            #expect(sha256Hex(image) == record.rgb_sha256, "\(record.shared_file)")
            // DCT scaling keeps the requested short side (JPEG) or the full size (PNG).
            let scaled = try ImageDecoder.decode([UInt8](data), options: .init(minimumShortSide: 256, preferLuma: true))
            #expect(min(scaled.width, scaled.height) >= min(256, min(record.width, record.height)), "\(record.shared_file)")
        }
    }
}

/// The error decoding `bytes` gives, or nil when it decodes.
func decodingError(_ bytes: [UInt8], options: DecodeOptions = .init()) -> ImageDecodingError? {
    do {
        _ = try ImageDecoder.decode(bytes, options: options)
        return nil
    } catch {
        return error
    }
}

func fixture(_ relative: String) throws -> [UInt8] {
    try [UInt8](Data(contentsOf: TestPaths.fixtures.appendingPathComponent(relative)))
}
