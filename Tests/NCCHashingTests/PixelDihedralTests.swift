import Foundation
import NCCHashing
import NCCTestSupport
import Testing

/// PDQ of rotated and mirrored pixels, for banks that store the 8 variants of a victim's picture.
@Suite struct PixelDihedralTests {
    func decode(_ name: String, options: DecodeOptions = .init()) throws -> DecodedImage {
        let bytes = try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("Samples/images/\(name)"))
        return try bytes.withUnsafeBytes { try ImageDecoder.decode($0, options: options) }
    }

    /// Each pixel variant lands near the DCT-domain variant of the same index and far from the others.
    @Test(arguments: ["scikit-image__chelsea.png", "scikit-image__rocket.jpg"])
    func variantsLineUpWithTheDCTOrder(_ name: String) throws {
        let image = try decode(name)
        let dct = PDQHasher.hash(image, dihedral: true).dihedral
        let pixel = PDQHasher.pixelDihedralHashes(image)
        #expect(pixel.count == 8)
        #expect(pixel[0] == dct[0], "the identity variant is the plain hash")
        for i in 0..<8 {
            #expect(pixel[i].distance(to: dct[i]) <= 31, "variant \(i): \(pixel[i].distance(to: dct[i])) bits from its DCT counterpart")
            for j in 0..<8 where j != i {
                #expect(pixel[i].distance(to: dct[j]) > 64, "variant \(i) is far from DCT variant \(j)")
            }
        }
    }

    /// Hashing the mirrored picture itself gives the stored mirrored variant exactly.
    @Test func aMirroredPictureHashesToItsStoredVariant() throws {
        let image = try decode("scikit-image__coffee.png")
        let w = image.width, h = image.height
        let mirrored = PixelBuffer(count: w * h * 3)
        image.pixels.withUnsafeBytes { src in
            mirrored.withUnsafeMutableBytes { dst in
                for y in 0..<h {
                    for x in 0..<w {
                        for c in 0..<3 { dst[(y * w + x) * 3 + c] = src[(y * w + (w - 1 - x)) * 3 + c] }
                    }
                }
            }
        }
        let copy = DecodedImage(width: w, height: h, layout: .rgb8, format: .png, fullWidth: w, fullHeight: h, pixels: mirrored)
        #expect(PDQHasher.hash(copy, dihedral: false).hash == PDQHasher.pixelDihedralHashes(image)[5], "flipY mirrors left to right")
    }

    /// In fast mode (a DCT-scaled decode) the variants stay close to exact ones.
    @Test func fastModeVariantsStayCloseToExact() throws {
        let name = "lomiri-wallpapers-16.04__seeding_by_Clements_Engelhardt.jpg"
        let exact = PDQHasher.pixelDihedralHashes(try decode(name))
        let fast = PDQHasher.pixelDihedralHashes(try decode(name, options: HashingOptions(mode: .fast).decodeOptions))
        for i in 0..<8 { #expect(exact[i].distance(to: fast[i]) <= 8, "variant \(i)") }
    }
}
