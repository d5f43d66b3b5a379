/// Covers the band along the top or bottom edge where a caption bar would sit, before hashing.
///
/// Re-posts often carry a caption: a bar of text laid over the top or bottom of the picture. PDQ sees the
/// bar as part of the picture, so the copy lands 40 to 120 bits from the original (see
/// `docs/robustness.md`). Masking the same band on both sides makes them comparable again: the bank
/// stores the hash of the original with its top (and bottom) `fraction` of rows painted over, the matching
/// side sends the hash of the upload with the same band painted over, and any caption no taller than the
/// band disappears under the mask. No detection is involved; a caption taller than the band is not covered.
///
/// The band is painted with the mean of the rows that remain (per channel, rounded), so both sides paint
/// nearly the same value whatever the caption held.
///
/// - Warning: A masked hash describes only part of a picture. Store and query it *beside* the plain
///   hash, never instead of it.
public enum CaptionMaskCore {
    /// Which edge of the picture the masked band runs along.
    public enum Edge: Sendable, Equatable, CaseIterable {
        /// The top rows (meme captions).
        case top
        /// The bottom rows (subtitles, watermark bars).
        case bottom
    }

    /// The share of the height masked by default: covers captions up to a quarter of the height.
    public static let defaultFraction = 0.25

    /// The rows painted and the rows kept (half-open ranges) of a picture `height` rows tall.
    ///
    /// `fraction` (0 < fraction < 1) is rounded to whole rows and clamped to leave at least one row on each side.
    public static func band(height h: Int, edge: Edge, fraction: Double = defaultFraction) -> (painted: Range<Int>, kept: Range<Int>) {
        let band = min(max(Int((Double(h) * fraction).rounded()), 1), max(h - 1, 1))
        return edge == .top ? (0..<band, band..<h) : ((h - band)..<h, 0..<(h - band))
    }

    /// The color the band is painted with: the rounded mean of each channel over the `kept` rows of `view`
    /// (4 values; for gray only the first counts, alpha is the mean alpha).
    public static func fill(of view: PixelView, kept: Range<Int>) -> (UInt8, UInt8, UInt8, UInt8) {
        let w = view.width, bpp = view.layout.bytesPerPixel
        // Int64: a 100-megapixel channel sums past 2^31 (Int is 32 bits in WebAssembly).
        var sums: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)
        for y in kept {
            let row = view.row(y)
            for x in 0..<w {
                let p = row + x * bpp
                sums.0 += Int64(p[0])
                if bpp >= 3 { sums.1 += Int64(p[1]); sums.2 += Int64(p[2]) }
                if bpp == 4 { sums.3 += Int64(p[3]) }
            }
        }
        let n = Int64(kept.count * w)
        @inline(__always) func mean(_ s: Int64) -> UInt8 { UInt8(clamping: (s + n / 2) / max(n, 1)) }
        return (mean(sums.0), mean(sums.1), mean(sums.2), mean(sums.3))
    }
}

extension PDQCore {
    /// PDQ (without dihedral variants) of `view` with its `edge` band painted over (`CaptionMaskCore`),
    /// read through the view: no copy of the picture is made.
    public static func hashCaptionMasked(_ view: PixelView, edge: CaptionMaskCore.Edge, fraction: Double = CaptionMaskCore.defaultFraction) -> PDQOutcome {
        guard view.width >= minimumDimension, view.height >= minimumDimension else { return degenerate(dihedral: false) }
        let (painted, kept) = CaptionMaskCore.band(height: view.height, edge: edge, fraction: fraction)
        // A one-row picture is left as it is (nothing remains to take the mean of).
        guard view.height > 1 else { return hash(view, dihedral: false) }
        return hashCaptionMasked(view, rows: PDQPixelRows(view: view), painted: painted, kept: kept)
    }

    /// PDQ of `view` with its `painted` rows filled with the mean color of its `kept` rows, reading the
    /// picture's luma from `rows` (computed from `view`, or a luma plane of it).
    package static func hashCaptionMasked<Rows: PDQLumaRows>(
        _ view: PixelView, rows: Rows, painted: Range<Int>, kept: Range<Int>
    ) -> PDQOutcome {
        let f = CaptionMaskCore.fill(of: view, kept: kept)
        let pixel: (UInt8, UInt8, UInt8, UInt8) = f
        let luma = withUnsafeBytes(of: pixel) { PDQLumaTerms.luma($0.baseAddress!.assumingMemoryBound(to: UInt8.self), layout: view.layout) }
        let masked = PDQMaskedRows(base: rows, painted: painted, luma: luma)
        let fullSize = view.isScaled ? (width: view.fullWidth, height: view.fullHeight) : nil
        return hash(rows: masked, fullSize: fullSize, dihedral: false)
    }
}

/// Luma rows of a picture whose `painted` rows are all one luma value.
struct PDQMaskedRows<Base: PDQLumaRows>: PDQLumaRows {
    let base: Base
    let painted: Range<Int>
    let luma: Float
    var width: Int { base.width }
    var height: Int { base.height }
    var plane: UnsafePointer<Float>? { nil }

    func row(_ i: Int, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        guard painted.contains(i) else { return base.row(i, scratch: scratch) }
        scratch.update(repeating: luma, count: width)
        return UnsafePointer(scratch)
    }
}
