import Foundation
import NCCEvaluation
import NCCHashCore
import NCCHashing
import NCCTestSupport
import Testing

/// The regions a platform's query hashes besides the upload itself: the photo inside a screenshot and the
/// tiles of a collage (issue 14), and the kinds `nccmatch hash --set` names every hash by.
@Suite struct PictureRegionsTests {
    func decode(_ name: String) throws -> DecodedImage {
        let bytes = try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("Samples/images/\(name)"))
        let image = try bytes.withUnsafeBytes { try ImageDecoder.decode($0, options: DecodeOptions(preferLuma: true)) }
        guard image.layout == .rgb8 else { return image }
        // The canvases below are gray: take the luma (Pillow's weights) of an RGB picture.
        let buffer = PixelBuffer(count: image.width * image.height)
        image.pixels.withUnsafeBytes { src in
            buffer.withUnsafeMutableBytes { dst in
                for i in 0..<(image.width * image.height) {
                    let r = UInt32(src[3 * i]), g = UInt32(src[3 * i + 1]), b = UInt32(src[3 * i + 2])
                    dst[i] = UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
                }
            }
        }
        return DecodedImage(width: image.width, height: image.height, layout: .gray8, format: image.format, fullWidth: image.width, fullHeight: image.height, pixels: buffer)
    }

    /// A gray canvas of `width` x `height` filled with `background`, with `picture` (gray8) pasted at `x, y`
    /// and text-like dark strokes on the background rows `textRows`.
    func canvas(width: Int, height: Int, background: UInt8, picture: DecodedImage, x: Int, y: Int, textRows: [Range<Int>]) -> DecodedImage {
        let buffer = PixelBuffer(count: width * height)
        buffer.withUnsafeMutableBytes { dst in
            for i in 0..<(width * height) { dst[i] = background }
            for rows in textRows { for row in rows { for col in stride(from: 20, to: width / 2, by: 7) { dst[row * width + col] = 30; dst[row * width + col + 1] = 30 } } }
            picture.pixels.withUnsafeBytes { src in
                for row in 0..<picture.height { for col in 0..<picture.width { dst[(y + row) * width + x + col] = src[row * picture.width + col] } }
            }
        }
        return DecodedImage(width: width, height: height, layout: .gray8, format: .png, fullWidth: width, fullHeight: height, pixels: buffer)
    }

    @Test("the photo inside app chrome is found exactly, and its hash is the photo's own")
    func screenshotPhoto() throws {
        let photo = try decode("scikit-image__chelsea.png")
        let shot = canvas(width: photo.width, height: photo.height * 2 + 120, background: 250, picture: photo, x: 0, y: 100,
                          textRows: [20..<40, 60..<80, (photo.height + 130)..<(photo.height + 150)])
        let region = try #require(PictureRegions.photoRegion(of: shot))
        #expect(region.x == 0 && region.y == 100 && region.width == photo.width && region.height == photo.height)
        #expect(PictureRegions.isInChrome(region, of: shot))
        let hashes = ImageHasher.hashes(of: shot, options: MatchingPolicy.standard.queryHashingOptions(dihedral: false))
        #expect(hashes.photoRegion?.hash == PDQHasher.hash(photo, dihedral: false).hash)
        #expect(MatchingPolicy.standard.queryPDQ(PDQCompanions(hashes), dihedral: false).contains(PDQHasher.hash(photo, dihedral: false).hash))
    }

    @Test("a photo on its own has no region and no tiles")
    func ordinaryPhoto() throws {
        for name in ["scikit-image__chelsea.png", "scikit-image__coffee.png", "scikit-image__rocket.jpg", "lomiri-wallpapers-16.04__seeding_by_Clements_Engelhardt.jpg"] where FileManager.default.fileExists(atPath: TestPaths.packageRoot.appendingPathComponent("Samples/images/\(name)").path) {
            let photo = try decode(name)
            #expect(PictureRegions.photoRegion(of: photo) == nil)
            #expect(PictureRegions.collageTiles(of: photo).isEmpty)
        }
    }

    @Test("a 2x2 collage with white gutters gives its four tiles")
    func collage() throws {
        let photo = try decode("scikit-image__chelsea.png")
        let gutter = 10, w = photo.width * 2 + gutter * 3, h = photo.height * 2 + gutter * 3
        let buffer = PixelBuffer(count: w * h)
        buffer.withUnsafeMutableBytes { dst in
            for i in 0..<(w * h) { dst[i] = 255 }
            photo.pixels.withUnsafeBytes { src in
                for cell in 0..<4 {
                    let x0 = gutter + (cell % 2) * (photo.width + gutter), y0 = gutter + (cell / 2) * (photo.height + gutter)
                    for row in 0..<photo.height { for col in 0..<photo.width {
                        // Each cell a different picture: the photo, mirrored, upside down, both.
                        let sx = cell % 2 == 0 ? col : photo.width - 1 - col, sy = cell < 2 ? row : photo.height - 1 - row
                        dst[(y0 + row) * w + x0 + col] = src[sy * photo.width + sx]
                    } }
                }
            }
        }
        let collage = DecodedImage(width: w, height: h, layout: .gray8, format: .png, fullWidth: w, fullHeight: h, pixels: buffer)
        let tiles = PictureRegions.collageTiles(of: collage)
        #expect(tiles.count == 4)
        #expect(tiles.contains { $0.x == gutter && $0.y == gutter && $0.width == photo.width && $0.height == photo.height })
        let hashes = ImageHasher.hashes(of: collage, options: MatchingPolicy.standard.queryHashingOptions(dihedral: false))
        #expect(hashes.collageTiles.map(\.hash).contains(PDQHasher.hash(photo, dihedral: false).hash))
    }

    @Test("the kinded lists are exactly the policy's lists, in its order")
    func kinds() throws {
        let photo = try decode("scikit-image__chelsea.png")
        let policy = MatchingPolicy.standard
        let stored = PDQCompanions(ImageHasher.hashes(of: photo, options: policy.caseHashingOptions()))
        #expect(policy.storedPDQKinds(stored).map(\.hash) == policy.storedPDQ(stored))
        #expect(policy.storedPDQKinds(stored).first?.kind == "pdq")
        #expect(policy.storedPDQKinds(stored).contains { $0.kind == "center-crop-4:5" })
        let sent = PDQCompanions(ImageHasher.hashes(of: photo, options: policy.queryHashingOptions(dihedral: true)))
        for dihedral in [false, true] {
            #expect(policy.queryPDQKinds(sent, dihedral: dihedral).map(\.hash) == policy.queryPDQ(sent, dihedral: dihedral))
        }
        #expect(Set(policy.queryPDQKinds(sent, dihedral: false).map(\.kind)) == ["pdq", "caption-masked-top", "caption-masked-bottom", "low-passed", "corner-masked-bottom-right"])
    }

    @Test("the core's search on the page's RGBA pixels finds what PictureRegions finds on the command line's RGB or gray pixels")
    func coreAgreesWithPictureRegions() throws {
        let photo = try decode("scikit-image__chelsea.png")
        let rgbBytes = try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("Samples/images/scikit-image__coffee.png"))
        let rgb = try rgbBytes.withUnsafeBytes { try ImageDecoder.decode($0) }
        let transforms: [ImageTransform] = [.appScreenshot(dark: false), .appScreenshot(dark: true), .chatScreenshot, .collage(columns: 2, rows: 2)]
        var images = [photo, rgb, canvas(width: photo.width, height: photo.height * 2 + 120, background: 250, picture: photo, x: 0, y: 100,
                                         textRows: [20..<40, 60..<80, (photo.height + 130)..<(photo.height + 150)])]
        images += try transforms.map { try $0.apply(to: rgb) }
        var screenshots = 0, tiled = 0
        for image in images {
            // The same pixels as a browser canvas gives them: RGBA, alpha 255.
            var rgba = [UInt8](repeating: 255, count: image.width * image.height * 4)
            image.pixels.withUnsafeBytes { p in
                for i in 0..<(image.width * image.height) { for c in 0..<3 { rgba[i * 4 + c] = image.layout == .gray8 ? p[i] : p[i * 3 + c] } }
            }
            func rect(_ b: Unletterbox.Bounds) -> PixelRect { PixelRect(x: b.x, y: b.y, width: b.width, height: b.height) }
            rgba.withUnsafeBufferPointer { buffer in
                let view = PixelView(base: buffer.baseAddress!, width: image.width, height: image.height, layout: .rgba8)
                let region = PictureRegions.photoRegion(of: image).map(rect)
                let tiles = PictureRegions.collageTiles(of: image).map(rect)
                #expect(PictureRegionsCore.photoRegion(of: view) == region)
                #expect(PictureRegionsCore.collageTiles(of: view) == tiles)
                #expect(PictureRegionsCore.screenshotPhoto(of: view) == PictureRegions.screenshotPhoto(of: image).map(rect))
                if let region, let bounds = PictureRegions.photoRegion(of: image) {
                    #expect(PictureRegionsCore.isInChrome(region, of: view) == PictureRegions.isInChrome(bounds, of: image))
                }
                let found = PictureRegionsCore.regions(of: view)
                #expect(found.photo == region && found.tiles == tiles)
            }
            if PictureRegions.screenshotPhoto(of: image) != nil { screenshots += 1 }
            if !PictureRegions.collageTiles(of: image).isEmpty { tiled += 1 }
        }
        // Both kinds of find were exercised: the three phone screenshots and the collage.
        #expect(screenshots == 3 && tiled >= 1)
    }
}
