import Foundation
import NCCHashing
import NCCTestSupport
import Testing

/// HEIC/HEIF, AVIF, WebP and GIF through the public entry points (`ImageHasher`, `ImageDecoder`).
///
/// Expected values: `Scripts/reference/make_format_fixtures.py` (pdqhash 0.2.8 and imagehash 4.3.2 fed Pillow 13.0.0's
/// pixels for WebP, GIF and AVIF, pillow-heif 1.9.0's for HEIC). WebP, GIF and AVIF (libavif, as Pillow) decode pixel
/// for pixel like Pillow, so their hashes must be equal. HEIC is allowed a small PDQ distance because the decoders
/// differ in version: nccmatch links the system's libheif 1.15 with libde265 1.0.11, pillow-heif bundles libheif 1.23
/// with libde265 1.1.3 (docs/formats.md); on the fixtures the measured distance is 0.
@Suite struct FormatConformanceTests {
    struct Expected: Decodable, Sendable, CustomTestStringConvertible {
        let file: String
        let exif: Bool
        let format: String
        let md5: String
        let pdq: String
        let pdq_quality: Int
        let pdq_dihedral: [String]
        let phash: String
        let dhash: String
        let width: Int
        let height: Int
        var testDescription: String { file }
    }

    struct Malformed: Decodable, Sendable, CustomTestStringConvertible {
        let file: String
        let error: String
        var testDescription: String { "\(file) -> \(error)" }
    }

    static func lines<T: Decodable>(_ name: String, as: T.Type) -> [T] {
        let url = TestPaths.fixtures.appendingPathComponent(name)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
    }

    static let expected = lines("format-expected-hashes.jsonl", as: Expected.self)
    static let malformed = lines("format-malformed.jsonl", as: Malformed.self)

    /// PDQ bits the decoder-version difference may move per format (see the suite's note); 0 = must be equal.
    static func pdqTolerance(_ format: String) -> Int { ["heic": 6][format] ?? 0 }

    func path(_ relative: String) -> String { TestPaths.fixtures.appendingPathComponent(relative).path }

    @Test func theReferenceFilesAreComplete() {
        #expect(Set(Self.expected.map(\.format)) == ["webp", "gif", "heic", "avif"])
        #expect(Self.expected.count >= 20)
        #expect(Self.malformed.count >= 10)
    }

    @Test(arguments: expected)
    func exactModeEqualsTheReferences(_ expected: Expected) throws {
        let result = try ImageHasher.hashFile(atPath: path(expected.file), options: HashingOptions(mode: .exact))
        #expect(result.digests.md5 == expected.md5)
        let hashes = try result.image.get()
        #expect(hashes.format.rawValue == expected.format)
        #expect(hashes.width == expected.width && hashes.height == expected.height)
        let distance = hashes.pdq.hash.distance(to: try PDQHash(hex: expected.pdq))
        let tolerance = Self.pdqTolerance(expected.format)
        #expect(distance <= tolerance, "PDQ \(distance) bits from the reference (allowed \(tolerance))")
        if tolerance == 0 {
            #expect(hashes.pdq.hash.hex == expected.pdq)
            #expect(hashes.pdq.quality == expected.pdq_quality)
            #expect(hashes.pdq.dihedral.map(\.hex) == expected.pdq_dihedral)
            #expect(hashes.phash.hex == expected.phash)
            #expect(hashes.dhash.hex == expected.dhash)
        } else {
            #expect(abs(hashes.pdq.quality - expected.pdq_quality) <= 5)
            #expect(hashes.phash.distance(to: try Hash64(hex: expected.phash)) <= 2)
            #expect(hashes.dhash.distance(to: try Hash64(hex: expected.dhash)) <= 2)
        }
    }

    @Test(arguments: expected)
    func fastModeStaysCloseToExact(_ expected: Expected) throws {
        let fast = try ImageHasher.hashFile(atPath: path(expected.file), options: HashingOptions(mode: .fast)).image.get()
        let distance = fast.pdq.hash.distance(to: try PDQHash(hex: expected.pdq))
        #expect(distance <= 8 + Self.pdqTolerance(expected.format), "fast PDQ is \(distance) bits from the reference")
        #expect(fast.width == expected.width && fast.height == expected.height)
    }

    /// An iPhone stores a portrait photo turned, with an `irot` box (and an EXIF orientation saying the same): the
    /// hash is the upright picture's, and the EXIF tag is not applied a second time, whatever `--ignore-exif` says.
    @Test func aHEICWithAnIrotTransformHashesAsTheUprightPicture() throws {
        let upright = try ImageHasher.hashFile(atPath: path("images/heic/upright.heic"), options: HashingOptions(mode: .exact)).image.get()
        for applyEXIF in [true, false] {
            let options = HashingOptions(mode: .exact, applyEXIFOrientation: applyEXIF)
            let turned = try ImageHasher.hashFile(atPath: path("images/heic/irot.heic"), options: options).image.get()
            let distance = turned.pdq.hash.distance(to: upright.pdq.hash)
            #expect(distance <= 16, "irot.heic is \(distance) bits from the upright picture (exif \(applyEXIF))")
        }
        // The stored pixels, turned, would be far away: the test can tell.
        let stored = try ImageDecoder.decode(try fixture("images/heic/irot.heic"))
        #expect(stored.width == upright.width && stored.height == upright.height)
    }

    /// AVIF's irot/imir are applied (Pillow turns them into the EXIF orientation it then applies); an EXIF tag alone is not.
    @Test func anAVIFWithAnIrotTransformHashesAsTheUprightPicture() throws {
        let upright = try ImageHasher.hashFile(atPath: path("images/avif/upright.avif"), options: HashingOptions(mode: .exact)).image.get()
        for applyEXIF in [true, false] {
            let options = HashingOptions(mode: .exact, applyEXIFOrientation: applyEXIF)
            let turned = try ImageHasher.hashFile(atPath: path("images/avif/irot.avif"), options: options).image.get()
            let distance = turned.pdq.hash.distance(to: upright.pdq.hash)
            #expect(distance <= 16, "irot.avif is \(distance) bits from the upright picture (exif \(applyEXIF))")
        }
    }

    @Test("Each malformed file gives its specific error", arguments: malformed)
    func malformedFilesGiveSpecificErrors(_ record: Malformed) throws {
        let error = try #require(decodingError(try fixture(record.file)), "decoded instead of failing")
        #expect(error.code.rawValue == record.error, "\(error)")
        #expect(!error.message.isEmpty && !error.message.contains("malformed"))
    }

    /// Canvases of 2.7 to 4.3 gigapixels declared over tiny pictures: refused from the header, before any allocation
    /// (a buffer that size would take seconds to fault in, or fail).
    @Test(arguments: ["huge-65535x65535.gif", "huge-16384x16384.webp", "huge-30000x20000.heic"])
    func hugeDeclaredCanvasesAreRefusedBeforeAllocating(_ name: String) throws {
        let bytes = try fixture("images/malformed/\(name)")
        let clock = ContinuousClock()
        let start = clock.now
        let error = decodingError(bytes)
        #expect(error?.code == .tooManyPixels, "\(String(describing: error))")
        #expect(clock.now - start < .milliseconds(300))
    }

    @Test func thePixelLimitCountsTheWholeCanvas() throws {
        // offset-frame.gif: a 120x80 first frame on a 152x100 screen; the canvas is what gets allocated.
        let gif = try fixture("images/gif/offset-frame.gif")
        #expect(decodingError(gif, options: .init(maxPixels: 152 * 100 - 1))?.code == .tooManyPixels)
        #expect((try? ImageDecoder.decode(gif, options: .init(maxPixels: 152 * 100)))?.width == 152)
        for (file, pixels) in [("images/webp/lossy.webp", 320 * 213), ("images/heic/photo.heic", 320 * 213), ("images/avif/photo.avif", 320 * 213)] {
            #expect(decodingError(try fixture(file), options: .init(maxPixels: pixels - 1))?.code == .tooManyPixels, "\(file)")
        }
    }

    /// A GIF of 50,000 frames: only the first is decoded, in about the time of one frame.
    @Test func animatedGIFWithManyFramesIsBounded() throws {
        let frame: [UInt8] = [0x21, 0xF9, 0x04, 0x04, 0x01, 0x00, 0x00, 0x00]  // graphic control, 10 ms
            + [0x2C, 0, 0, 0, 0, 0x01, 0, 0x01, 0, 0x00]  // 1x1 at (0, 0), no local table
            + [0x02, 0x02, 0x44, 0x01, 0x00]  // LZW, code size 2: clear (4), index 0, end (5), 3 bits each
        var bytes: [UInt8] = Array("GIF89a".utf8) + [0x20, 0, 0x20, 0, 0x80, 0, 0] + [0, 0, 0, 255, 255, 255]
        for _ in 0..<50_000 { bytes += frame }
        bytes.append(0x3B)
        let clock = ContinuousClock()
        let start = clock.now
        let image = try ImageDecoder.decode(bytes)
        #expect(clock.now - start < .milliseconds(300))
        #expect(image.format == .gif && image.width == 32 && image.height == 32)
    }

    /// A WebP of 1,000 frames: the demuxer only indexes them; one frame is decoded.
    @Test func animatedWebPWithManyFramesIsBounded() throws {
        let bytes = try fixture("images/webp/many-frames.webp")
        let clock = ContinuousClock()
        let start = clock.now
        let image = try ImageDecoder.decode(bytes)
        #expect(clock.now - start < .milliseconds(300))
        #expect(image.width == 64 && image.height == 48)
    }

    @Test func animatedWebPGivesItsFirstFrame() throws {
        let image = try ImageDecoder.decode(try fixture("images/webp/animated.webp"))
        #expect(image.format == .webp && image.width == 200 && image.height == 133)
    }

    @Test("A file cut anywhere is an error, never a crash or a picture", arguments: ["webp/lossy.webp", "webp/lossless.webp", "webp/animated.webp", "gif/still.gif", "gif/interlaced.gif", "heic/photo.heic", "avif/photo.avif"])
    func truncatedFilesAreErrors(_ file: String) throws {
        let bytes = try fixture("images/\(file)")
        let whole = sha256Hex(try ImageDecoder.decode(bytes))
        for tenth in 1...9 {
            let cut = Array(bytes.prefix(bytes.count * tenth / 10))
            do {
                let image = try ImageDecoder.decode(cut)
                // An animation cut after its first frame still holds the whole picture that is hashed.
                #expect(file.contains("animated") && sha256Hex(image) == whole, "cut at \(tenth)/10 decoded")
            } catch {
                #expect([.truncated, .corruptData].contains(error.code), "cut at \(tenth)/10: \(error)")
            }
        }
    }

    /// Seeded random byte changes: every outcome is a picture or a specific error, never a crash.
    @Test(arguments: ["webp/lossy.webp", "webp/alpha-lossless.webp", "gif/transparent.gif", "heic/photo.heic", "avif/photo.avif"])
    func mutatedFilesNeverCrash(_ file: String) throws {
        let original = try fixture("images/\(file)")
        var random = SplitMix64(seed: 0x9E37_79B9_7F4A_7C15 &+ UInt64(original.count))
        func next() -> Int { Int(truncatingIfNeeded: random.next() >> 1) }  // the same mutations on every run
        var decoded = 0, refused = 0
        for _ in 0..<200 {
            var bytes = original
            for _ in 0..<(1 + next() % 8) { bytes[next() % bytes.count] = UInt8(truncatingIfNeeded: next()) }
            do {
                let image = try ImageDecoder.decode(bytes)
                #expect(image.pixels.count == image.width * image.height * image.layout.bytesPerPixel)
                decoded += 1
            } catch {
                #expect(error.code != .outOfMemory, "\(error)")
                refused += 1
            }
        }
        // Both paths ran: changes that leave a readable picture, and damage refused with a specific code
        // (a decoder refusing everything, or accepting damage it cannot read, shows here).
        #expect(decoded > 0, "no mutated \(file) decoded")
        #expect(refused > 0, "every mutated \(file) decoded")
    }
}
