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
        let w = view.width, bpp = view.layout.bytesPerPixel
        // Int64: a 100-megapixel channel sums past 2^31 (Int is 32 bits in WebAssembly).
        var sums: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)
        for y in 0..<view.height {
            let row = view.row(y)
            let end = y >= corner.y && y < corner.y + corner.height ? corner.x : w
            for x in 0..<end {
                let p = row + x * bpp
                sums.0 += Int64(p[0])
                if bpp >= 3 { sums.1 += Int64(p[1]); sums.2 += Int64(p[2]) }
                if bpp == 4 { sums.3 += Int64(p[3]) }
            }
        }
        let n = Int64(w * view.height - corner.width * corner.height)
        @inline(__always) func mean(_ s: Int64) -> UInt8 { UInt8(clamping: (s + n / 2) / max(n, 1)) }
        return (mean(sums.0), mean(sums.1), mean(sums.2), mean(sums.3))
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
        let pixel: (UInt8, UInt8, UInt8, UInt8) = CornerMaskCore.fill(of: view, corner: corner)
        let luma = withUnsafeBytes(of: pixel) { PDQLumaTerms.luma($0.baseAddress!.assumingMemoryBound(to: UInt8.self), layout: view.layout) }
        let masked = PDQCornerMaskedRows(base: rows, corner: corner, luma: luma)
        let fullSize = view.isScaled ? (width: view.fullWidth, height: view.fullHeight) : nil
        return hash(rows: masked, fullSize: fullSize, dihedral: false)
    }
}

/// Luma rows of a picture whose `corner` rectangle is all one luma value.
struct PDQCornerMaskedRows<Base: PDQLumaRows>: PDQLumaRows {
    let base: Base
    let corner: PixelRect
    let luma: Float
    var width: Int { base.width }
    var height: Int { base.height }
    var plane: UnsafePointer<Float>? { nil }

    func row(_ i: Int, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        let source = base.row(i, scratch: scratch)
        guard i >= corner.y, i < corner.y + corner.height else { return source }
        if source != UnsafePointer(scratch) { scratch.update(from: source, count: width) }
        (scratch + corner.x).update(repeating: luma, count: corner.width)
        return UnsafePointer(scratch)
    }
}
