import Testing
@testable import NCCEvaluation
import NCCHashing

@Suite("Transforms")
struct TransformTests {
    static let red: [UInt8] = [255, 0, 0]

    @Test("every transform gives the documented size", arguments: [
        ("original", 40, 30), ("jpeg-q90", 40, 30), ("jpeg-q30", 40, 30),
        ("resize-50", 20, 15), ("resize-25", 10, 8), ("resize-200", 80, 60),
        // crop: round(40 * 0.05) = 2 and round(30 * 0.05) = round(1.5) = 2 from each side
        ("crop-5", 36, 26), ("crop-10", 32, 24), ("crop-20", 24, 18),
        // pad: 4 (10% of 40) left and right, 3 (10% of 30) top and bottom
        ("pad-10", 48, 36), ("pad-20", 56, 42), ("letterbox-10", 40, 36), ("letterbox-20", 40, 42),
        ("mirror-horizontal", 40, 30), ("mirror-vertical", 40, 30),
        ("rotate-90", 30, 40), ("rotate-180", 40, 30), ("rotate-270", 30, 40), ("rotate-2", 40, 30), ("rotate-5", 40, 30),
        ("brightness+20", 40, 30), ("brightness-20", 40, 30), ("contrast+20", 40, 30), ("contrast-20", 40, 30),
        ("gamma-0.7", 40, 30), ("gamma-1.5", 40, 30), ("blur-1.5", 40, 30), ("blur-3", 40, 30), ("noise-10", 40, 30),
        ("grayscale", 40, 30), ("caption-15", 40, 30), ("caption-25", 40, 30), ("caption-bottom-15", 40, 30),
        // screenshot: 50% is 20x15, then borders round(1.2)=1 top, round(1.8)=2 bottom, round(0.8)=1 each side
        ("screenshot", 22, 18),
    ])
    func dimensions(id: String, width: Int, height: Int) throws {
        let transform = try #require(ImageTransform(id: id))
        let out = try transform.apply(to: TestImages.marked())
        #expect(out.width == width && out.height == height, "\(id): \(out.width)x\(out.height)")
        #expect(out.layout == .rgb8)
        #expect(out.fullWidth == out.width && out.fullHeight == out.height)
    }

    @Test("the standard list has every transform of the issue, once")
    func standardList() {
        let ids = ImageTransform.standard.map(\.id)
        #expect(Set(ids).count == ids.count)
        for id in ["jpeg-q90", "jpeg-q70", "jpeg-q50", "jpeg-q30", "resize-50", "resize-25", "resize-200", "crop-5", "crop-10", "crop-20",
                   "pad-10", "pad-20", "letterbox-10", "letterbox-20", "mirror-horizontal", "mirror-vertical", "rotate-90", "rotate-180",
                   "rotate-270", "rotate-2", "rotate-5", "brightness+20", "brightness-20", "contrast+20", "contrast-20", "gamma-0.7",
                   "gamma-1.5", "blur-3", "noise-10", "grayscale", "caption-15", "screenshot"] {
            #expect(ids.contains(id), "\(id) missing")
        }
    }

    /// 15% of 60 rows is 9: those rows are white but for the black word blocks, the rest is untouched;
    /// the bottom caption covers rows 51...59 instead.
    @Test("a caption bar covers its band and nothing else", arguments: [("caption-15", 0..<9), ("caption-bottom-15", 51..<60)])
    func captionBand(id: String, band: Range<Int>) throws {
        let source = TestImages.textured(width: 40, height: 60)
        let out = try #require(ImageTransform(id: id)).apply(to: source)
        var black = 0
        for y in 0..<60 {
            for x in 0..<40 {
                let p = TestImages.pixel(out, x, y)
                if band.contains(y) {
                    #expect(p == [255, 255, 255] || p == [0, 0, 0], "(\(x), \(y)) is bar or text")
                    if p == [0, 0, 0] { black += 1 }
                } else {
                    #expect(p == TestImages.pixel(source, x, y), "(\(x), \(y)) is the picture")
                }
            }
        }
        #expect(black > 0, "the bar carries text")
    }

    @Test("the marked top-left corner ends where it should", arguments: [
        // (transform, x, y) of the red pixel in the output of a 40x30 picture
        ("original", 0, 0),
        ("mirror-horizontal", 39, 0), ("mirror-vertical", 0, 29),
        ("rotate-90", 29, 0),   // clockwise: top-left goes to top-right of the 30x40 result
        ("rotate-180", 39, 29),
        ("rotate-270", 0, 39),  // clockwise 270 = counterclockwise 90: top-left goes to bottom-left
    ])
    func orientation(id: String, x: Int, y: Int) throws {
        let out = try #require(ImageTransform(id: id)).apply(to: TestImages.marked())
        #expect(TestImages.pixel(out, x, y) == Self.red)
        // And nowhere else is pure red.
        var reds = 0
        for yy in 0..<out.height { for xx in 0..<out.width where TestImages.pixel(out, xx, yy) == Self.red { reds += 1 } }
        #expect(reds == 1)
    }

    @Test("a quarter turn four times and a mirror twice give the picture back")
    func inverses() {
        let image = TestImages.marked()
        var turned = image
        for _ in 0..<4 { turned = Geometry.rotateQuarter(turned, quarterTurns: 1) }
        #expect(TestImages.same(turned, image))
        #expect(TestImages.same(Geometry.mirror(Geometry.mirror(image, horizontal: true), horizontal: true), image))
        #expect(TestImages.same(Geometry.rotateQuarter(image, quarterTurns: 2), Geometry.mirror(Geometry.mirror(image, horizontal: false), horizontal: true)))
    }

    @Test("a small rotation keeps the centre and blackens the corners")
    func smallRotation() {
        let image = TestImages.textured(width: 101, height: 81)
        let out = Geometry.rotate(image, degrees: 5)
        #expect(TestImages.pixel(out, 0, 0) == [0, 0, 0])
        #expect(TestImages.pixel(out, 100, 80) == [0, 0, 0])
        let centre = TestImages.pixel(image, 50, 40).map(Int.init), rotated = TestImages.pixel(out, 50, 40).map(Int.init)
        for c in 0..<3 { #expect(abs(centre[c] - rotated[c]) <= 2) }
        // Rotation by 0 degrees is the identity.
        #expect(TestImages.same(Geometry.rotate(image, degrees: 0), image))
    }

    @Test("every transform is deterministic", arguments: ImageTransform.standard.map(\.id))
    func deterministic(id: String) throws {
        let transform = try #require(ImageTransform(id: id))
        let image = TestImages.textured()
        #expect(TestImages.same(try transform.apply(to: image), try transform.apply(to: image)))
    }

    @Test("tone transforms move values the documented way")
    func tone() throws {
        let image = TestImages.marked()
        // The red pixel: brightness +20% keeps 255 clamped; a gradient value 40 goes to 48.
        let brighter = try ImageTransform.brightness(percent: 20).apply(to: image)
        #expect(TestImages.pixel(brighter, 0, 0) == [255, 0, 0])
        #expect(TestImages.pixel(brighter, 0, 1)[0] == 48)
        let gray = try ImageTransform.grayscale.apply(to: image)
        let g = TestImages.pixel(gray, 0, 0)
        #expect(g[0] == g[1] && g[1] == g[2] && g[0] == 76) // (255 * 19595 + 0x8000) >> 16 = 76, Pillow's L of pure red
        let gamma = try ImageTransform.gamma(tenths: 15).apply(to: image)
        #expect(TestImages.pixel(gamma, 0, 0) == [255, 0, 0]) // 0 and 255 are fixed points of any gamma
        // Resizing a flat picture keeps it flat.
        let flat = PixelOps.makeRGB(width: 30, height: 20, format: .png) { p in for i in 0..<(30 * 20 * 3) { p[i] = 123 } }
        for percent in [25, 50, 200] {
            let out = try ImageTransform.resize(percent: percent).apply(to: flat)
            #expect(TestImages.pixel(out, out.width / 2, out.height / 2) == [123, 123, 123])
            #expect(TestImages.pixel(out, 0, 0) == [123, 123, 123])
        }
    }

    @Test("transform lists parse; unknown names are refused with a stable code")
    func parsing() throws {
        #expect(try ImageTransform.parseList("all") == ImageTransform.standard)
        #expect(try ImageTransform.parseList("jpeg-*").count == 4)
        #expect(try ImageTransform.parseList("rotate-90, mirror-horizontal") == [.rotateQuarter(degrees: 90), .mirrorHorizontal])
        #expect(throws: EvaluationError.self) { try ImageTransform.parseList("sepia") }
        do { _ = try ImageTransform.parseList("sepia"); Issue.record("no error") } catch { #expect(error.code == "unknown_transform") }
    }
}

@Suite("In-memory encoding")
struct EncodingTests {
    @Test("PNG round trip is exact")
    func pngRoundTrip() throws {
        let image = TestImages.textured()
        let encoded = try InMemoryEncoder.png(image)
        #expect(encoded.count > 8)
        let decoded = try encoded.withUnsafeBytes { raw throws(ImageDecodingError) in try ImageDecoder.decode(raw) }
        #expect(decoded.format == .png)
        #expect(TestImages.same(decoded, image))
    }

    @Test("JPEG round trip is close and smaller at lower quality")
    func jpegRoundTrip() throws {
        let image = TestImages.textured()
        let high = try InMemoryEncoder.jpeg(image, quality: 90)
        let low = try InMemoryEncoder.jpeg(image, quality: 30)
        #expect(low.count < high.count)
        #expect(high.count > 0)
        // A smooth picture comes back within a few levels (4:2:0 chroma and quantisation).
        let smooth = TestImages.marked(width: 96, height: 72)
        let decoded = try InMemoryEncoder.jpeg(smooth, quality: 90).withUnsafeBytes { raw throws(ImageDecodingError) in try ImageDecoder.decode(raw) }
        #expect(decoded.format == .jpeg && decoded.width == smooth.width && decoded.height == smooth.height)
        #expect(TestImages.meanDifference(decoded, smooth) < 3)
    }

    @Test("gray pictures encode as one channel")
    func gray() throws {
        let buffer = PixelBuffer(count: 16 * 8)
        buffer.withUnsafeMutableBytes { raw in for i in 0..<raw.count { raw[i] = UInt8(i * 2) } }
        let image = DecodedImage(width: 16, height: 8, layout: .gray8, format: .png, fullWidth: 16, fullHeight: 8, pixels: buffer)
        let decoded = try InMemoryEncoder.png(image).withUnsafeBytes { raw throws(ImageDecodingError) in try ImageDecoder.decode(raw) }
        // Decoded as RGB with equal channels.
        #expect(TestImages.pixel(decoded, 3, 1) == [38, 38, 38])
    }

    @Test("bad arguments are refused with a stable code, not a crash")
    func invalid() {
        do { _ = try InMemoryEncoder.jpeg(TestImages.marked(), quality: 0); Issue.record("no error") } catch {
            #expect(error.code == "encode_invalid_argument")
        }
    }
}

@Suite("Unletterbox")
struct UnletterboxTests {
    @Test("strips black bars, white padding, and a bar around a white margin", arguments: ["letterbox-20", "pad-10", "pad-20", "letterbox-10"])
    func strips(id: String) throws {
        let image = TestImages.textured()
        let framed = try #require(ImageTransform(id: id)).apply(to: image)
        let stripped = Unletterbox.crop(framed)
        #expect(stripped.width == image.width && stripped.height == image.height)
        #expect(TestImages.same(stripped, image))
    }

    @Test("iterates: black bars around a picture with its own white margin strip to its content")
    func iterates() {
        let inner = TestImages.textured(width: 40, height: 30)
        let margin = Geometry.border(inner, top: 5, bottom: 5, left: 5, right: 5, color: (255, 255, 255))
        let barred = Geometry.border(margin, top: 8, bottom: 8, left: 0, right: 0, color: (0, 0, 0))
        #expect(TestImages.same(Unletterbox.crop(barred), inner))
        #expect(TestImages.same(Unletterbox.crop(margin), inner))
    }

    @Test("leaves pictures without borders, and flat pictures, alone")
    func leavesAlone() {
        let image = TestImages.textured()
        #expect(Unletterbox.crop(image).width == image.width)
        let flat = PixelOps.makeRGB(width: 20, height: 20, format: .png) { p in for i in 0..<1200 { p[i] = 7 } }
        let b = Unletterbox.bounds(of: flat)
        #expect(b.x == 0 && b.y == 0 && b.width == 20 && b.height == 20)
    }
}
