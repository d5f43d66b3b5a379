import Foundation
import NCCTestSupport
import Testing

@testable import NCCHashing

/// One record of `Tests/Fixtures/pdq-synthetic.jsonl` (written by Scripts/reference/make_pdq_synthetic_vectors.py).
struct PDQSyntheticVector: Decodable, CustomTestStringConvertible, Sendable {
    let name: String
    let width: Int
    let height: Int
    let seed: UInt32
    let noise: Int
    let ax: [Int]
    let ay: [Int]
    let block: Int
    let contrast: Int
    let base: Int
    let gray: Bool
    let hash: String
    let quality: Int
    let dihedral: [String]
    let dihedralQuality: Int
    let pixelSum: Int

    enum CodingKeys: String, CodingKey {
        case name, width, height, seed, noise, ax, ay, block, contrast, base, gray, hash, quality, dihedral
        case dihedralQuality = "dihedral_quality"
        case pixelSum = "pixel_sum"
    }

    var testDescription: String { "\(name) (\(width)x\(height))" }

    static func load() throws -> [PDQSyntheticVector] {
        let url = TestPaths.fixtures.appendingPathComponent("pdq-synthetic.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(whereSeparator: \.isNewline).map { try JSONDecoder().decode(PDQSyntheticVector.self, from: Data($0.utf8)) }
    }

    /// Channel `c` of pixel (x, y), by the generator script's formula.
    func value(x: Int, y: Int, channel c: Int) -> UInt8 {
        var h = seed &* 0x9E37_79B1 &+ UInt32(truncatingIfNeeded: x) &* 0x85EB_CA77
            &+ UInt32(truncatingIfNeeded: y) &* 0xC2B2_AE3D &+ UInt32(c) &* 0x27D4_EB2F
        h ^= h >> 15
        h = h &* 0x2C1B_3C6D
        h ^= h >> 12
        h = h &* 0x297A_2D39
        h ^= h >> 15
        let n = noise > 0 ? Int(h % UInt32(noise + 1)) : 0
        let g = (ax[c] * x * 256) / width + (ay[c] * y * 256) / height
        let k = block > 0 && ((x / block) + (y / block)) % 2 == 1 ? contrast : 0
        return UInt8((base + g + k + n) % 256)
    }

    /// The picture: 8-bit gray when `gray`, else RGB.
    func image() -> DecodedImage {
        let layout: PixelLayout = gray ? .gray8 : .rgb8
        let buffer = PixelBuffer(count: width * height * layout.bytesPerPixel)
        buffer.withUnsafeMutableBytes { raw in
            var i = 0
            for y in 0..<height {
                for x in 0..<width {
                    if gray {
                        raw[i] = value(x: x, y: y, channel: 0); i += 1
                    } else {
                        for c in 0..<3 { raw[i] = value(x: x, y: y, channel: c); i += 1 }
                    }
                }
            }
        }
        return DecodedImage(width: width, height: height, layout: layout, format: .png, fullWidth: width, fullHeight: height, pixels: buffer)
    }
}

@Suite struct PDQHasherTests {
    static let vectors: [PDQSyntheticVector] = (try? PDQSyntheticVector.load()) ?? []

    @Test func fixtureIsPresent() throws {
        #expect(try PDQSyntheticVector.load().count >= 10)
    }

    @Test(arguments: vectors)
    func syntheticVectorsMatchPdqhash(_ vector: PDQSyntheticVector) throws {
        let image = vector.image()
        // The pixels are the script's pixels: same channel-sum checksum (gray counts three times).
        let sum = image.pixels.withUnsafeBytes { $0.reduce(0) { $0 + Int($1) } }
        #expect(sum * (vector.gray ? 3 : 1) == vector.pixelSum)

        let result = PDQHasher.hash(image, dihedral: true)
        #expect(result.hash.hex == vector.hash)
        #expect(result.quality == vector.quality)
        #expect(result.dihedral.map(\.hex) == vector.dihedral)
        // One quality serves both: the reference's two routines agree on it except at exactly 64x64.
        #expect(vector.dihedralQuality == vector.quality || (vector.width == 64 && vector.height == 64))

        let plain = PDQHasher.hash(image, dihedral: false)
        #expect(plain.hash == result.hash)
        #expect(plain.quality == result.quality)
        #expect(plain.dihedral.isEmpty)
    }

    @Test(arguments: vectors.filter { $0.width * $0.height <= 300_000 })
    func lumaPlaneEntryPointAgrees(_ vector: PDQSyntheticVector) throws {
        let image = vector.image()
        let plane = PDQLuma.plane(of: image)
        let result = plane.withUnsafeMutableBytes { raw in
            PDQHasher.hash(luma: raw.bindMemory(to: Float.self), width: vector.width, height: vector.height, dihedral: true)
        }
        #expect(result.hash.hex == vector.hash)
        #expect(result.quality == vector.quality)
        #expect(result.dihedral.map(\.hex) == vector.dihedral)
    }

    @Test func lumaFollowsNumpyDoubleFormula() {
        // 0.299*r + 0.587*g + 0.114*b in double, then one rounding: (255, 255, 255) is 255.00000000000003 -> 255.
        #expect(Float(PDQLuma.redTerms[255] + PDQLuma.greenTerms[255] + PDQLuma.blueTerms[255]) == 255)
        #expect(PDQLuma.grayLuma[100] == Float(100 * 0.299 + 100 * 0.587 + 100 * 0.114))
        let buffer = PixelBuffer(count: 6 * 5 * 3)
        buffer.withUnsafeMutableBytes { raw in for i in 0..<raw.count { raw[i] = UInt8((i * 37) & 255) } }
        let image = DecodedImage(width: 6, height: 5, layout: .rgb8, format: .png, fullWidth: 6, fullHeight: 5, pixels: buffer)
        let plane = PDQLuma.plane(of: image)
        plane.withUnsafeBytes { raw in
            let luma = raw.bindMemory(to: Float.self)
            for p in 0..<30 {
                let r = Double((p * 3 * 37) & 255), g = Double(((p * 3 + 1) * 37) & 255), b = Double(((p * 3 + 2) * 37) & 255)
                #expect(luma[p] == Float(r * 0.299 + g * 0.587 + b * 0.114))
            }
        }
    }

    @Test func jaroszWindowAndDecimation() {
        #expect(PDQHasher.jaroszWindow(1024, 64) == 8)
        #expect(PDQHasher.jaroszWindow(1025, 64) == 9)
        #expect(PDQHasher.jaroszWindow(128, 64) == 1)
        #expect(PDQHasher.jaroszWindow(5, 64) == 1)
        #expect(PDQHasher.decimationIndex(0, inCount: 1000, outCount: 64) == 7)
        #expect(PDQHasher.decimationIndex(63, inCount: 1000, outCount: 64) == 992)
        #expect(PDQHasher.decimationIndex(63, inCount: 17, outCount: 64) == 16)
    }

    @Test func torbenMedianOfKnownValues() {
        var values: [Float] = (0..<256).map { Float(($0 * 97) % 256) }
        values.withUnsafeBufferPointer { #expect(PDQHasher.torbenMedian($0.baseAddress!, count: 256) == 127) }
        values = [5, 1, 4, 2, 3]
        values.withUnsafeBufferPointer { #expect(PDQHasher.torbenMedian($0.baseAddress!, count: 5) == 3) }
    }

    @Test func bitOrderFollowsTheReferenceText() {
        // Coefficient k = i*16 + j above the median sets reference bit k; bit 255 leads the hex text.
        var block = [Float](repeating: 0, count: 256)
        for k in 128..<256 { block[k] = 1 }
        let hash = block.withUnsafeBufferPointer { PDQHasher.hashFromDCT($0.baseAddress!) }
        #expect(hash.hex == String(repeating: "f", count: 32) + String(repeating: "0", count: 32))
        for k in 0..<256 { #expect(hash.bit(k) == (k >= 128)) }
    }

    @Test func dihedralTransformsComposeLikeTheSquareGroup() {
        let block: [Float] = (0..<256).map { Float(($0 * 131) % 257) - 128 }
        func transformed(_ t: PDQHasher.Dihedral, _ a: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: 256)
            a.withUnsafeBufferPointer { src in out.withUnsafeMutableBufferPointer { t.apply(src.baseAddress!, into: $0.baseAddress!) } }
            return out
        }
        // Two quarter turns make a half turn; a flip twice is the identity.
        #expect(transformed(.rotate90, transformed(.rotate90, block)) == transformed(.rotate180, block))
        #expect(transformed(.rotate90, transformed(.rotate180, block)) == transformed(.rotate270, block))
        #expect(transformed(.flipX, transformed(.flipX, block)) == block)
        #expect(transformed(.flipPlus1, transformed(.flipPlus1, block)) == block)
        #expect(transformed(.original, block) == block)
    }

    @Test func lumaPlaneIsOnlyRead() {
        let width = 300, height = 257
        var plane = (0..<(width * height)).map { Float(($0 * 7919) % 256) + 0.25 }
        let copy = plane
        let first = plane.withUnsafeMutableBufferPointer { PDQHasher.hash(luma: $0, width: width, height: height, dihedral: true) }
        #expect(plane == copy)
        let second = plane.withUnsafeMutableBufferPointer { PDQHasher.hash(luma: $0, width: width, height: height, dihedral: true) }
        #expect(first == second)
        #expect(first.dihedral.first == first.hash)
    }

    @Test func nonFiniteLumaDoesNotTrap() {
        let width = 80, height = 90
        for poison: Float in [.nan, .infinity, -.infinity, 1e30] {
            var plane = (0..<(width * height)).map { Float($0 % 256) }
            plane[width * 40 + 17] = poison
            let result = plane.withUnsafeMutableBufferPointer { PDQHasher.hash(luma: $0, width: width, height: height, dihedral: true) }
            #expect((0...100).contains(result.quality))
            #expect(result.dihedral.count == 8)
        }
    }

    @Test func tooSmallPicturesGetAZeroHash() {
        let buffer = PixelBuffer(count: 4 * 100)
        let image = DecodedImage(width: 4, height: 100, layout: .gray8, format: .png, fullWidth: 4, fullHeight: 100, pixels: buffer)
        let result = PDQHasher.hash(image)
        #expect(result.hash.hex == String(repeating: "0", count: 64))
        #expect(result.quality == 0)
        #expect(result.dihedral.count == 8)
        #expect(PDQHasher.hash(image, dihedral: false).dihedral.isEmpty)
    }
}
