import NCCHashCore
import NCCHashing
import Testing

/// `ImageHasher` computes every companion hash from one luma plane of the picture and rectangles of it, without
/// copying pixels (for speed: a query's full set within 3 times the plain hash, issue 14). Each hash must still be
/// the one the separate entry points give for a cut, masked or filtered copy of the picture.
@Suite struct CompanionPlaneTests {
    /// A picture with app-like chrome around a textured photo: a flat band with text-like strokes above and below,
    /// a uniform frame around everything (so borders are stripped), RGB or gray, decoded at full size or standing
    /// for a picture twice as large (as a JPEG decoded at a reduced scale in fast mode).
    func screenshot(rgb: Bool, scaled: Bool) -> DecodedImage {
        let w = 203, h = 331, frame = 6, photoTop = 70, photoHeight = 160
        let bpp = rgb ? 3 : 1
        let buffer = PixelBuffer(count: w * h * bpp)
        buffer.withUnsafeMutableBytes { dst in
            for y in 0..<h {
                for x in 0..<w {
                    var v: (Int, Int, Int)
                    if x < frame || y < frame || x >= w - frame || y >= h - frame {
                        v = (0, 0, 0)
                    } else if y >= photoTop && y < photoTop + photoHeight && x >= frame && x < w - frame {
                        let a = (x * 7 + y * 13) & 255, b = ((x * y) / 5) & 255
                        v = ((a + b) / 2, (a * 3 + y) & 255, (b + x * 2) & 255)
                    } else {
                        let stroke = (y % 40 >= 20 && y % 40 < 26) && x % 9 < 2 && x < w / 2
                        v = stroke ? (30, 30, 30) : (248, 248, 248)
                    }
                    let i = (y * w + x) * bpp
                    if rgb { dst[i] = UInt8(v.0); dst[i + 1] = UInt8(v.1); dst[i + 2] = UInt8(v.2) } else { dst[i] = UInt8(v.0) }
                }
            }
        }
        return DecodedImage(width: w, height: h, layout: rgb ? .rgb8 : .gray8, format: .png,
                            fullWidth: scaled ? 2 * w : w, fullHeight: scaled ? 2 * h : h, pixels: buffer)
    }

    /// A 2x2 collage of textured cells with white gutters.
    func collage(rgb: Bool) -> DecodedImage {
        let cell = 90, gutter = 8, w = 2 * cell + 3 * gutter, h = 2 * cell + 3 * gutter, bpp = rgb ? 3 : 1
        let buffer = PixelBuffer(count: w * h * bpp)
        buffer.withUnsafeMutableBytes { dst in
            for y in 0..<h {
                for x in 0..<w {
                    let cx = (x - gutter) % (cell + gutter), cy = (y - gutter) % (cell + gutter)
                    let inCell = x >= gutter && y >= gutter && cx < cell && cy < cell
                    let v = inCell ? ((x * 11 + y * 5 + (x / (cell + gutter)) * 60) ^ (y * 3)) & 255 : 255
                    for c in 0..<bpp { dst[(y * w + x) * bpp + c] = UInt8((v + c * 40) & 255 | (inCell ? 0 : 255)) }
                }
            }
        }
        return DecodedImage(width: w, height: h, layout: rgb ? .rgb8 : .gray8, format: .png, fullWidth: w, fullHeight: h, pixels: buffer)
    }

    func view(_ image: DecodedImage, _ body: (PixelView) -> PDQOutcome) -> PDQHash {
        image.pixels.withUnsafeBytes { raw in
            let view = PixelView(base: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), width: image.width, height: image.height,
                                 layout: image.layout == .gray8 ? .gray8 : .rgb8, fullWidth: image.fullWidth, fullHeight: image.fullHeight)
            return PDQHash(words: body(view).hash.words)
        }
    }

    /// Every companion of `image` under all options, against the separate entry points on copies.
    func expectCompanionsMatchCopies(_ image: DecodedImage) {
        var options = HashingOptions(pdqDihedral: true, unletterbox: true, pixelDihedral: true, captionMask: true, lowPass: true, centerCrops: true)
        options.pictureRegions = true
        options.straightenedCrops = true
        options.cornerMask = true
        let hashes = ImageHasher.hashes(of: image, options: options)

        #expect(hashes.pdqPixelDihedral == PDQHasher.pixelDihedralHashes(image))
        let stripped = Unletterbox.crop(image)
        if stripped.width < image.width || stripped.height < image.height {
            let perceptual = PerceptualHasher.hashes(stripped)
            let found = hashes.unletterboxed
            #expect(found?.pdq == PDQHasher.hash(stripped, dihedral: true))
            #expect(found?.phash == perceptual.phash && found?.dhash == perceptual.dhash)
            #expect(found?.width == stripped.fullWidth && found?.height == stripped.fullHeight)
        } else {
            #expect(hashes.unletterboxed == nil)
        }
        #expect(hashes.captionMasked?.top == PDQHasher.hash(CaptionMask.masked(image, edge: .top), dihedral: false))
        #expect(hashes.captionMasked?.bottom == PDQHasher.hash(CaptionMask.masked(image, edge: .bottom), dihedral: false))
        #expect(hashes.lowPassed == PDQHasher.hash(LowPass.filtered(image), dihedral: false))
        let crops = CenterCrop.Aspect.standard.compactMap { aspect in
            CenterCrop.cropped(image, to: aspect).map { ImageHashes.CenterCropped(aspect: aspect, pdq: PDQHasher.hash($0, dihedral: false)) }
        }
        #expect(hashes.centerCrops == crops)
        #expect(hashes.straightened.map(\.pdq.hash) == StraightenCore.standardDegrees.map { degrees in view(image) { PDQCore.hashStraightened($0, degrees: degrees) } })
        #expect(hashes.cornerMasked?.hash == view(image) { PDQCore.hashCornerMasked($0) })
        #expect(hashes.photoRegion == PictureRegions.photoRegion(of: image).map { PDQHasher.hash(PictureRegions.cut(image, $0), dihedral: false) })
        #expect(hashes.collageTiles == PictureRegions.collageTiles(of: image).map { PDQHasher.hash(PictureRegions.cut(image, $0), dihedral: false) })
    }

    @Test("companions from one luma plane equal the hashes of copies", arguments: [(false, false), (true, false), (false, true), (true, true)])
    func screenshots(rgb: Bool, scaled: Bool) {
        let image = screenshot(rgb: rgb, scaled: scaled)
        // The picture exercises the cuts: borders to strip and a photo region inside chrome.
        #expect(Unletterbox.crop(image).width < image.width)
        #expect(PictureRegions.photoRegion(of: image) != nil)
        expectCompanionsMatchCopies(image)
    }

    @Test("collage tiles from the plane equal the hashes of cut tiles", arguments: [false, true])
    func collages(rgb: Bool) {
        let image = collage(rgb: rgb)
        #expect(PictureRegions.collageTiles(of: image).count == 4)
        expectCompanionsMatchCopies(image)
    }

    @Test("pictures smaller than PDQ's minimum get the same companions as before")
    func tinyPictures() {
        for (w, h) in [(3, 3), (4, 9), (12, 4)] {
            let buffer = PixelBuffer(count: w * h * 3)
            buffer.withUnsafeMutableBytes { for i in 0..<$0.count { $0[i] = UInt8((i * 37) & 255) } }
            expectCompanionsMatchCopies(DecodedImage(width: w, height: h, layout: .rgb8, format: .png, fullWidth: w, fullHeight: h, pixels: buffer))
        }
    }
}
