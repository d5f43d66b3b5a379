/// Grayscale ("L") conversion exactly as Pillow's `Image.convert("L")` does it.
///
/// Pillow computes luma from RGB with the ITU-R 601-2 weights in 16-bit fixed point:
/// `L = (R * 19595 + G * 38470 + B * 7471 + 0x8000) >> 16`. The weights sum to 65536, so a
/// gray pixel (R = G = B = v) gives back exactly v. Alpha is ignored; gray pixels are taken as they are.
public enum PillowLuma {
    /// The L value Pillow gives an RGB pixel (0...255).
    @inlinable @inline(__always)
    public static func luma(red: UInt8, green: UInt8, blue: UInt8) -> UInt8 {
        let weighted = UInt32(red) &* 19595 &+ UInt32(green) &* 38470 &+ UInt32(blue) &* 7471 &+ 0x8000
        return UInt8(truncatingIfNeeded: weighted >> 16)
    }

    /// Converts `count` RGB pixels, `stride` bytes apart (3 packed RGB, 4 RGBA), at `rgb` to L values at `luma`.
    ///
    /// - Parameters:
    ///   - rgb: `stride * count` bytes, red, green, blue first in each pixel.
    ///   - luma: room for `count` bytes; must not overlap `rgb`.
    ///   - count: number of pixels.
    @inlinable
    public static func convertRow(rgb: UnsafePointer<UInt8>, stride: Int = 3, into luma: UnsafeMutablePointer<UInt8>, count: Int) {
        for i in 0..<count {
            let p = rgb + stride * i
            luma[i] = Self.luma(red: p[0], green: p[1], blue: p[2])
        }
    }

    /// Writes the L values of row `y` of `view` to `luma` (`view.width` bytes) and returns them: for a
    /// gray view, the row itself (nothing written).
    @inline(__always)
    public static func row(_ y: Int, of view: PixelView, scratch luma: UnsafeMutablePointer<UInt8>) -> UnsafePointer<UInt8> {
        switch view.layout {
        case .gray8: return view.row(y)
        case .rgb8: convertRow(rgb: view.row(y), stride: 3, into: luma, count: view.width)
        case .rgba8: convertRow(rgb: view.row(y), stride: 4, into: luma, count: view.width)
        }
        return UnsafePointer(luma)
    }
}
