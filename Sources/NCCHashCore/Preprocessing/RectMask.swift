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

extension RectMask {
    /// The fills of the top and bottom caption masks (`CaptionMaskCore`) and of the corner mask (`CornerMaskCore`)
    /// of `view`, from one pass over its pixels instead of three: each is `meanColour` over its own pixels, from
    /// exact integer sums, so the values are the same.
    ///
    /// Each row's sums are taken left of the corner's first column and from it on; a caption fill adds whole rows
    /// of its kept band, the corner fill every row less the corner's part of the rows it covers.
    static func captionAndCornerFills(of view: PixelView, topKept: Range<Int>, bottomKept: Range<Int>, corner: PixelRect)
        -> (top: (UInt8, UInt8, UInt8, UInt8), bottom: (UInt8, UInt8, UInt8, UInt8), corner: (UInt8, UInt8, UInt8, UInt8)) {
        typealias Sums = (Int64, Int64, Int64, Int64)
        let w = view.width, bpp = view.layout.bytesPerPixel, split = min(max(corner.x, 0), w)
        let cornerRows = corner.y..<(corner.y + corner.height)
        @inline(__always) func add(_ a: inout Sums, _ b: Sums) { a.0 += b.0; a.1 += b.1; a.2 += b.2; a.3 += b.3 }
        @inline(__always) func sums(_ row: UnsafePointer<UInt8>, _ range: Range<Int>) -> Sums {
            // Int64 throughout: a row of a 100-megapixel picture sums past 2^31 (Int is 32 bits in WebAssembly).
            var s: Sums = (0, 0, 0, 0)
            switch bpp {
            case 1:
                for x in range { s.0 += Int64(row[x]) }
            case 3:
                for x in range { let p = row + 3 * x; s.0 += Int64(p[0]); s.1 += Int64(p[1]); s.2 += Int64(p[2]) }
            default:
                for x in range { let p = row + bpp * x; s.0 += Int64(p[0]); s.1 += Int64(p[1]); s.2 += Int64(p[2]); s.3 += Int64(p[3]) }
            }
            return s
        }
        var top: Sums = (0, 0, 0, 0), bottom: Sums = (0, 0, 0, 0), rest: Sums = (0, 0, 0, 0)
        var restCount: Int64 = 0
        for y in 0..<view.height {
            let row = view.row(y)
            let left = sums(row, 0..<split), right = sums(row, split..<w)
            var whole = left
            add(&whole, right)
            if topKept.contains(y) { add(&top, whole) }
            if bottomKept.contains(y) { add(&bottom, whole) }
            if cornerRows.contains(y) {
                add(&rest, left)
                restCount += Int64(split)
            } else {
                add(&rest, whole)
                restCount += Int64(w)
            }
        }
        @inline(__always) func mean(_ s: Sums, _ n: Int64) -> (UInt8, UInt8, UInt8, UInt8) {
            @inline(__always) func one(_ v: Int64) -> UInt8 { UInt8(clamping: (v + n / 2) / max(n, 1)) }
            return (one(s.0), one(s.1), one(s.2), one(s.3))
        }
        return (mean(top, Int64(topKept.count) * Int64(w)), mean(bottom, Int64(bottomKept.count) * Int64(w)), mean(rest, restCount))
    }
}

extension PDQCore {
    /// PDQ of `view` with its top caption band, with its bottom caption band and with its bottom-right quarter
    /// painted over: the values `hashCaptionMasked(_:rows:painted:kept:)` (top, bottom) and
    /// `hashCornerMasked(_:rows:)` give, with the three fills taken in one pass over the pixels. `view` must be
    /// at least `minimumDimension` on each side; `rows` are its luma (computed from it, or a plane of it).
    package static func hashCaptionAndCornerMasked<Rows: PDQLumaRows>(_ view: PixelView, rows: Rows)
        -> (top: PDQOutcome, bottom: PDQOutcome, corner: PDQOutcome) {
        let top = CaptionMaskCore.band(height: view.height, edge: .top)
        let bottom = CaptionMaskCore.band(height: view.height, edge: .bottom)
        let corner = CornerMaskCore.rect(width: view.width, height: view.height)
        let fills = RectMask.captionAndCornerFills(of: view, topKept: top.kept, bottomKept: bottom.kept, corner: corner)
        func band(_ painted: Range<Int>) -> PixelRect { PixelRect(x: 0, y: painted.lowerBound, width: view.width, height: painted.count) }
        return (hashMasked(view, rows: rows, rect: band(top.painted), fill: fills.top),
                hashMasked(view, rows: rows, rect: band(bottom.painted), fill: fills.bottom),
                hashMasked(view, rows: rows, rect: corner, fill: fills.corner))
    }
}
