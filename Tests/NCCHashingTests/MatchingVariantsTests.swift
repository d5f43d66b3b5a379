import Foundation
import NCCHashing
import NCCTestSupport
import Testing

/// The companion hashes a case stores and a match sends: caption masks and the low-passed luma.
@Suite struct MatchingVariantsTests {
    func decode(_ name: String, options: DecodeOptions = .init()) throws -> DecodedImage {
        let bytes = try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("Samples/images/\(name)"))
        return try bytes.withUnsafeBytes { try ImageDecoder.decode($0, options: options) }
    }

    /// A picture made by `value(x, y, channel)`.
    func picture(width: Int, height: Int, layout: PixelLayout = .rgb8, _ value: (Int, Int, Int) -> UInt8) -> DecodedImage {
        let bpp = layout.bytesPerPixel
        let buffer = PixelBuffer(count: width * height * bpp)
        buffer.withUnsafeMutableBytes { raw in
            for y in 0..<height { for x in 0..<width { for c in 0..<bpp { raw[(y * width + x) * bpp + c] = value(x, y, c) } } }
        }
        return DecodedImage(width: width, height: height, layout: layout, format: .png, fullWidth: width, fullHeight: height, pixels: buffer)
    }

    func bytes(_ image: DecodedImage) -> [UInt8] {
        image.pixels.withUnsafeBytes { Array($0.prefix(image.width * image.height * image.layout.bytesPerPixel)) }
    }

    /// Hand-checked: 40 rows, a quarter is 10; the kept rows hold 100 on the left half and 200 on the
    /// right (and 7 / 9 in the other channels), so the band is painted with their means 150, 7 and 9.
    @Test(arguments: [CaptionMask.Edge.top, .bottom])
    func theBandIsPaintedWithTheMeanOfTheRest(_ edge: CaptionMask.Edge) {
        let image = picture(width: 8, height: 40) { x, _, c in c == 0 ? (x < 4 ? 100 : 200) : (c == 1 ? 7 : 9) }
        let masked = CaptionMask.masked(image, edge: edge)
        #expect(masked.width == 8 && masked.height == 40 && masked.layout == .rgb8)
        let before = bytes(image), after = bytes(masked)
        let band = edge == .top ? 0..<10 : 30..<40
        for y in 0..<40 {
            for x in 0..<8 {
                let i = (y * 8 + x) * 3
                if band.contains(y) {
                    #expect(Array(after[i..<i + 3]) == [150, 7, 9], "row \(y) is in the band")
                } else {
                    #expect(Array(after[i..<i + 3]) == Array(before[i..<i + 3]), "row \(y) is kept as it was")
                }
            }
        }
        #expect(bytes(image) == before, "the input is not changed")
    }

    @Test func grayPicturesAreMaskedToo() {
        let image = picture(width: 4, height: 8, layout: .gray8) { _, y, _ in UInt8(y * 10) }
        let masked = CaptionMask.masked(image, edge: .bottom)
        // Bottom quarter = rows 6 and 7; rows 0...5 hold 0, 10, ..., 50, mean 25.
        #expect(Array(bytes(masked)[24...]) == [UInt8](repeating: 25, count: 8))
        #expect(Array(bytes(masked)[..<24]) == Array(bytes(image)[..<24]))
    }

    /// A caption bar over the top 15% moves PDQ beyond the match distance; with the top quarter masked
    /// on both sides the copy lands back next to the original.
    @Test func aCaptionedCopyMatchesOnceBothAreMasked() throws {
        let image = try decode("scikit-image__chelsea.png")
        let w = image.width, h = image.height, bar = h * 15 / 100
        let captioned = picture(width: w, height: h) { x, y, c in
            if y < bar { return (y > bar / 3 && y < bar * 2 / 3 && (x / 10) % 4 != 3) ? 0 : 255 } // white bar, a line of dark "words"
            return image.pixels.withUnsafeBytes { $0[(y * w + x) * 3 + c] }
        }
        let plain = PDQHasher.hash(image, dihedral: false).hash.distance(to: PDQHasher.hash(captioned, dihedral: false).hash)
        let masked = PDQHasher.hash(CaptionMask.masked(image, edge: .top), dihedral: false).hash
            .distance(to: PDQHasher.hash(CaptionMask.masked(captioned, edge: .top), dihedral: false).hash)
        #expect(plain > 31, "the caption alone defeats plain PDQ here (\(plain) bits)")
        #expect(masked <= 8, "masked copies are \(masked) bits apart")
    }

    @Test func lowPassKeepsAFlatPictureFlat() {
        let flat = picture(width: 300, height: 200) { _, _, _ in 77 }
        let out = LowPass.filtered(flat)
        #expect(out.layout == .gray8 && out.width == 300 && out.height == 200)
        #expect(bytes(out).allSatisfy { $0 == 77 })
    }

    /// Pictures of 512 pixels or more on the shorter side are block-averaged first (here 1,100 / 256 = 4
    /// pixels a side): a one-pixel checkerboard of 0 and 254 becomes a flat 127 at a quarter of the size.
    @Test func largePicturesAreBlockAveragedFirst() {
        let board = picture(width: 2050, height: 1100, layout: .gray8) { x, y, _ in (x + y) % 2 == 0 ? 0 : 254 }
        let out = LowPass.filtered(board)
        #expect(out.width == 512 && out.height == 275)
        #expect(bytes(out).allSatisfy { $0 == 127 })
    }

    @Test func lowPassIsDeterministicAndSmooth() throws {
        let image = try decode("scikit-image__chelsea.png")
        let a = LowPass.filtered(image), b = LowPass.filtered(image)
        #expect(bytes(a) == bytes(b))
        #expect(a.width == image.width && a.height == image.height, "chelsea is under 512 pixels high: no block averaging")
        // Neighbouring pixels differ far less than in the picture itself.
        func meanStep(_ img: DecodedImage) -> Double {
            let luma = PDQLuma.plane(of: img)
            return luma.withUnsafeBytes { raw in
                let p = raw.bindMemory(to: Float.self)
                var total = 0.0
                for y in 0..<img.height { for x in 1..<img.width { total += Double(abs(p[y * img.width + x] - p[y * img.width + x - 1])) } }
                return total / Double(img.height * (img.width - 1))
            }
        }
        #expect(meanStep(a) * 2 < meanStep(image), "blurred: \(meanStep(a)) vs \(meanStep(image))")
    }

    @Test func imageHasherComputesTheCompanionsOnlyWhenAsked() throws {
        let image = try decode("scikit-image__coffee.png")
        let plain = ImageHasher.hashes(of: image)
        #expect(plain.captionMasked == nil && plain.lowPassed == nil)
        let all = ImageHasher.hashes(of: image, options: HashingOptions(captionMask: true, lowPass: true))
        let masked = try #require(all.captionMasked)
        #expect(masked.top.hash == PDQHasher.hash(CaptionMask.masked(image, edge: .top), dihedral: false).hash)
        #expect(masked.bottom.hash == PDQHasher.hash(CaptionMask.masked(image, edge: .bottom), dihedral: false).hash)
        #expect(all.lowPassed?.hash == PDQHasher.hash(LowPass.filtered(image), dihedral: false).hash)
        #expect(all.pdq == plain.pdq, "the plain hash does not change")
        #expect(masked.top.hash != masked.bottom.hash && masked.top.hash != all.pdq.hash)
    }
}
