import NCCHashing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small pixel helpers shared by the transforms. Every buffer they make is a `PixelBuffer`,
/// wiped when released, including float scratch planes derived from the pixels.
enum PixelOps {
    /// A new rgb8 image of the given size whose bytes `fill` writes (they start zeroed: black).
    static func makeRGB(width: Int, height: Int, format: ImageFormat, fill: (UnsafeMutablePointer<UInt8>) -> Void) -> DecodedImage {
        precondition(width > 0 && height > 0, "a transform produced an empty picture")
        let buffer = PixelBuffer(count: width * height * 3)
        buffer.withUnsafeMutableBytes { raw in
            fill(raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return DecodedImage(width: width, height: height, layout: .rgb8, format: format,
                            fullWidth: width, fullHeight: height, pixels: buffer)
    }

    /// The image as rgb8 (gray8 is spread to three equal channels; rgb8 is returned as is).
    static func rgb(_ image: DecodedImage) -> DecodedImage {
        if image.layout == .rgb8 { return image }
        return makeRGB(width: image.width, height: image.height, format: image.format) { out in
            image.pixels.withUnsafeBytes { raw in
                let src = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                for i in 0..<(image.width * image.height) {
                    let v = src[i]
                    out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
                }
            }
        }
    }

    /// Calls `body` with read access to the rgb8 bytes of `image` (converting gray8 first).
    static func withRGB<R>(_ image: DecodedImage, _ body: (UnsafePointer<UInt8>) -> R) -> R {
        let source = rgb(image)
        return source.pixels.withUnsafeBytes { raw in body(raw.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
    }

    /// Maps every byte through a 256-entry table.
    static func mapBytes(_ image: DecodedImage, table: [UInt8]) -> DecodedImage {
        precondition(table.count == 256)
        let count = image.width * image.height * 3
        return withRGB(image) { src in
            makeRGB(width: image.width, height: image.height, format: image.format) { out in
                table.withUnsafeBufferPointer { t in
                    for i in 0..<count { out[i] = t[Int(src[i])] }
                }
            }
        }
    }

    /// Rounds and clamps a float to a byte.
    @inline(__always)
    static func byte(_ value: Float) -> UInt8 {
        if !(value > 0) { return 0 }
        if value >= 255 { return 255 }
        return UInt8(value + 0.5)
    }

    /// Pillow's `convert("L")` luma of one pixel: (R 19595 + G 38470 + B 7471 + 0x8000) >> 16.
    @inline(__always)
    static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        UInt8((UInt32(r) &* 19595 &+ UInt32(g) &* 38470 &+ UInt32(b) &* 7471 &+ 0x8000) >> 16)
    }

    /// A wiped float scratch plane of `count` floats, handed to `body`.
    static func withFloatScratch<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let buffer = PixelBuffer(count: max(count, 1) * MemoryLayout<Float>.stride)
        return buffer.withUnsafeMutableBytes { raw in
            body(raw.baseAddress!.bindMemory(to: Float.self, capacity: max(count, 1)))
        }
    }
}

/// Uniform and normal deviates from the project's seeded generator, so that noise is the same on every
/// run and machine.
extension SplitMix64 {
    /// A uniform double in [0, 1) from 53 random bits.
    mutating func unit() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// A standard normal deviate (Box-Muller).
    mutating func gaussian() -> Double {
        let u1 = max(unit(), 1e-300), u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
