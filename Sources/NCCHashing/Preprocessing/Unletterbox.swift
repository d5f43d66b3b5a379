import NCCHashCore

/// Strips uniform borders (letterbox and pillarbox bars, padding, frames) from a picture before hashing.
///
/// Platforms re-post pictures inside bars of one color; PDQ sees the bars as part of the picture and
/// the copy no longer matches. Like ThreatExchange's `--photo-preprocess=unletterbox`, this removes
/// edge rows and columns that are one color, but it accepts any bar color (not only black): each side's
/// reference color is its outermost corner pixel, and a row or column is border when every channel of
/// every pixel in it is within `threshold` of that color. Top, bottom, left and right are stripped in turn,
/// each looking only at what remains, and the passes repeat until nothing changes (so a black bar around
/// a picture with its own white margin ends at the same content as the picture alone). The search is
/// NCCHashCore's `UnletterboxCore`, shared with the person's page.
///
/// - Warning: Applied to a picture that is meant to have a flat frame (a painting's mat, a sky that
///   reaches the edge in one flat color), it crops that frame too, so the hash changes. Use it on the
///   matching side (uploads), and measure with `nccmatch eval` before using it when hashing for the bank.
public enum Unletterbox {
    /// Default tolerance per channel, in 0...255 units: wide enough for bars that went through JPEG
    /// (ringing and noise of a few levels), narrow enough that dark photographic edges are rarely taken.
    public static let defaultThreshold = UnletterboxCore.defaultThreshold

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
        guard image.width > 0, image.height > 0 else { return Bounds(x: 0, y: 0, width: image.width, height: image.height) }
        let r = image.withPixelView { UnletterboxCore.bounds(of: $0, threshold: threshold, minimumKeptFraction: minimumKeptFraction) }
        return Bounds(x: r.x, y: r.y, width: r.width, height: r.height)
    }

    /// `image` without its uniform borders (the same image when it has none).
    ///
    /// The result has the same layout and format; `fullWidth`/`fullHeight` are scaled by the kept share.
    /// - Parameter threshold: Per-channel tolerance 0...255 (default `defaultThreshold`).
    /// - Returns: A new picture in a new wiped-on-release buffer, or `image` itself when nothing is stripped.
    public static func crop(_ image: DecodedImage, threshold: Int = defaultThreshold) -> DecodedImage {
        let b = bounds(of: image, threshold: threshold)
        if b.x == 0 && b.y == 0 && b.width == image.width && b.height == image.height { return image }
        let full = image.withPixelView { UnletterboxCore.fullSize(of: PixelRect(x: b.x, y: b.y, width: b.width, height: b.height), in: $0) }
        return copy(image, bounds: b, fullWidth: full.width, fullHeight: full.height)
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
