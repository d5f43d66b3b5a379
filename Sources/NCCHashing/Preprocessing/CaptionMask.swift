import NCCHashCore

/// Covers the band along the top or bottom edge where a caption bar would sit, before hashing.
///
/// Re-posts often carry a caption: a bar of text laid over the top or bottom of the picture. PDQ sees the
/// bar as part of the picture, so the copy lands 40 to 120 bits from the original (see
/// `docs/robustness.md`). Masking the same band on both sides makes them comparable again: the bank
/// stores the hash of the original with its top (and bottom) `fraction` of rows painted over, the matching
/// side sends the hash of the upload with the same band painted over, and any caption no taller than the
/// band disappears under the mask. No detection is involved, so the caption's colors and layout do not
/// matter; a caption taller than the band is not covered. (The band and its color are NCCHashCore's
/// `CaptionMaskCore`, shared with the person's page.)
///
/// The band is painted with the mean of the rows that remain (per channel, rounded), so both sides paint
/// nearly the same value whatever the caption held.
///
/// - Warning: A masked hash describes only part of a picture. Store and query it *beside* the plain
///   hash, never instead of it, and keep the match distance the evaluation measured for it.
public enum CaptionMask {
    /// Which edge of the picture the masked band runs along.
    public enum Edge: String, Sendable, Hashable, CaseIterable, Codable {
        /// The top rows (meme captions).
        case top
        /// The bottom rows (subtitles, watermark bars).
        case bottom

        /// The core's name for the edge.
        var core: CaptionMaskCore.Edge { self == .top ? .top : .bottom }
    }

    /// The share of the height masked by default: covers captions up to a quarter of the height.
    public static let defaultFraction = CaptionMaskCore.defaultFraction

    /// `image` with its top or bottom `fraction` of rows painted with the mean of the other rows.
    ///
    /// - Parameters:
    ///   - edge: The edge the band runs along.
    ///   - fraction: Share of the height painted, 0 < fraction < 1 (clamped to leave at least one row
    ///     on each side); rounded to whole rows of `image`.
    /// - Returns: A new picture in a new wiped-on-release buffer, same size, layout and full-resolution size.
    public static func masked(_ image: DecodedImage, edge: Edge, fraction: Double = defaultFraction) -> DecodedImage {
        let w = image.width, h = image.height, bpp = image.layout.bytesPerPixel
        let buffer = PixelBuffer(count: w * h * bpp)
        image.pixels.withUnsafeBytes { src in
            buffer.withUnsafeMutableBytes { dst in
                dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[0..<(w * h * bpp)]))
            }
        }
        guard h > 1, w > 0 else {
            return DecodedImage(width: w, height: h, layout: image.layout, format: image.format,
                                fullWidth: image.fullWidth, fullHeight: image.fullHeight, pixels: buffer)
        }
        let (painted, kept) = CaptionMaskCore.band(height: h, edge: edge.core, fraction: fraction)
        let f = image.withPixelView { CaptionMaskCore.fill(of: $0, kept: kept) }
        let fill = [f.0, f.1, f.2, f.3]
        buffer.withUnsafeMutableBytes { dst in
            let d = dst.baseAddress!.assumingMemoryBound(to: UInt8.self)
            for y in painted {
                let row = d + y * w * bpp
                for x in 0..<w { for c in 0..<bpp { row[x * bpp + c] = fill[c] } }
            }
        }
        return DecodedImage(width: w, height: h, layout: image.layout, format: image.format,
                            fullWidth: image.fullWidth, fullHeight: image.fullHeight, pixels: buffer)
    }
}
