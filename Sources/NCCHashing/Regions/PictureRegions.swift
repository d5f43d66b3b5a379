/// Finds the picture inside an upload that shows it in something else: the photo rectangle of a screenshot
/// (an app's status bar, header, action bar and caption around it) and the tiles of a collage (cells
/// separated by flat gutters). A platform's query sends the PDQ of each as one more companion hash, so that a
/// screenshot or a collage of a banked picture matches the picture's own hash.
///
/// Both searches read the picture's luma (Pillow's weights for rgb8) and classify whole rows and columns:
///
/// - **Chrome** (`photoRegion`): the screenshot's background values are the most common luma of its top
///   row, bottom row, left column and right column (a status bar, a navigation bar, a chat's wallpaper and
///   header touch the screen's edges). A row is chrome when at least `chromeShare` of its pixels lie within
///   `chromeTolerance` levels of one of them: app text and icons cover a third of a row or less, while a
///   photograph's rows are mostly other values, however smooth. The photo is the longest run of non-chrome
///   rows (gaps of up to 0.5% of the height closed), then the longest run of non-chrome columns over those
///   rows, then the rows again over those columns (a chat bubble is narrower than the screen); uniform
///   borders left inside it (a bubble's margin) are stripped as `Unletterbox` strips them. When that finds
///   nothing, the search runs once more with only the left and right columns' values as background: a photo
///   with wide areas near the header's colour (a dark sky under a teal chat header) has those rows taken for
///   chrome, while the colour beside it (the wallpaper) is what truly surrounds it.
/// - **Gutters** (`collageTiles`): a row or column is a gutter when `gutterShare` of it is within
///   `gutterTolerance` of one value. Runs of gutters across the whole of a part split it; a part is split across,
///   then each piece down (or the other way round), one level each: 2x2, 3x1 and 1x3 grids and their mixes.
///
/// - Warning: Both are heuristics. On the query side the hashes they give are sent *beside* the plain hash,
///   never instead. On the case side only `screenshotPhoto`, a stricter test, replaces a picture's hashes with
///   its photo's. A picture with a flat band across it (a sky, a dark floor, a painted margin) loses that band
///   from its region; the companion then lands further from the original than the plain hash would.
public enum PictureRegions {
    /// Tolerance, in luma levels, around a background value of the screenshot.
    public static let chromeTolerance = 5
    /// Tolerance, in luma levels, around the value a gutter is flat in (JPEG leaves a gutter within 2 or 3).
    public static let gutterTolerance = 3
    /// Share of a row (or column) within `chromeTolerance` of a background value for it to count as app chrome.
    public static let chromeShare = 0.6
    /// Share of a row (or column) within `gutterTolerance` of one value for it to count as a gutter.
    public static let gutterShare = 0.98
    /// The least share of the upload's area the photo region must cover, and of its width (a tenth of its
    /// height at least): smaller finds are a text block or an icon, not the photo.
    public static let minimumRegionShare = 0.2
    /// The least share of an edge row or column that must lie within `chromeTolerance` of its most common
    /// value for that value to count as the screenshot's background (a photo's edges are rarely that flat).
    public static let backgroundEdgeShare = 0.6
    /// The least share of each side of a part a collage tile must have.
    public static let minimumTileShare = 0.15
    /// The most lines the last trim around a found region takes from each of its edges: 2% of the side, at
    /// least 8 (a chat bubble's margin, a gutter's blurred edge); deeper flat lines are the picture's own.
    static func maximumTrimDepth(_ side: Int) -> Int { max(8, side / 50) }
    /// Most tiles hashed per upload (the largest first): a query's cost stays bounded whatever the upload.
    public static let maximumTiles = 4

    /// The photo rectangle inside a screenshot, or nil when none differs from the whole picture by at least
    /// 3% of its width or height (an ordinary photo: its plain hash already covers it).
    public static func photoRegion(of image: DecodedImage) -> Unletterbox.Bounds? {
        guard image.width >= 16, image.height >= 16 else { return nil }
        return photoRegion(in: LumaPlane(image), of: image)
    }

    private static func photoRegion(in plane: LumaPlane, of image: DecodedImage) -> Unletterbox.Bounds? {
        guard let found = plane.photoRegion() else { return nil }
        // A margin of one colour left around the photo (a chat bubble's, with its rounded corners) is trimmed.
        let b = plane.trimmed(found, tolerance: edgeTolerance, share: edgeShare)
        guard Double(image.height - b.height) >= 0.03 * Double(image.height) || Double(image.width - b.width) >= 0.03 * Double(image.width) else { return nil }
        return b
    }

    /// The tiles of a collage, largest first (at most `maximumTiles`), or empty when the picture is not split
    /// by gutters into 2 to 6 tiles each at least `minimumTileShare` of its part.
    public static func collageTiles(of image: DecodedImage) -> [Unletterbox.Bounds] {
        guard image.width >= 16, image.height >= 16 else { return [] }
        return collageTiles(in: LumaPlane(image))
    }

    private static func collageTiles(in plane: LumaPlane) -> [Unletterbox.Bounds] {
        plane.collageTiles().map { plane.trimmed($0, tolerance: edgeTolerance, share: edgeShare) }
    }

    /// Tolerance, in luma levels, of the last trim around a found region: edge rows and columns with
    /// `edgeShare` of their pixels within it of one value (a bubble's margin, a gutter's blurred edge) go.
    public static let edgeTolerance = 6
    /// See `edgeTolerance`.
    public static let edgeShare = 0.9

    /// Whether `region` is surrounded by chrome with text or icons rather than by uniform borders only: true
    /// when stripping uniform borders (`Unletterbox`) leaves more than 2% of the height of the picture outside
    /// `region` both above and below it, or 2% of the width both left and right of it. A screenshot's plain hashes
    /// then describe the app more than the photo, and two screenshots of different pictures in one app would match
    /// through them: `screenshotPhoto` uses it so that a case stores the photo's hashes instead (a query still
    /// sends both; `ImageHashes.photoRegionInChrome` reports it).
    public static func isInChrome(_ region: Unletterbox.Bounds, of image: DecodedImage) -> Bool {
        let b = Unletterbox.bounds(of: image)
        let dx = Double(image.width) * 0.02, dy = Double(image.height) * 0.02
        // Chrome with ink on both sides (above and below, or left and right): a caption bar on one side and a
        // flat band on the other is a captioned picture, which keeps every hash.
        return (Double(region.x - b.x) > dx && Double((b.x + b.width) - (region.x + region.width)) > dx)
            || (Double(region.y - b.y) > dy && Double((b.y + b.height) - (region.y + region.height)) > dy)
    }

    /// The photo inside a screenshot's app chrome, or nil when the picture is not confidently such a screenshot:
    /// the picture has a phone screen's shape (portrait, at least `screenshotMinimumAspect` times as tall as wide),
    /// `photoRegion` found a photo and `isInChrome` says chrome with text or icons lies on both sides of it. What
    /// a case stores the hashes of *instead of* the whole picture's (`HashingOptions.photoRegionCase`): a
    /// screenshot's own hashes describe the app, and screenshots of other pictures in the same app land near them.
    /// - Warning: A picture wrongly taken for a screenshot keeps only its photo's hashes in a case; an ordinary
    ///   photo, a captioned picture or a collage is never one (tested over the corpus, docs/robustness.md).
    public static func screenshotPhoto(of image: DecodedImage) -> Unletterbox.Bounds? {
        guard Double(image.height) >= screenshotMinimumAspect * Double(image.width) else { return nil }
        guard let region = photoRegion(of: image), isInChrome(region, of: image) else { return nil }
        return region
    }

    /// The least height over width of a picture `screenshotPhoto` takes for a phone screenshot: phones since
    /// 16:9 (1.78) are taller than this, while photos (4:3, 3:2, square, landscape) are not. Without it, drawings on
    /// white, pictures with black corners and wallpapers with flat bands were taken for screenshots in the corpus.
    public static let screenshotMinimumAspect = 1.7

    /// The rectangle `b` of `image` as a picture of its own (for hashing).
    public static func cut(_ image: DecodedImage, _ b: Unletterbox.Bounds) -> DecodedImage {
        let full = fullSize(of: b, in: image)
        return Unletterbox.copy(image, bounds: b, fullWidth: full.width, fullHeight: full.height)
    }

    /// The size at full resolution that the rectangle `b` of `image` stands for (its share of the picture's
    /// full size, rounded): what `cut` gives the region and what its PDQ is computed for.
    public static func fullSize(of b: Unletterbox.Bounds, in image: DecodedImage) -> (width: Int, height: Int) {
        (max(1, Int((Double(b.width) * Double(image.fullWidth) / Double(image.width)).rounded())),
         max(1, Int((Double(b.height) * Double(image.fullHeight) / Double(image.height)).rounded())))
    }

    /// `photoRegion(of:)` and `collageTiles(of:)` together, from one luma plane of the picture (what a query
    /// computes: the plane is built once instead of once per search).
    public static func regions(of image: DecodedImage) -> (photo: Unletterbox.Bounds?, tiles: [Unletterbox.Bounds]) {
        guard image.width >= 16, image.height >= 16 else { return (nil, []) }
        let plane = LumaPlane(image)
        return (photoRegion(in: plane, of: image), collageTiles(in: plane))
    }
}

/// The luma of a picture in a wiped buffer, with the row and column statistics the region searches use.
struct LumaPlane {
    let width: Int
    let height: Int
    let buffer: PixelBuffer

    init(_ image: DecodedImage) {
        width = image.width
        height = image.height
        // A gray picture's bytes are its luma already: read them in place.
        if image.layout == .gray8 && image.pixels.count >= width * height {
            buffer = image.pixels
            return
        }
        buffer = PixelBuffer(count: width * height)
        let count = width * height
        let layout = image.layout
        image.pixels.withUnsafeBytes { src in
            buffer.withUnsafeMutableBytes { dst in
                let s = src.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let d = dst.baseAddress!.assumingMemoryBound(to: UInt8.self)
                if layout == .gray8 {
                    d.update(from: s, count: count)
                } else {
                    for i in 0..<count {
                        let r = UInt32(s[3 * i]), g = UInt32(s[3 * i + 1]), b = UInt32(s[3 * i + 2])
                        d[i] = UInt8((r &* 19595 &+ g &* 38470 &+ b &* 7471 &+ 0x8000) >> 16)
                    }
                }
            }
        }
    }

    /// For each row in `lines` (or column when `alongColumns`), the largest share of its pixels in `span` within
    /// `tolerance` of one value. With `background` (256 flags), the share of pixels whose value is flagged instead.
    ///
    /// Columns are read a band of rows at a time across many columns (never down one column at a time), and a
    /// row's histogram is kept in four interleaved parts, so that runs of one value (a flat gutter, app chrome) do
    /// not wait on the previous count of the same bin.
    func flatShares(alongColumns: Bool, lines: Range<Int>, span: Range<Int>, tolerance: Int = PictureRegions.gutterTolerance, background: [Bool]? = nil) -> [Double] {
        guard !lines.isEmpty else { return [] }
        let total = Double(max(span.count, 1))
        let width = self.width
        return buffer.withUnsafeBytes { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            if let background {
                let table = background.map { $0 ? 1 : 0 }
                return table.withUnsafeBufferPointer { t in
                    var counts = [Int](repeating: 0, count: lines.count)
                    counts.withUnsafeMutableBufferPointer { c in
                        if alongColumns {
                            for y in span {
                                let row = p + y * width + lines.lowerBound
                                for i in 0..<lines.count { c[i] += t[Int(row[i])] }
                            }
                        } else {
                            for (i, line) in lines.enumerated() {
                                let row = p + line * width
                                var k = 0
                                for x in span { k += t[Int(row[x])] }
                                c[i] = k
                            }
                        }
                    }
                    return counts.map { Double($0) / total }
                }
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
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 256 * band) { hist in
                let h = hist.baseAddress!
                if alongColumns {
                    var first = lines.lowerBound
                    while first < lines.upperBound {
                        let n = min(band, lines.upperBound - first)
                        h.initialize(repeating: 0, count: 256 * band)
                        for y in span {
                            let row = p + y * width + first
                            for c in 0..<n { h[c &* 256 &+ Int(row[c])] &+= 1 }
                        }
                        for c in 0..<n { shares.append(best(h + c * 256)) }
                        first += n
                    }
                } else {
                    for line in lines {
                        h.initialize(repeating: 0, count: 1024)
                        let row = p + line * width
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
    }

    /// The longest run of `true` after closing runs of `false` no longer than `gap`.
    static func longestRun(_ flags: [Bool], gap: Int) -> Range<Int>? {
        var runs: [Range<Int>] = []
        var start: Int?
        for (i, f) in flags.enumerated() {
            if f, start == nil { start = i }
            if !f, let s = start { runs.append(s..<i); start = nil }
        }
        if let s = start { runs.append(s..<flags.count) }
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

    /// The most common value of row `y` (or of column `x` when `alongColumns`).
    func mode(alongColumns: Bool, line: Int) -> Int {
        buffer.withUnsafeBytes { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var histogram = [Int](repeating: 0, count: 256)
            if alongColumns { for y in 0..<height { histogram[Int(p[y * width + line])] += 1 } } else { for x in 0..<width { histogram[Int(p[line * width + x])] += 1 } }
            return histogram.indices.max { histogram[$0] < histogram[$1] }!
        }
    }

    func photoRegion() -> Unletterbox.Bounds? {
        var background = [Bool](repeating: false, count: 256), sides = background
        var found = false, foundSides = false
        for (alongColumns, line) in [(false, 0), (false, height - 1), (true, 0), (true, width - 1)] {
            let value = mode(alongColumns: alongColumns, line: line)
            var flags = [Bool](repeating: false, count: 256)
            for v in max(0, value - PictureRegions.chromeTolerance)...min(255, value + PictureRegions.chromeTolerance) { flags[v] = true }
            let share = flatShares(alongColumns: alongColumns, lines: line..<(line + 1), span: 0..<(alongColumns ? height : width), background: flags)[0]
            guard share >= PictureRegions.backgroundEdgeShare else { continue }
            for v in flags.indices where flags[v] { background[v] = true }
            found = true
            if alongColumns { for v in flags.indices where flags[v] { sides[v] = true }; foundSides = true }
        }
        guard found else { return nil }
        if let region = photoRegion(background: background) { return region }
        // A photo whose own tones lie near the header's colour (a dark sky under a teal or dark bar) has rows
        // taken for chrome and is cut into pieces: a second search counts only the values of the screen's
        // sides (a chat's wallpaper, a feed's background) as chrome, the colours that run beside the photo.
        guard foundSides, sides != background else { return nil }
        return photoRegion(background: sides)
    }

    private func photoRegion(background: [Bool]) -> Unletterbox.Bounds? {
        let threshold = PictureRegions.chromeShare
        func content(alongColumns: Bool, lines: Range<Int>, span: Range<Int>) -> Range<Int>? {
            let flags = flatShares(alongColumns: alongColumns, lines: lines, span: span, background: background).map { $0 < threshold }
            let gap = max(1, (alongColumns ? width : height) / 200)
            return Self.longestRun(flags, gap: gap).map { ($0.lowerBound + lines.lowerBound)..<($0.upperBound + lines.lowerBound) }
        }
        guard var rows = content(alongColumns: false, lines: 0..<height, span: 0..<width),
              let columns = content(alongColumns: true, lines: 0..<width, span: rows) else { return nil }
        if let refined = content(alongColumns: false, lines: rows, span: columns) { rows = refined }
        guard Double(rows.count * columns.count) >= 0.25 * PictureRegions.minimumRegionShare * Double(width * height),
              Double(rows.count) >= 0.1 * Double(height),
              Double(columns.count) >= PictureRegions.minimumRegionShare * Double(width) else { return nil }
        // App chrome surrounds the photo: above and below it, or on its left and right. A picture cut on one
        // side only (a photo with a flat sky) is not a screenshot.
        let margin = { (n: Int) in max(2, n / 100) }
        let above = rows.lowerBound >= margin(height), below = height - rows.upperBound >= margin(height)
        let left = columns.lowerBound >= margin(width), right = width - columns.upperBound >= margin(width)
        guard (above && below) || (left && right) else { return nil }
        return Unletterbox.Bounds(x: columns.lowerBound, y: rows.lowerBound, width: columns.count, height: rows.count)
    }

    /// The pieces of `part` between runs of gutter lines across it (`alongColumns`: vertical gutters), with
    /// gutters at its edges trimmed; nil unless there are 2 to 6 pieces, each at least `minimumTileShare`.
    ///
    /// With `value` (256 flags: the gutter value found by the first split), only lines flat at that value are
    /// gutters: a picture's own flat band of another colour does not split its tile.
    func split(_ part: Unletterbox.Bounds, alongColumns: Bool, value: [Bool]? = nil) -> [Unletterbox.Bounds]? {
        let lines = alongColumns ? part.x..<(part.x + part.width) : part.y..<(part.y + part.height)
        let span = alongColumns ? part.y..<(part.y + part.height) : part.x..<(part.x + part.width)
        let gutter = flatShares(alongColumns: alongColumns, lines: lines, span: span, background: value).map { $0 >= PictureRegions.gutterShare }
        var pieces: [Range<Int>] = []
        var start: Int?
        for (i, g) in gutter.enumerated() {
            if !g, start == nil { start = i }
            if g, let s = start { pieces.append(s..<i); start = nil }
        }
        if let s = start { pieces.append(s..<gutter.count) }
        let least = max(4, Int(PictureRegions.minimumTileShare * Double(lines.count)))
        // Thin pieces between gutters are lines of a drawing, not tiles: they must be wide enough.
        guard (2...6).contains(pieces.count), pieces.allSatisfy({ $0.count >= least }) else { return nil }
        return pieces.map { r in
            alongColumns
                ? Unletterbox.Bounds(x: part.x + r.lowerBound, y: part.y, width: r.count, height: part.height)
                : Unletterbox.Bounds(x: part.x, y: part.y + r.lowerBound, width: part.width, height: r.count)
        }
    }

    func collageTiles() -> [Unletterbox.Bounds] {
        let whole = Unletterbox.Bounds(x: 0, y: 0, width: width, height: height)
        var best: [Unletterbox.Bounds] = []
        for acrossFirst in [false, true] {
            guard let first = split(whole, alongColumns: acrossFirst) else { continue }
            // The gutter's value: the most common one of the first gutter line after the first piece.
            let line = acrossFirst ? first[0].x + first[0].width : first[0].y + first[0].height
            let gutterValue = mode(alongColumns: acrossFirst, line: min(line, (acrossFirst ? width : height) - 1))
            var value = [Bool](repeating: false, count: 256)
            for v in max(0, gutterValue - PictureRegions.gutterTolerance)...min(255, gutterValue + PictureRegions.gutterTolerance) { value[v] = true }
            var tiles: [Unletterbox.Bounds] = []
            for piece in first {
                tiles += split(piece, alongColumns: !acrossFirst, value: value) ?? [trimmed(piece, share: PictureRegions.gutterShare, background: value)]
            }
            if tiles.count > best.count { best = tiles }
        }
        return Array(best.sorted { $0.width * $0.height > $1.width * $1.height }.prefix(PictureRegions.maximumTiles))
    }

    /// `piece` without flat lines along its own edges (the collage's frame beside a single cell, a bubble's
    /// margin): rows first, then columns over the kept rows, then rows again over the kept columns.
    ///
    /// A line is flat when `share` of it lies within `tolerance` of one value or, with `background` (256 flags),
    /// when `share` of it has a flagged value (a collage's gutter value). Without `background`, at most
    /// `PictureRegions.maximumTrimDepth` of a side's lines go from each edge: a bubble's margin is a few pixels,
    /// while a picture's own flat sky, dark floor or plain backdrop (which the case's hash keeps) can be deep.
    func trimmed(_ piece: Unletterbox.Bounds, tolerance: Int = PictureRegions.gutterTolerance, share: Double = PictureRegions.gutterShare,
                 background: [Bool]? = nil) -> Unletterbox.Bounds {
        func keep(alongColumns: Bool, _ b: Unletterbox.Bounds) -> Range<Int> {
            let lines = alongColumns ? b.x..<(b.x + b.width) : b.y..<(b.y + b.height)
            let span = alongColumns ? b.y..<(b.y + b.height) : b.x..<(b.x + b.width)
            let flags = flatShares(alongColumns: alongColumns, lines: lines, span: span, tolerance: tolerance, background: background)
            guard var first = flags.firstIndex(where: { $0 < share }),
                  var last = flags.lastIndex(where: { $0 < share }) else { return lines }
            if background == nil {
                // Counted from the piece's own edges, over all three passes.
                let start = alongColumns ? piece.x : piece.y, end = start + (alongColumns ? piece.width : piece.height)
                let depth = PictureRegions.maximumTrimDepth(end - start)
                first = max(0, min(first, start + depth - lines.lowerBound))
                last = min(lines.count - 1, max(last, end - 1 - depth - lines.lowerBound))
            }
            return (lines.lowerBound + first)..<(lines.lowerBound + last + 1)
        }
        var b = piece
        for alongColumns in [false, true, false] {
            let kept = keep(alongColumns: alongColumns, b)
            b = alongColumns ? Unletterbox.Bounds(x: kept.lowerBound, y: b.y, width: kept.count, height: b.height)
                             : Unletterbox.Bounds(x: b.x, y: kept.lowerBound, width: b.width, height: kept.count)
        }
        return b
    }
}
