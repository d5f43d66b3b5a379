/// Covers the bottom-right quarter of a picture, where stickers and emoji are put, before hashing.
///
/// An emoji or sticker over a tenth of the picture near a corner moves PDQ by 50 to 110 bits (docs/robustness.md,
/// issue 14); the caption masks (`CaptionMaskCore`) cover only the top and bottom quarter of the height. The bank
/// stores PDQ of the original with its bottom-right quarter (half the width by half the height) painted over, and
/// the matching side sends the upload's hash with the same quarter painted over: a sticker inside that quarter
/// disappears under the mask. As with the caption masks, no detection is involved and the fill is the rounded
/// mean of each channel over the pixels that remain, so both sides paint nearly the same value.
///
/// - Warning: A masked hash describes only three quarters of a picture. Store and query it *beside* the plain
///   hash, never instead of it.
public enum CornerMaskCore {
    /// The share of the width and of the height the masked corner spans.
    public static let fraction = 0.5

    /// The bottom-right rectangle painted over in a `width` x `height` picture (at least one pixel stays
    /// outside it on each axis for pictures of at least 2 x 2).
    public static func rect(width w: Int, height h: Int) -> PixelRect {
        let mw = min(max(Int((Double(w) * fraction).rounded()), 1), max(w - 1, 1))
        let mh = min(max(Int((Double(h) * fraction).rounded()), 1), max(h - 1, 1))
        return PixelRect(x: w - mw, y: h - mh, width: mw, height: mh)
    }

    /// The colour the corner is painted with: the rounded mean of each channel over the pixels of `view` outside
    /// `corner` (4 values; for gray only the first counts, alpha is the mean alpha).
    public static func fill(of view: PixelView, corner: PixelRect) -> (UInt8, UInt8, UInt8, UInt8) {
        RectMask.meanColour(of: view, rows: 0..<view.height, skipping: corner)
    }
}

extension PDQCore {
    /// PDQ (without dihedral variants) of `view` with its bottom-right quarter painted over (`CornerMaskCore`),
    /// read through the view: no copy of the picture is made.
    public static func hashCornerMasked(_ view: PixelView) -> PDQOutcome {
        guard view.width >= minimumDimension, view.height >= minimumDimension else { return degenerate(dihedral: false) }
        return hashCornerMasked(view, rows: PDQPixelRows(view: view))
    }

    /// PDQ of `view` with its bottom-right quarter painted over, reading the picture's luma from `rows`
    /// (computed from `view`, or a luma plane of it).
    package static func hashCornerMasked<Rows: PDQLumaRows>(_ view: PixelView, rows: Rows) -> PDQOutcome {
        let corner = CornerMaskCore.rect(width: view.width, height: view.height)
        return hashMasked(view, rows: rows, rect: corner, fill: CornerMaskCore.fill(of: view, corner: corner))
    }
}
