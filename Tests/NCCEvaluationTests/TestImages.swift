@testable import NCCEvaluation
import NCCHashing

/// Synthetic pictures for the transform tests: no real picture is needed or read.
enum TestImages {
    /// A `width` x `height` rgb8 picture: a smooth gradient with a pure red top-left pixel
    /// (the "marked corner") so that orientation can be followed.
    static func marked(width: Int = 40, height: Int = 30) -> DecodedImage {
        PixelOps.makeRGB(width: width, height: height, format: .png) { p in
            for y in 0..<height {
                for x in 0..<width {
                    let i = (y * width + x) * 3
                    p[i] = UInt8(40 + (x * 100) / width)
                    p[i + 1] = UInt8(60 + (y * 100) / height)
                    p[i + 2] = 90
                }
            }
            p[0] = 255; p[1] = 0; p[2] = 0
        }
    }

    /// A textured picture (smooth shapes plus a checker) that PDQ hashes with good quality.
    static func textured(width: Int = 96, height: Int = 72) -> DecodedImage {
        PixelOps.makeRGB(width: width, height: height, format: .png) { p in
            for y in 0..<height {
                for x in 0..<width {
                    let i = (y * width + x) * 3
                    let checker = ((x / 12) + (y / 9)) % 2 == 0 ? 60 : 0
                    p[i] = UInt8(min(255, 30 + x * 2 + checker))
                    p[i + 1] = UInt8(min(255, 20 + y * 3))
                    p[i + 2] = UInt8(min(255, 100 + checker + (x * y) % 50))
                }
            }
        }
    }

    /// The rgb value at (x, y).
    static func pixel(_ image: DecodedImage, _ x: Int, _ y: Int) -> [UInt8] {
        image.pixels.withUnsafeBytes { raw in
            let i = (y * image.width + x) * 3
            return [raw[i], raw[i + 1], raw[i + 2]]
        }
    }

    /// Whether two pictures have the same size and bytes.
    static func same(_ a: DecodedImage, _ b: DecodedImage) -> Bool {
        guard a.width == b.width, a.height == b.height, a.layout == b.layout else { return false }
        let n = a.width * a.height * a.layout.bytesPerPixel
        return a.pixels.withUnsafeBytes { ra in b.pixels.withUnsafeBytes { rb in ra.prefix(n).elementsEqual(rb.prefix(n)) } }
    }

    /// Mean absolute difference per byte.
    static func meanDifference(_ a: DecodedImage, _ b: DecodedImage) -> Double {
        precondition(a.width == b.width && a.height == b.height && a.layout == b.layout)
        let n = a.width * a.height * a.layout.bytesPerPixel
        return a.pixels.withUnsafeBytes { ra in
            b.pixels.withUnsafeBytes { rb in
                var total = 0
                for i in 0..<n { total += abs(Int(ra[i]) - Int(rb[i])) }
                return Double(total) / Double(n)
            }
        }
    }
}
