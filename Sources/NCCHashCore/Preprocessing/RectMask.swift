/// Painting one rectangle of a picture over before hashing: what the caption masks (a band of whole rows,
/// `CaptionMaskCore`) and the corner mask (`CornerMaskCore`) share. The rectangle is painted with the rounded mean
/// of each channel over the pixels that remain, read through the view: no copy of the picture is made.
enum RectMask {
    /// The rounded mean of each channel over the pixels of `view` in `rows`, leaving out those inside `skipping`
    /// (4 values; for gray only the first counts, alpha is the mean alpha).
    static func meanColour(of view: PixelView, rows: Range<Int>, skipping rect: PixelRect?) -> (UInt8, UInt8, UInt8, UInt8) {
        let w = view.width, bpp = view.layout.bytesPerPixel
        // Int64: a 100-megapixel channel sums past 2^31 (Int is 32 bits in WebAssembly).
        var sums: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)
        var n: Int64 = 0
        for y in rows {
            let row = view.row(y)
            // The rectangle's columns are left out of its rows (it reaches the right edge: the corner mask's does).
            let end = rect.map { y >= $0.y && y < $0.y + $0.height ? $0.x : w } ?? w
            for x in 0..<end {
                let p = row + x * bpp
                sums.0 += Int64(p[0])
                if bpp >= 3 { sums.1 += Int64(p[1]); sums.2 += Int64(p[2]) }
                if bpp == 4 { sums.3 += Int64(p[3]) }
            }
            n += Int64(end)
        }
        @inline(__always) func mean(_ s: Int64) -> UInt8 { UInt8(clamping: (s + n / 2) / max(n, 1)) }
        return (mean(sums.0), mean(sums.1), mean(sums.2), mean(sums.3))
    }
}

extension PDQCore {
    /// PDQ (without dihedral variants) of `view` with `rect` painted `fill`, reading the picture's luma from `rows`
    /// (computed from `view`, or a luma plane of it).
    package static func hashMasked<Rows: PDQLumaRows>(_ view: PixelView, rows: Rows, rect: PixelRect,
                                                      fill: (UInt8, UInt8, UInt8, UInt8)) -> PDQOutcome {
        let luma = withUnsafeBytes(of: fill) { PDQLumaTerms.luma($0.baseAddress!.assumingMemoryBound(to: UInt8.self), layout: view.layout) }
        let masked = PDQRectMaskedRows(base: rows, rect: rect, luma: luma)
        let fullSize = view.isScaled ? (width: view.fullWidth, height: view.fullHeight) : nil
        return hash(rows: masked, fullSize: fullSize, dihedral: false)
    }
}

/// Luma rows of a picture whose `rect` is all one luma value.
struct PDQRectMaskedRows<Base: PDQLumaRows>: PDQLumaRows {
    let base: Base
    let rect: PixelRect
    let luma: Float
    var width: Int { base.width }
    var height: Int { base.height }
    var plane: UnsafePointer<Float>? { nil }

    func row(_ i: Int, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        guard i >= rect.y, i < rect.y + rect.height else { return base.row(i, scratch: scratch) }
        // A whole-width band (the caption masks) needs nothing of the picture's row.
        if rect.x == 0 && rect.width >= width {
            scratch.update(repeating: luma, count: width)
            return UnsafePointer(scratch)
        }
        let source = base.row(i, scratch: scratch)
        if source != UnsafePointer(scratch) { scratch.update(from: source, count: width) }
        (scratch + rect.x).update(repeating: luma, count: rect.width)
        return UnsafePointer(scratch)
    }
}
