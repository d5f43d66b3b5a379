import Foundation
import NCCHashing
import NCCTestSupport
import Testing

/// HEIC files decoded by FFmpeg's HEVC decoder (one 8-bit 4:2:0 picture or a grid of them, full-range nclx colour, at
/// most an `irot`): the pixels equal pillow-heif's, grids are decoded tile by tile, and anything odd falls back to
/// libheif, which names the error.
///
/// Fixtures and expected values: `Scripts/reference/make_heic_fast_path_fixtures.py` (grids assembled by
/// `Scripts/reference/make_heic_grid.py` from tiles pillow-heif 1.9.0 encoded; pdqhash 0.2.8 and imagehash 4.3.2 fed
/// pillow-heif's pixels). HEVC decoding is exact and the colour conversion is libheif 1.23's, so the hashes are equal.
@Suite struct HEICFastPathTests {
    struct Expected: Decodable, Sendable, CustomTestStringConvertible {
        let file: String
        let pdq: String
        let phash: String
        let dhash: String
        let width: Int
        let height: Int
        var testDescription: String { file }
    }

    static let expected: [Expected] = {
        let url = TestPaths.fixtures.appendingPathComponent("heic-fast-path-expected.jsonl")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Expected.self, from: Data($0.utf8)) }
    }()

    func path(_ relative: String) -> String { TestPaths.fixtures.appendingPathComponent(relative).path }

    @Test func theReferenceFileIsComplete() {
        #expect(Set(Self.expected.map(\.file)) == ["images/heic/grid.heic", "images/heic/grid-irot.heic", "images/heic/irot-nclx.heic", "images/heic/grid-26mp.heic"])
    }

    @Test(arguments: expected)
    func exactHashesEqualPillowHeifsAndFastStaysClose(_ expected: Expected) throws {
        let exact = try ImageHasher.hashFile(atPath: path(expected.file), options: HashingOptions(mode: .exact)).image.get()
        #expect(exact.pdq.hash.distance(to: try PDQHash(hex: expected.pdq)) == 0)
        #expect(exact.width == expected.width && exact.height == expected.height)
        let fast = try ImageHasher.hashFile(atPath: path(expected.file), options: HashingOptions(mode: .fast)).image.get()
        let distance = fast.pdq.hash.distance(to: exact.pdq.hash)
        // grid-26mp.heic is one tile repeated 10 times each way, a periodic picture that 8x8 block averaging moves
        // further (12 bits, measured); fastModeOfALargeGridIsTheAveragedPicture checks its reduced pixels exactly.
        #expect(distance <= (expected.file.hasSuffix("grid-26mp.heic") ? 16 : 8), "fast PDQ is \(distance) bits from exact")
        #expect(fast.width == expected.width && fast.height == expected.height)
    }

    /// The earlier HEIC fixtures (clap, irot, ICC-profile and nclx colour; `make_format_fixtures.py`), which libheif 1.15
    /// with libde265 1.0.11 decoded a few bits away from pillow-heif, now hash exactly as pillow-heif's pixels do.
    @Test func theEarlierFixturesHashExactlyAsPillowHeif() throws {
        let heic = FormatConformanceTests.expected.filter { $0.format == "heic" }
        #expect(heic.count >= 4)
        for expected in heic {
            let hashes = try ImageHasher.hashFile(atPath: path(expected.file), options: HashingOptions(mode: .exact)).image.get()
            #expect(hashes.pdq.hash.distance(to: try PDQHash(hex: expected.pdq)) == 0, "\(expected.file)")
            #expect(hashes.phash.hex == expected.phash && hashes.dhash.hex == expected.dhash, "\(expected.file)")
        }
    }

    /// A grid stored turned, with an `irot` on the grid item, is the upright picture: its hash is the upright grid's
    /// (another encoding of the same picture) within a few bits.
    @Test func aTurnedGridHashesAsTheUprightPicture() throws {
        let upright = try ImageHasher.hashFile(atPath: path("images/heic/grid.heic"), options: HashingOptions(mode: .exact)).image.get()
        let turned = try ImageHasher.hashFile(atPath: path("images/heic/grid-irot.heic"), options: HashingOptions(mode: .exact)).image.get()
        let distance = turned.pdq.hash.distance(to: upright.pdq.hash)
        #expect(distance <= 16, "grid-irot.heic is \(distance) bits from the upright grid")
        #expect(turned.width == 900 && turned.height == 600) // the stored picture is 600x900
    }

    /// Over 24 megapixels fast mode averages 8x8 blocks while converting each tile: the reduced picture is exactly
    /// the full-size picture averaged (rounded), and no full-size picture is made.
    @Test func fastModeOfALargeGridIsTheAveragedPicture() throws {
        let bytes = try fixture("images/heic/grid-26mp.heic")
        let full = try ImageDecoder.decode(bytes)
        let reduced = try ImageDecoder.decode(bytes, options: .init(minimumShortSide: 512))
        #expect(full.width == 5120 && full.height == 5120)
        #expect(reduced.width == 640 && reduced.height == 640)
        var mismatches = 0
        full.pixels.withUnsafeBytes { f in
            reduced.pixels.withUnsafeBytes { r in
                for oy in 0..<640 {
                    for ox in 0..<640 {
                        for c in 0..<3 {
                            var sum = 0
                            for y in (oy * 8)..<(oy * 8 + 8) {
                                for x in (ox * 8)..<(ox * 8 + 8) { sum += Int(f[(y * 5120 + x) * 3 + c]) }
                            }
                            if UInt8((sum + 32) / 64) != r[(oy * 640 + ox) * 3 + c] { mismatches += 1 }
                        }
                    }
                }
            }
        }
        #expect(mismatches == 0)
    }

    /// Fast mode asks for luma: the FFmpeg path hands back 1 channel made from the decoder's frame (no RGB), equal to
    /// the luma of the exact RGB (Pillow's `L` weights, which PDQ's are too) but for that RGB's rounding and clipping:
    /// within 1 on at least 99% of pixels, 0.5 on average. Covers single pictures, one turned (irot), with the fixtures'
    /// BT.601 matrix (luma = Y) and with the nclx changed to BT.709 (1) and BT.2020 (9), where a chroma term is added;
    /// and grids under 24 megapixels (their tiles' planes kept until the whole picture is judged), upright and turned.
    @Test(arguments: [("images/heic/photo.heic", 6), ("images/heic/irot-nclx.heic", 6),
                      ("images/heic/irot-nclx.heic", 1), ("images/heic/irot-nclx.heic", 9),
                      ("images/heic/grid.heic", 6), ("images/heic/grid-irot.heic", 6),
                      ("images/heic/grid.heic", 1), ("images/heic/grid-irot.heic", 9)] as [(String, UInt8)])
    func lumaIsTheLumaOfTheExactPicture(_ file: String, matrix: UInt8) throws {
        var bytes = try fixture(file)
        if matrix != 6 {  // the nclx box: colour type, primaries (2 bytes), transfer (2), matrix (2), full-range flag
            let nclx = try #require(find(Array("colrnclx".utf8), in: bytes))
            #expect(bytes[nclx + 13] == 6)
            bytes[nclx + 13] = matrix
        }
        let rgb = try ImageDecoder.decode(bytes)
        let luma = try ImageDecoder.decode(bytes, options: .init(preferLuma: true))
        #expect(rgb.layout == .rgb8 && luma.layout == .gray8)
        #expect(luma.width == rgb.width && luma.height == rgb.height)
        #expect(luma.pixels.count == luma.width * luma.height)
        var overOne = 0, total = 0
        rgb.pixels.withUnsafeBytes { c in
            luma.pixels.withUnsafeBytes { l in
                for i in 0..<(luma.width * luma.height) {
                    let r = Int(c[3 * i]), g = Int(c[3 * i + 1]), b = Int(c[3 * i + 2])
                    let d = abs((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16 - Int(l[i]))
                    total += d
                    if d > 1 { overOne += 1 }
                }
            }
        }
        let pixels = luma.width * luma.height
        // Rounding moves a value by 1; clipping of saturated colours in the RGB (which the luma never has) by more.
        #expect(overOne * 100 <= pixels, "\(file), matrix \(matrix): \(overOne) luma values more than 1 away")
        #expect(total * 2 <= pixels, "\(file), matrix \(matrix): mean distance \(Double(total) / Double(pixels))")
    }

    /// Over 24 megapixels the luma is averaged into the reduced picture tile by tile: the full-size picture's luma
    /// averaged over 8x8 blocks, but for the rounding and clipping of that picture's RGB (1 at most, on under 10% of blocks).
    @Test func fastLumaOfALargeGridIsTheAveragedLuma() throws {
        let bytes = try fixture("images/heic/grid-26mp.heic")
        let full = try ImageDecoder.decode(bytes)
        let reduced = try ImageDecoder.decode(bytes, options: .init(minimumShortSide: 512, preferLuma: true))
        #expect(full.layout == .rgb8 && reduced.layout == .gray8)
        #expect(full.width == 5120 && reduced.width == 640 && reduced.height == 640)
        var farthest = 0, differing = 0
        full.pixels.withUnsafeBytes { f in
            reduced.pixels.withUnsafeBytes { r in
                for oy in 0..<640 {
                    for ox in 0..<640 {
                        var sum = 0
                        for y in (oy * 8)..<(oy * 8 + 8) {
                            for x in (ox * 8)..<(ox * 8 + 8) {
                                let i = (y * 5120 + x) * 3
                                sum += Int(f[i]) * 19595 + Int(f[i + 1]) * 38470 + Int(f[i + 2]) * 7471
                            }
                        }
                        let d = abs((sum + 64 * 32768) / (64 * 65536) - Int(r[oy * 640 + ox]))
                        farthest = max(farthest, d)
                        if d != 0 { differing += 1 }
                    }
                }
            }
        }
        #expect(farthest <= 1 && differing * 10 <= 640 * 640, "\(differing) blocks differ, by \(farthest) at most")
    }

    /// Under 24 megapixels a grid's tiles are kept as planes until the whole picture is decoded, then judged as a
    /// single picture is: a photograph gives luma in fast mode (and its fast hash stays within 8 bits of exact); a
    /// nearly flat picture, where 8-bit luma would move PDQ far from exact, gives the same RGB as exact mode.
    @Test func aGridUnderTheAveragingSizeIsJudgedWhole() throws {
        let photo = try fixture("images/heic/grid.heic")
        let luma = try ImageDecoder.decode(photo, options: .init(minimumShortSide: 256, preferLuma: true))
        #expect(luma.layout == .gray8 && luma.width == 900 && luma.height == 600)
        let exact = try ImageHasher.hashFile(atPath: path("images/heic/grid.heic"), options: HashingOptions(mode: .exact)).image.get()
        let fast = try ImageHasher.hashFile(atPath: path("images/heic/grid.heic"), options: HashingOptions(mode: .fast)).image.get()
        #expect(fast.pdq.hash.distance(to: exact.pdq.hash) <= 8)

        let flat = try fixture("images/heic/grid-flat.heic")
        let rgb = try ImageDecoder.decode(flat)
        let kept = try ImageDecoder.decode(flat, options: .init(minimumShortSide: 256, preferLuma: true))
        #expect(rgb.layout == .rgb8 && kept.layout == .rgb8 && kept.width == 900 && kept.height == 600)
        #expect(kept.pixels.withUnsafeBytes { k in rgb.pixels.withUnsafeBytes { r in k.elementsEqual(r) } })
        let flatExact = try ImageHasher.hashFile(atPath: path("images/heic/grid-flat.heic"), options: HashingOptions(mode: .exact)).image.get()
        let flatFast = try ImageHasher.hashFile(atPath: path("images/heic/grid-flat.heic"), options: HashingOptions(mode: .fast)).image.get()
        #expect(flatFast.pdq.hash == flatExact.pdq.hash)
    }

    @Test func thePixelLimitCountsTheWholeGrid() throws {
        let bytes = try fixture("images/heic/grid.heic")
        #expect(decodingError(bytes, options: .init(maxPixels: 900 * 600 - 1))?.code == .tooManyPixels)
        #expect((try? ImageDecoder.decode(bytes, options: .init(maxPixels: 900 * 600)))?.width == 900)
    }

    /// A grid box listing more tiles than the file references, and a tile whose data lies past the end of the file:
    /// a specific error (from libheif, which the file falls back to), never a crash or a half-made picture.
    @Test func damagedGridStructuresAreSpecificErrors() throws {
        var bytes = try fixture("images/heic/grid.heic")
        let idat = try #require(find(Array("idat".utf8), in: bytes))
        bytes[idat + 4 + 2] = 7  // rows - 1: 8 rows of tiles instead of 3
        let error = decodingError(bytes)
        #expect(error != nil && [.corruptData, .truncated, .invalidDimensions].contains(error!.code), "\(String(describing: error))")

        var cut = try fixture("images/heic/grid.heic")
        cut.removeLast(cut.count / 3)  // the last tiles' data is gone
        let cutError = decodingError(cut)
        #expect(cutError != nil && [.corruptData, .truncated].contains(cutError!.code), "\(String(describing: cutError))")
    }

    /// Seeded random byte changes in a grid file: every outcome is a picture or a specific error, never a crash.
    @Test(arguments: ["heic/grid.heic", "heic/irot-nclx.heic"])
    func mutatedFilesNeverCrash(_ file: String) throws {
        let original = try fixture("images/\(file)")
        var random = SplitMix64(seed: 0x51_7CC1_B727_220A &+ UInt64(original.count))
        func next() -> Int { Int(truncatingIfNeeded: random.next() >> 1) }  // the same mutations on every run
        // Mutations in the meta box (its first 2 KB) exercise the container reading; the rest hit coded data.
        let metaEnd = min(original.count, 2048)
        for round in 0..<150 {
            var bytes = original
            for _ in 0..<(1 + next() % 6) {
                let at = round % 2 == 0 ? next() % metaEnd : next() % bytes.count
                bytes[at] = UInt8(truncatingIfNeeded: next())
            }
            do {
                let image = try ImageDecoder.decode(bytes)
                #expect(image.pixels.count == image.width * image.height * image.layout.bytesPerPixel)
            } catch {
                #expect(error.code != .outOfMemory, "\(error)")
            }
        }
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where Array(haystack[i..<(i + needle.count)]) == needle { return i }
        return nil
    }
}
