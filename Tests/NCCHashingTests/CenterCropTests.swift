import Foundation
import NCCHashing
import NCCTestSupport
import Testing

/// The centre crops a case stores so that a platform's aspect-ratio crop of the picture matches (issue 14).
@Suite struct CenterCropTests {
    func decode(_ name: String, options: DecodeOptions = .init()) throws -> DecodedImage {
        let bytes = try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("Samples/images/\(name)"))
        return try bytes.withUnsafeBytes { try ImageDecoder.decode($0, options: options) }
    }

    /// The rectangle `x, y, width, height` of `image`, copied the plain way (what a platform's cropper does).
    func cut(_ image: DecodedImage, x: Int, y: Int, width: Int, height: Int) -> DecodedImage {
        let bpp = image.layout.bytesPerPixel
        let buffer = PixelBuffer(count: width * height * bpp)
        image.pixels.withUnsafeBytes { src in
            buffer.withUnsafeMutableBytes { dst in
                for row in 0..<height {
                    for i in 0..<(width * bpp) { dst[row * width * bpp + i] = src[((y + row) * image.width + x) * bpp + i] }
                }
            }
        }
        return DecodedImage(width: width, height: height, layout: image.layout, format: image.format, fullWidth: width, fullHeight: height, pixels: buffer)
    }

    /// Chelsea is 451x300: a platform's 4:5 crop keeps the middle 240 columns, its 1:1 crop the middle 300.
    /// Each lands within a few bits of the stored crop of the same ratio and far from the plain hash.
    @Test(arguments: [(CenterCrop.Aspect.portrait4x5, 240), (.square, 300)])
    func aPlatformCropLandsNextToTheStoredCrop(aspect: CenterCrop.Aspect, keptWidth: Int) throws {
        let image = try decode("scikit-image__chelsea.png")
        #expect(image.width == 451 && image.height == 300)
        let hashes = ImageHasher.hashes(of: image, options: HashingOptions(mode: .exact, centerCrops: true))
        #expect(hashes.centerCrops.map(\.aspect) == [.square, .portrait4x5, .story9x16, .landscape16x9])
        let platformCrop = cut(image, x: (451 - keptWidth) / 2, y: 0, width: keptWidth, height: 300)
        let upload = ImageHasher.hashes(of: platformCrop, options: HashingOptions(mode: .exact))
        let stored = try #require(hashes.centerCrops.first { $0.aspect == aspect })
        let near = upload.pdq.hash.distance(to: stored.pdq.hash)
        let plain = upload.pdq.hash.distance(to: hashes.pdq.hash)
        #expect(near <= 8, "the crop is \(near) bits from the stored \(aspect) crop")
        #expect(plain > 31, "without the stored crop it is \(plain) bits away: no match")
        #expect(stored.pdq.quality >= 50)
    }

    /// Fast mode decodes a JPEG DCT-scaled; the crop is decided on the full-size shape, so it covers the
    /// same region and lands within a few bits of the exact-mode crop.
    @Test func fastAndExactCropTheSameRegion() throws {
        let bytes = try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("Samples/images/lomiri-wallpapers-16.04__seeding_by_Clements_Engelhardt.jpg"))
        let exact = try bytes.withUnsafeBytes { try ImageHasher.hashImage($0, options: HashingOptions(mode: .exact, centerCrops: true)) }
        let fast = try bytes.withUnsafeBytes { try ImageHasher.hashImage($0, options: HashingOptions(mode: .fast, centerCrops: true)) }
        #expect(exact.centerCrops.map(\.aspect) == fast.centerCrops.map(\.aspect))
        #expect(!exact.centerCrops.isEmpty)
        for (e, f) in zip(exact.centerCrops, fast.centerCrops) {
            #expect(e.pdq.hash.distance(to: f.pdq.hash) <= 20, "\(e.aspect): fast and exact differ by \(e.pdq.hash.distance(to: f.pdq.hash)) bits")
        }
    }

    /// A square picture gets no 1:1 crop; a 4:5 picture (within `minimumDifference`) no 4:5 crop.
    @Test func ratiosThePictureAlreadyHasAreLeftOut() throws {
        let square = try decode("scikit-image__astronaut.png")
        #expect(square.width == square.height)
        let hashes = ImageHasher.hashes(of: square, options: HashingOptions(centerCrops: true))
        #expect(hashes.centerCrops.map(\.aspect) == [.portrait4x5, .story9x16, .landscape16x9])
        #expect(CenterCrop.bounds(width: 400, height: 500, aspect: .portrait4x5) == nil)
        #expect(CenterCrop.bounds(width: 410, height: 500, aspect: .portrait4x5) == nil, "2.5% wider than 4:5")
        let portrait = try #require(CenterCrop.bounds(width: 500, height: 500, aspect: .portrait4x5))
        #expect([portrait.x, portrait.y, portrait.width, portrait.height] == [Int]([50, 0, 400, 500]))
        let story = try #require(CenterCrop.bounds(width: 300, height: 900, aspect: .story9x16))
        #expect([story.x, story.y, story.width, story.height] == [Int]([0, 183, 300, 533]))
    }

    /// Asking for the crops changes none of the other hashes.
    @Test func thePlainHashesStayTheSame() throws {
        let image = try decode("scikit-image__coffee.png")
        var with = ImageHasher.hashes(of: image, options: HashingOptions(centerCrops: true))
        let without = ImageHasher.hashes(of: image, options: HashingOptions())
        #expect(!with.centerCrops.isEmpty)
        with.centerCrops = []
        #expect(with == without)
    }
}
