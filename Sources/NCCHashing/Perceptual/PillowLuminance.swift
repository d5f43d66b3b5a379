import NCCHashCore

/// Grayscale ("L") conversion exactly as Pillow's `Image.convert("L")` does it (NCCHashCore's `PillowLuma`).
///
/// Pillow computes luma from RGB with the ITU-R 601-2 weights in 16-bit fixed point:
/// `L = (R * 19595 + G * 38470 + B * 7471 + 0x8000) >> 16`. The weights sum to 65536, so a
/// gray pixel (R = G = B = v) gives back exactly v. Gray (`.gray8`) images are taken as they are.
public enum PillowLuminance {
    /// The L value Pillow gives an RGB pixel (0...255).
    @inlinable @inline(__always)
    public static func luma(red: UInt8, green: UInt8, blue: UInt8) -> UInt8 {
        PillowLuma.luma(red: red, green: green, blue: blue)
    }

    /// Converts `count` packed RGB pixels at `rgb` to L values at `luma`.
    ///
    /// - Parameters:
    ///   - rgb: `3 * count` bytes, red, green, blue per pixel.
    ///   - luma: room for `count` bytes; must not overlap `rgb`.
    ///   - count: number of pixels.
    @inlinable
    public static func convertRow(rgb: UnsafePointer<UInt8>, into luma: UnsafeMutablePointer<UInt8>, count: Int) {
        PillowLuma.convertRow(rgb: rgb, stride: 3, into: luma, count: count)
    }

    /// The whole L plane of `image`, `width * height` bytes, row-major.
    ///
    /// For a `.gray8` image this is a copy of its bytes; for `.rgb8` the Pillow conversion.
    /// - Warning: This allocates a full plane. The hashers convert row by row instead; use this
    ///   only when the whole plane is needed (tests, diagnostics).
    public static func plane(of image: DecodedImage) -> PixelBuffer {
        let count = image.width * image.height
        let out = PixelBuffer(count: count)
        image.pixels.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { target in
                guard count > 0, let src = source.baseAddress, let dst = target.baseAddress else { return }
                // Raw pointers are bound to UInt8 only for this copy; both buffers hold plain bytes.
                let s = src.assumingMemoryBound(to: UInt8.self)
                let d = dst.assumingMemoryBound(to: UInt8.self)
                switch image.layout {
                case .gray8: d.update(from: s, count: count)
                case .rgb8: convertRow(rgb: s, into: d, count: count)
                }
            }
        }
        return out
    }
}
