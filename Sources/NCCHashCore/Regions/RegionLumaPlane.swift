/// The 8-bit luma of a picture (Pillow's weights for RGB and RGBA, the bytes themselves for gray), with the row
/// and column statistics `PictureRegionsCore`'s searches classify lines by.
///
/// A packed gray picture is read in place; any other is converted once into a buffer wiped when released.
struct RegionLumaPlane {
    let width: Int
    let height: Int
    /// Row `y` starts at `base + y * stride`.
    let base: UnsafePointer<UInt8>
    let stride: Int
    /// Owns the converted luma (nil when the picture's own gray bytes are read).
    let storage: WipedBuffer?

    init(_ view: PixelView) {
        width = view.width
        height = view.height
        if view.layout == .gray8 {
            // A gray picture's bytes are its luma already: read them in place.
            base = view.base
            stride = view.rowBytes
            storage = nil
            return
        }
        let buffer = WipedBuffer(count: width * height)
        let d = buffer.pointer(to: UInt8.self)
        let bpp = view.layout.bytesPerPixel
        for y in 0..<height {
            let s = view.row(y), out = d + y * width
            for x in 0..<width {
                let r = UInt32(s[bpp * x]), g = UInt32(s[bpp * x + 1]), b = UInt32(s[bpp * x + 2])
                out[x] = UInt8((r &* 19595 &+ g &* 38470 &+ b &* 7471 &+ 0x8000) >> 16)
            }
        }
        base = UnsafePointer(d)
        stride = width
        storage = buffer
    }

    /// For each row in `lines` (or column when `alongColumns`), the largest share of its pixels in `span` within
    /// `tolerance` of one value. With `background` (256 flags), the share of pixels whose value is flagged instead.
    ///
    /// Columns are read a band of rows at a time across many columns (never down one column at a time), and a
    /// row's histogram is kept in four interleaved parts, so that runs of one value (a flat gutter, app chrome) do
    /// not wait on the previous count of the same bin.
    func flatShares(alongColumns: Bool, lines: Range<Int>, span: Range<Int>, tolerance: Int = PictureRegionsCore.gutterTolerance,
                    background: [Bool]? = nil) -> [Double] {
        guard !lines.isEmpty else { return [] }
        let total = Double(max(span.count, 1))
        let p = base, stride = self.stride
        if let background {
            var table = [Int](repeating: 0, count: 256)
            for v in 0..<256 where background[v] { table[v] = 1 }
            var counts = [Int](repeating: 0, count: lines.count)
            table.withUnsafeBufferPointer { t in
                counts.withUnsafeMutableBufferPointer { c in
                    if alongColumns {
                        for y in span {
                            let row = p + y * stride + lines.lowerBound
                            for i in 0..<lines.count { c[i] += t[Int(row[i])] }
                        }
                    } else {
                        for i in 0..<lines.count {
                            let row = p + (lines.lowerBound + i) * stride
                            var k = 0
                            for x in span { k += t[Int(row[x])] }
                            c[i] = k
                        }
                    }
                }
            }
            var shares = [Double](repeating: 0, count: lines.count)
            for i in 0..<lines.count { shares[i] = Double(counts[i]) / total }
            return shares
        }
        let window = 2 * tolerance + 1
        // The most pixels within `window` consecutive values in a 256-bin histogram.
        func best(_ h: UnsafePointer<UInt32>) -> Double {
            var inWindow = 0
            for i in 0..<window { inWindow += Int(h[i]) }
            var most = inWindow
            for i in window..<256 {
                inWindow += Int(h[i]) - Int(h[i - window])
                most = max(most, inWindow)
            }
            return Double(most) / total
        }
        var shares: [Double] = []
        shares.reserveCapacity(lines.count)
        let band = 16
        var histogram = [UInt32](repeating: 0, count: 256 * band)
        histogram.withUnsafeMutableBufferPointer { hist in
            let h = hist.baseAddress!
            if alongColumns {
                var first = lines.lowerBound
                while first < lines.upperBound {
                    let n = min(band, lines.upperBound - first)
                    h.update(repeating: 0, count: 256 * band)
                    for y in span {
                        let row = p + y * stride + first
                        for c in 0..<n { h[c &* 256 &+ Int(row[c])] &+= 1 }
                    }
                    for c in 0..<n { shares.append(best(h + c * 256)) }
                    first += n
                }
            } else {
                for line in lines {
                    h.update(repeating: 0, count: 1024)
                    let row = p + line * stride
                    var x = span.lowerBound
                    while x + 4 <= span.upperBound {
                        h[Int(row[x])] &+= 1
                        h[256 &+ Int(row[x + 1])] &+= 1
                        h[512 &+ Int(row[x + 2])] &+= 1
                        h[768 &+ Int(row[x + 3])] &+= 1
                        x += 4
                    }
                    while x < span.upperBound { h[Int(row[x])] &+= 1; x += 1 }
                    for i in 0..<256 { h[i] = h[i] &+ h[256 + i] &+ h[512 + i] &+ h[768 + i] }
                    shares.append(best(h))
                }
            }
        }
        return shares
    }

    /// The longest run of `true` after closing runs of `false` no longer than `gap` (the first of equal length).
    static func longestRun(_ flags: [Bool], gap: Int) -> Range<Int>? {
        var runs: [Range<Int>] = []
        var start = -1
        for i in 0..<flags.count {
            if flags[i], start < 0 { start = i }
            if !flags[i], start >= 0 { runs.append(start..<i); start = -1 }
        }
        if start >= 0 { runs.append(start..<flags.count) }
        var merged: [Range<Int>] = []
        for r in runs {
            if let last = merged.last, r.lowerBound - last.upperBound <= gap {
                merged[merged.count - 1] = last.lowerBound..<r.upperBound
            } else {
                merged.append(r)
            }
        }
        return merged.max { $0.count < $1.count }
    }

    /// The most common value of row `line` (or of column `line` when `alongColumns`), the smallest of equal counts.
    func mode(alongColumns: Bool, line: Int) -> Int {
        var histogram = [Int](repeating: 0, count: 256)
        if alongColumns {
            for y in 0..<height { histogram[Int(base[y * stride + line])] += 1 }
        } else {
            let row = base + line * stride
            for x in 0..<width { histogram[Int(row[x])] += 1 }
        }
        var most = 0
        for v in 1..<256 where histogram[v] > histogram[most] { most = v }
        return most
    }

    /// 256 flags, true within `tolerance` of `value`.
    static func flags(around value: Int, tolerance: Int) -> [Bool] {
        var flags = [Bool](repeating: false, count: 256)
        for v in max(0, value - tolerance)...min(255, value + tolerance) { flags[v] = true }
        return flags
    }

    /// The photo rectangle inside app chrome (before the last trim), or nil: see `PictureRegionsCore`.
    func photoRegion() -> PixelRect? {
        var background = [Bool](repeating: false, count: 256), sides = background
        var found = false, foundSides = false
        let edges: [(alongColumns: Bool, line: Int)] = [(false, 0), (false, height - 1), (true, 0), (true, width - 1)]
        for (alongColumns, line) in edges {
            let value = mode(alongColumns: alongColumns, line: line)
            let flags = Self.flags(around: value, tolerance: PictureRegionsCore.chromeTolerance)
            let share = flatShares(alongColumns: alongColumns, lines: line..<(line + 1), span: 0..<(alongColumns ? height : width), background: flags)[0]
            guard share >= PictureRegionsCore.backgroundEdgeShare else { continue }
            for v in 0..<256 where flags[v] { background[v] = true }
            found = true
            if alongColumns {
                for v in 0..<256 where flags[v] { sides[v] = true }
                foundSides = true
            }
        }
        guard found else { return nil }
        if let region = photoRegion(background: background) { return region }
        // A photo whose own tones lie near the header's colour (a dark sky under a teal or dark bar) has rows
        // taken for chrome and is cut into pieces: a second search counts only the values of the screen's
        // sides (a chat's wallpaper, a feed's background) as chrome, the colours that run beside the photo.
        guard foundSides, sides != background else { return nil }
        return photoRegion(background: sides)
    }

    /// The longest run of non-chrome lines of `lines` over `span`, gaps of up to 0.5% of the side closed.
    private func content(alongColumns: Bool, lines: Range<Int>, span: Range<Int>, background: [Bool]) -> Range<Int>? {
        let shares = flatShares(alongColumns: alongColumns, lines: lines, span: span, background: background)
        var flags = [Bool](repeating: false, count: shares.count)
        for i in 0..<shares.count { flags[i] = shares[i] < PictureRegionsCore.chromeShare }
        let gap = max(1, (alongColumns ? width : height) / 200)
        guard let run = Self.longestRun(flags, gap: gap) else { return nil }
        return (run.lowerBound + lines.lowerBound)..<(run.upperBound + lines.lowerBound)
    }

    private func photoRegion(background: [Bool]) -> PixelRect? {
        guard var rows = content(alongColumns: false, lines: 0..<height, span: 0..<width, background: background),
              let columns = content(alongColumns: true, lines: 0..<width, span: rows, background: background) else { return nil }
        if let refined = content(alongColumns: false, lines: rows, span: columns, background: background) { rows = refined }
        guard Double(rows.count * columns.count) >= 0.25 * PictureRegionsCore.minimumRegionShare * Double(width * height),
              Double(rows.count) >= 0.1 * Double(height),
              Double(columns.count) >= PictureRegionsCore.minimumRegionShare * Double(width) else { return nil }
        // App chrome surrounds the photo: above and below it, or on its left and right. A picture cut on one
        // side only (a photo with a flat sky) is not a screenshot.
        func margin(_ n: Int) -> Int { max(2, n / 100) }
        let above = rows.lowerBound >= margin(height), below = height - rows.upperBound >= margin(height)
        let left = columns.lowerBound >= margin(width), right = width - columns.upperBound >= margin(width)
        guard (above && below) || (left && right) else { return nil }
        return PixelRect(x: columns.lowerBound, y: rows.lowerBound, width: columns.count, height: rows.count)
    }

    /// The pieces of `part` between runs of gutter lines across it (`alongColumns`: vertical gutters), with
    /// gutters at its edges trimmed; nil unless there are 2 to 6 pieces, each at least `minimumTileShare`.
    ///
    /// With `value` (256 flags: the gutter value found by the first split), only lines flat at that value are
    /// gutters: a picture's own flat band of another colour does not split its tile.
    func split(_ part: PixelRect, alongColumns: Bool, value: [Bool]? = nil) -> [PixelRect]? {
        let lines = alongColumns ? part.x..<(part.x + part.width) : part.y..<(part.y + part.height)
        let span = alongColumns ? part.y..<(part.y + part.height) : part.x..<(part.x + part.width)
        let shares = flatShares(alongColumns: alongColumns, lines: lines, span: span, background: value)
        var pieces: [Range<Int>] = []
        var start = -1
        for i in 0..<shares.count {
            let gutter = shares[i] >= PictureRegionsCore.gutterShare
            if !gutter, start < 0 { start = i }
            if gutter, start >= 0 { pieces.append(start..<i); start = -1 }
        }
        if start >= 0 { pieces.append(start..<shares.count) }
        let least = max(4, Int(PictureRegionsCore.minimumTileShare * Double(lines.count)))
        // Thin pieces between gutters are lines of a drawing, not tiles: they must be wide enough.
        guard (2...6).contains(pieces.count), pieces.allSatisfy({ $0.count >= least }) else { return nil }
        return pieces.map { r in
            alongColumns
                ? PixelRect(x: part.x + r.lowerBound, y: part.y, width: r.count, height: part.height)
                : PixelRect(x: part.x, y: part.y + r.lowerBound, width: part.width, height: r.count)
        }
    }

    /// The tiles of a collage before the last trim, largest first, at most `PictureRegionsCore.maximumTiles`.
    func collageTiles() -> [PixelRect] {
        let whole = PixelRect(x: 0, y: 0, width: width, height: height)
        var best: [PixelRect] = []
        for acrossFirst in [false, true] {
            guard let first = split(whole, alongColumns: acrossFirst) else { continue }
            // The gutter's value: the most common one of the first gutter line after the first piece.
            let line = acrossFirst ? first[0].x + first[0].width : first[0].y + first[0].height
            let gutterValue = mode(alongColumns: acrossFirst, line: min(line, (acrossFirst ? width : height) - 1))
            let value = Self.flags(around: gutterValue, tolerance: PictureRegionsCore.gutterTolerance)
            var tiles: [PixelRect] = []
            for piece in first {
                tiles += split(piece, alongColumns: !acrossFirst, value: value) ?? [trimmed(piece, share: PictureRegionsCore.gutterShare, background: value)]
            }
            if tiles.count > best.count { best = tiles }
        }
        return Array(best.sorted { $0.width * $0.height > $1.width * $1.height }.prefix(PictureRegionsCore.maximumTiles))
    }

    /// `piece` without flat lines along its own edges (the collage's frame beside a single cell, a bubble's
    /// margin): rows first, then columns over the kept rows, then rows again over the kept columns.
    ///
    /// A line is flat when `share` of it lies within `tolerance` of one value or, with `background` (256 flags),
    /// when `share` of it has a flagged value (a collage's gutter value). Without `background`, at most
    /// `PictureRegionsCore.maximumTrimDepth` of a side's lines go from each edge: a bubble's margin is a few
    /// pixels, while a picture's own flat sky, dark floor or plain backdrop (which the case's hash keeps) can be deep.
    func trimmed(_ piece: PixelRect, tolerance: Int = PictureRegionsCore.gutterTolerance, share: Double = PictureRegionsCore.gutterShare,
                 background: [Bool]? = nil) -> PixelRect {
        func keep(alongColumns: Bool, _ b: PixelRect) -> Range<Int> {
            let lines = alongColumns ? b.x..<(b.x + b.width) : b.y..<(b.y + b.height)
            let span = alongColumns ? b.y..<(b.y + b.height) : b.x..<(b.x + b.width)
            let shares = flatShares(alongColumns: alongColumns, lines: lines, span: span, tolerance: tolerance, background: background)
            guard var first = shares.firstIndex(where: { $0 < share }),
                  var last = shares.lastIndex(where: { $0 < share }) else { return lines }
            if background == nil {
                // Counted from the piece's own edges, over all three passes.
                let start = alongColumns ? piece.x : piece.y, end = start + (alongColumns ? piece.width : piece.height)
                let depth = PictureRegionsCore.maximumTrimDepth(end - start)
                first = max(0, min(first, start + depth - lines.lowerBound))
                last = min(lines.count - 1, max(last, end - 1 - depth - lines.lowerBound))
            }
            return (lines.lowerBound + first)..<(lines.lowerBound + last + 1)
        }
        var b = piece
        for alongColumns in [false, true, false] {
            let kept = keep(alongColumns: alongColumns, b)
            b = alongColumns ? PixelRect(x: kept.lowerBound, y: b.y, width: kept.count, height: b.height)
                             : PixelRect(x: b.x, y: kept.lowerBound, width: b.width, height: kept.count)
        }
        return b
    }
}
