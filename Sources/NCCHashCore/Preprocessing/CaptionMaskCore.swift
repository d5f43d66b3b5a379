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
        RectMask.meanColour(of: view, rows: kept, skipping: nil)
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
        let band = PixelRect(x: 0, y: painted.lowerBound, width: view.width, height: painted.count)
        return hashMasked(view, rows: rows, rect: band, fill: CaptionMaskCore.fill(of: view, kept: kept))
    }
}
