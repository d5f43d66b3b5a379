/// Strips uniform borders (letterbox and pillarbox bars, padding, frames) from a picture before hashing.
///
/// Platforms re-post pictures inside bars of one color; PDQ sees the bars as part of the picture and
/// the copy no longer matches. Like ThreatExchange's `--photo-preprocess=unletterbox`, this removes
/// edge rows and columns that are one color, but it accepts any bar color (not only black): each side's
/// reference color is its outermost corner pixel, and a row or column is border when every channel of
/// every pixel in it is within `threshold` of that color. Top, bottom, left and right are stripped in turn,
/// each looking only at what remains, and the passes repeat until nothing changes (so a black bar around
/// a picture with its own white margin ends at the same content as the picture alone).
///
/// - Warning: Applied to a picture that is meant to have a flat frame (a painting's mat, a sky that
///   reaches the edge in one flat color), it crops that frame too, so the hash changes. Use it on the
///   matching side (uploads), and measure with `nccmatch eval` before using it when hashing for the bank.
public enum Unletterbox {
    /// Default tolerance per channel, in 0...255 units: wide enough for bars that went through JPEG
    /// (ringing and noise of a few levels), narrow enough that dark photographic edges are rarely taken.
    public static let defaultThreshold = 24

    /// The rectangle that remains once uniform borders are stripped, in pixels of `image`.
    public struct Bounds: Sendable, Hashable {
        /// First kept column.
        public var x: Int
        /// First kept row.
        public var y: Int
        /// Number of kept columns (at least 1).
        public var width: Int
        /// Number of kept rows (at least 1).
        public var height: Int
    }

    /// The bounds of the content of `image` once uniform borders are stripped.
    ///
    /// Returns the whole picture when nothing is uniform at the edges, or when stripping would leave less
    /// than `minimumKeptFraction` of the width or height (a blank or nearly blank picture is not cropped).
    /// - Parameters:
    ///   - threshold: Per-channel tolerance 0...255 (default `defaultThreshold`).
    ///   - minimumKeptFraction: The least share of each side that must remain (default 0.25).
    /// - Complexity: Reads each edge row or column until the first that is not uniform.
    public static func bounds(of image: DecodedImage, threshold: Int = defaultThreshold, minimumKeptFraction: Double = 0.25) -> Bounds {
        let w = image.width, h = image.height, bpp = image.layout.bytesPerPixel
        let whole = Bounds(x: 0, y: 0, width: w, height: h)
        guard w > 2, h > 2 else { return whole }
        let t = max(0, threshold)
        return image.pixels.withUnsafeBytes { raw -> Bounds in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            @inline(__always) func close(_ offset: Int, _ ref: Int) -> Bool {
                for c in 0..<bpp where abs(Int(p[offset + c]) - Int(p[ref + c])) > t { return false }
                return true
            }
            func rowUniform(_ y: Int, x0: Int, x1: Int, ref: Int) -> Bool {
                var x = x0
                while x < x1 {
                    if !close((y * w + x) * bpp, ref) { return false }
                    x += 1
                }
                return true
            }
            func columnUniform(_ x: Int, y0: Int, y1: Int, ref: Int) -> Bool {
                var y = y0
                while y < y1 {
                    if !close((y * w + x) * bpp, ref) { return false }
                    y += 1
                }
                return true
            }
            var top = 0, bottom = h, left = 0, right = w
            // Repeat until nothing changes: a black bar around a picture with its own white margin
            // strips to the same content as the picture itself.
            var changed = true
            while changed {
                changed = false
                let topRef = (top * w + left) * bpp
                while bottom - top > 1 && rowUniform(top, x0: left, x1: right, ref: topRef) { top += 1; changed = true }
                let bottomRef = ((bottom - 1) * w + left) * bpp
                while bottom - top > 1 && rowUniform(bottom - 1, x0: left, x1: right, ref: bottomRef) { bottom -= 1; changed = true }
                let leftRef = (top * w + left) * bpp
                while right - left > 1 && columnUniform(left, y0: top, y1: bottom, ref: leftRef) { left += 1; changed = true }
                let rightRef = (top * w + right - 1) * bpp
                while right - left > 1 && columnUniform(right - 1, y0: top, y1: bottom, ref: rightRef) { right -= 1; changed = true }
                if bottom - top <= 1 || right - left <= 1 { return whole } // one color throughout
            }
            let keptW = right - left, keptH = bottom - top
            if keptW <= 0 || keptH <= 0 || Double(keptW) < Double(w) * minimumKeptFraction || Double(keptH) < Double(h) * minimumKeptFraction {
                return whole
            }
            return Bounds(x: left, y: top, width: keptW, height: keptH)
        }
    }

    /// `image` without its uniform borders (the same image when it has none).
    ///
    /// The result has the same layout and format; `fullWidth`/`fullHeight` are scaled by the kept share.
    /// - Parameter threshold: Per-channel tolerance 0...255 (default `defaultThreshold`).
    /// - Returns: A new picture in a new wiped-on-release buffer, or `image` itself when nothing is stripped.
    public static func crop(_ image: DecodedImage, threshold: Int = defaultThreshold) -> DecodedImage {
        let b = bounds(of: image, threshold: threshold)
        if b.x == 0 && b.y == 0 && b.width == image.width && b.height == image.height { return image }
        let fullW = max(1, image.fullWidth * b.width / max(image.width, 1))
        let fullH = max(1, image.fullHeight * b.height / max(image.height, 1))
        return copy(image, bounds: b, fullWidth: fullW, fullHeight: fullH)
    }

    /// The rectangle `b` of `image` as a picture of its own (a new, zero-on-release pixel buffer), standing for
    /// `fullWidth` x `fullHeight` pixels at full resolution. Shared by every preprocessing step that cuts.
    static func copy(_ image: DecodedImage, bounds b: Bounds, fullWidth: Int, fullHeight: Int) -> DecodedImage {
        let bpp = image.layout.bytesPerPixel
        let buffer = PixelBuffer(count: b.width * b.height * bpp)
        image.pixels.withUnsafeBytes { src in
            buffer.withUnsafeMutableBytes { dst in
                let s = src.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let d = dst.baseAddress!.assumingMemoryBound(to: UInt8.self)
                for row in 0..<b.height {
                    (d + row * b.width * bpp).update(from: s + ((b.y + row) * image.width + b.x) * bpp, count: b.width * bpp)
                }
            }
        }
        return DecodedImage(width: b.width, height: b.height, layout: image.layout, format: image.format,
                            fullWidth: fullWidth, fullHeight: fullHeight, pixels: buffer)
    }
}
