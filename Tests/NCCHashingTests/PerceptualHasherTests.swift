import Foundation
import NCCTestSupport
import Testing
@testable import NCCHashing

/// One synthetic image of `Tests/Fixtures/perceptual-synthetic.jsonl` and what imagehash/Pillow gave for it.
struct PerceptualVector: Sendable, CustomTestStringConvertible {
    let name: String
    let kind: String
    let mode: String
    let width: Int
    let height: Int
    let seed: UInt32
    let phash: String
    let dhash: String
    let l32x32: String
    let l9x8: String

    var testDescription: String { name }

    /// The image records of the fixture (digest records are skipped).
    static func load() throws -> [PerceptualVector] {
        let url = TestPaths.fixtures.appendingPathComponent("perceptual-synthetic.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            guard object["type"] as? String == "image" else { return nil }
            return PerceptualVector(
                name: object["name"] as! String, kind: object["kind"] as! String, mode: object["mode"] as! String,
                width: object["width"] as! Int, height: object["height"] as! Int,
                seed: UInt32(object["seed"] as! Int),
                phash: object["phash"] as! String, dhash: object["dhash"] as! String,
                l32x32: object["l32x32"] as! String, l9x8: object["l9x8"] as! String)
        }
    }

    /// The image, built with the generator script's integer formula.
    /// - Parameter grayAsRGB: for an L image, give it as RGB with r = g = b.
    func image(grayAsRGB: Bool = false) -> DecodedImage {
        let channels = mode == "RGB" ? 3 : 1
        let samples = width * height * channels
        let buffer = PixelBuffer(count: samples * (grayAsRGB ? 3 : 1))
        buffer.withUnsafeMutableBytes { raw in
            let out = raw.bindMemory(to: UInt8.self)
            var state = seed
            var i = 0
            for y in 0..<height {
                for x in 0..<width {
                    for c in 0..<channels {
                        state ^= state << 13
                        state ^= state >> 17
                        state ^= state << 5
                        let value = Self.sample(kind: kind, x: x, y: y, c: c, width: width, height: height,
                                                channels: channels, noise: Int(state >> 24))
                        if grayAsRGB {
                            out[3 * i] = value; out[3 * i + 1] = value; out[3 * i + 2] = value
                        } else {
                            out[i] = value
                        }
                        i += 1
                    }
                }
            }
        }
        let layout: PixelLayout = channels == 3 || grayAsRGB ? .rgb8 : .gray8
        return DecodedImage(width: width, height: height, layout: layout, format: .png,
                            fullWidth: width, fullHeight: height, pixels: buffer)
    }

    static func gradient(_ x: Int, _ y: Int, _ c: Int, _ w: Int, _ h: Int, _ channels: Int) -> Int {
        let gx = x * 255 / max(w - 1, 1)
        let gy = y * 255 / max(h - 1, 1)
        if channels == 1 { return (gx + gy) / 2 }
        switch c {
        case 0: return gx
        case 1: return gy
        default: return (x + y) * 255 / max(w + h - 2, 1)
        }
    }

    static func sample(kind: String, x: Int, y: Int, c: Int, width w: Int, height h: Int, channels: Int, noise: Int) -> UInt8 {
        let value: Int
        switch kind {
        case "noise": value = noise
        case "gradient": value = gradient(x, y, c, w, h, channels)
        case "mixed": value = (3 * gradient(x, y, c, w, h, channels) + noise) / 4
        case "checker": value = ((x * 4 / w + y * 4 / h) % 2 == 0 ? 40 : 210) + (noise >> 5)
        case "flat": value = 128
        case "hgrad": value = x * 255 / max(w - 1, 1)
        case "mirror":
            let mx = min(x, w - 1 - x)
            value = (3 * gradient(mx, y, c, w, h, channels) + (mx * 37 + y * 11) % 64) / 4
        default: fatalError("unknown kind \(kind)")
        }
        return UInt8(value)
    }
}

private func hex(_ buffer: PixelBuffer) -> String {
    buffer.withUnsafeBytes { bytes in bytes.map { String(format: "%02x", $0) }.joined() }
}

@Suite("Perceptual hashes equal imagehash 4.3.2 on Pillow 13 (synthetic images)")
struct PerceptualSyntheticTests {
    static let vectors: [PerceptualVector] = (try? PerceptualVector.load()) ?? []

    @Test func fixtureIsPresent() {
        #expect(Self.vectors.count >= 30, "Tests/Fixtures/perceptual-synthetic.jsonl missing or short")
    }

    @Test(arguments: vectors)
    func hashesEqualImagehash(_ vector: PerceptualVector) throws {
        let image = vector.image()
        let both = PerceptualHasher.hashes(image)
        #expect(both.phash.hex == vector.phash, "pHash")
        #expect(both.dhash.hex == vector.dhash, "dHash")
        #expect(PerceptualHasher.phash(image) == both.phash)
        #expect(PerceptualHasher.dhash(image) == both.dhash)
    }

    @Test(arguments: vectors)
    func resizedPixelsEqualPillow(_ vector: PerceptualVector) throws {
        let small = PerceptualHasher.resized(vector.image(), to: [(32, 32), (9, 8)])
        #expect(hex(small[0]) == vector.l32x32, "convert('L').resize((32, 32), LANCZOS)")
        #expect(hex(small[1]) == vector.l9x8, "convert('L').resize((9, 8), LANCZOS)")
    }

    @Test(arguments: vectors.filter { $0.mode == "L" && $0.width * $0.height <= 1_000_000 })
    func grayGivenAsRGBHashesTheSame(_ vector: PerceptualVector) {
        // A Pillow L image decoded to RGB has r = g = b; convert("L") must give the value back.
        let both = PerceptualHasher.hashes(vector.image(grayAsRGB: true))
        #expect(both.phash.hex == vector.phash)
        #expect(both.dhash.hex == vector.dhash)
    }
}

@Suite("Perceptual building blocks")
struct PerceptualBuildingBlockTests {
    @Test func lumaOfGrayIsIdentity() {
        for v in 0...255 {
            let g = UInt8(v)
            #expect(PillowLuminance.luma(red: g, green: g, blue: g) == g)
        }
    }

    @Test func lumaMatchesPillowFormula() {
        // (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16, e.g. pure red 255 -> 76, green -> 150, blue -> 29.
        #expect(PillowLuminance.luma(red: 255, green: 0, blue: 0) == 76)
        #expect(PillowLuminance.luma(red: 0, green: 255, blue: 0) == 150)
        #expect(PillowLuminance.luma(red: 0, green: 0, blue: 255) == 29)
        #expect(PillowLuminance.luma(red: 255, green: 255, blue: 255) == 255)
    }

    @Test func resizePlaneMatchesRowStreaming() throws {
        let vector = try #require(PerceptualSyntheticTests.vectors.first { $0.name == "mixed-L-50x300" })
        let image = vector.image()
        let resampler = LanczosResampler(inputWidth: 50, inputHeight: 300, outputWidth: 32, outputHeight: 32)
        #expect(resampler.verticalFirst, "Pillow 13 resizes 50x300 -> 32x32 vertically first")
        let whole = image.pixels.withUnsafeBytes { resampler.resize($0) }
        #expect(hex(whole) == vector.l32x32)
    }

    @Test func passOrderFollowsPillow13() {
        // Vertical first exactly when the height loses more than twice as many pixels as the width.
        #expect(!LanczosResampler(inputWidth: 41, inputHeight: 50, outputWidth: 32, outputHeight: 32).verticalFirst)
        #expect(LanczosResampler(inputWidth: 41, inputHeight: 51, outputWidth: 32, outputHeight: 32).verticalFirst)
        #expect(!LanczosResampler(inputWidth: 4000, inputHeight: 3000, outputWidth: 32, outputHeight: 32).verticalFirst)
        #expect(LanczosResampler(inputWidth: 720, inputHeight: 1440, outputWidth: 32, outputHeight: 32).verticalFirst)
        #expect(!LanczosResampler(inputWidth: 10, inputHeight: 20, outputWidth: 32, outputHeight: 32).verticalFirst, "height grows")
        #expect(!LanczosResampler(inputWidth: 32, inputHeight: 100, outputWidth: 32, outputHeight: 32).verticalFirst, "one pass only")
    }

    @Test func flatImageHasOnlyTheDCBit() {
        let pixels = PixelBuffer(count: 100 * 80)
        pixels.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 77) }
        let image = DecodedImage(width: 100, height: 80, layout: .gray8, format: .png, fullWidth: 100, fullHeight: 80, pixels: pixels)
        let both = PerceptualHasher.hashes(image)
        #expect(both.phash.hex == "8000000000000000")
        #expect(both.dhash.hex == "0000000000000000")
    }
}

/// Decoded real files against imagehash (`../shared/corpus`, and the project's own fixture images).
@Suite("Perceptual hashes of decoded files equal imagehash")
struct PerceptualDecodedFileTests {
    struct Outcome {
        var count = 0
        var phashEqual = 0
        var dhashEqual = 0
        var phashDistance = 0
        var dhashDistance = 0
        var mismatches: [String] = []

        mutating func add(_ name: String, got: (phash: Hash64, dhash: Hash64), phash: String, dhash: String) throws {
            let p = try Hash64(hex: phash), d = try Hash64(hex: dhash, algorithm: .dhash)
            count += 1
            if got.phash == p { phashEqual += 1 }
            if got.dhash == d { dhashEqual += 1 }
            phashDistance += got.phash.distance(to: p)
            dhashDistance += got.dhash.distance(to: d)
            if got.phash != p || got.dhash != d {
                mismatches.append("\(name): pHash \(got.phash.distance(to: p)) bits, dHash \(got.dhash.distance(to: d)) bits")
            }
        }

        var summary: String {
            let n = Double(max(count, 1))
            return "\(count) images: pHash equal \(phashEqual), dHash equal \(dhashEqual), mean distance pHash "
                + String(format: "%.3f", Double(phashDistance) / n) + " dHash " + String(format: "%.3f", Double(dhashDistance) / n)
        }
    }

    static func jsonLines(_ url: URL) throws -> [[String: Any]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    static func decode(_ url: URL, options: DecodeOptions = .init()) throws -> DecodedImage {
        let bytes = try [UInt8](Data(contentsOf: url))
        return try ImageDecoder.decode(bytes, options: options)
    }

    /// Acceptance: pHash and dHash equal imagehash's on at least 95% of the corpus, mean distance < 0.5 bit.
    @Test(.needsShared) func sharedCorpus() throws {
        let shared = try TestPaths.requireShared()
        let images = shared.appendingPathComponent("corpus/images")
        let expected = try Self.jsonLines(TestPaths.fixtures.appendingPathComponent("corpus-perceptual-expected.jsonl"))
        var outcome = Outcome()
        for record in expected {
            let name = record["file"] as! String
            let image = try Self.decode(images.appendingPathComponent(name))
            #expect(image.width == record["width"] as! Int && image.height == record["height"] as! Int, "\(name) size")
            try outcome.add(name, got: PerceptualHasher.hashes(image),
                            phash: record["phash"] as! String, dhash: record["dhash"] as! String)
        }
        print("corpus (exact decode): \(outcome.summary)")
        for line in outcome.mismatches { print("  differs: \(line)") }
        #expect(outcome.count >= 100, "expected the 122 corpus images")
        let n = Double(max(outcome.count, 1))
        #expect(Double(outcome.phashEqual) >= 0.95 * n && Double(outcome.dhashEqual) >= 0.95 * n, "\(outcome.summary)")
        #expect(Double(outcome.phashDistance) / n < 0.5 && Double(outcome.dhashDistance) / n < 0.5, "\(outcome.summary)")
    }

    /// The project's fixture images (JPEG variants, PNG modes, EXIF orientations) against
    /// `Tests/Fixtures/expected-hashes.jsonl`, with and without orientation as recorded.
    @Test func fixtureImages() throws {
        let expected = try Self.jsonLines(TestPaths.fixtures.appendingPathComponent("expected-hashes.jsonl"))
        var outcome = Outcome()
        for record in expected {
            guard let phash = record["phash"] as? String, let dhash = record["dhash"] as? String else { continue }
            let name = record["file"] as! String
            let exif = record["exif"] as? Bool ?? true
            let image = try Self.decode(TestPaths.fixtures.appendingPathComponent(name),
                                        options: DecodeOptions(applyEXIFOrientation: exif))
            try outcome.add("\(name) (exif \(exif))", got: PerceptualHasher.hashes(image), phash: phash, dhash: dhash)
        }
        print("fixture images: \(outcome.summary)")
        for line in outcome.mismatches { print("  differs: \(line)") }
        #expect(outcome.count > 0)
        #expect(outcome.mismatches.isEmpty, "\(outcome.mismatches)")
    }
}
