/// Blurs a picture's luma by a fixed share of its size before hashing, so that blurred, re-brightened
/// and heavily re-encoded copies land near the original.
///
/// PDQ keeps the signs of 256 low-frequency DCT coefficients of a 64x64 reduction. On fine textures
/// (bricks, grass) those coefficients are small and a Gaussian blur of a few pixels, clipped highlights or
/// strong JPEG artefacts flip many of them: the copy lands 32 to 54 bits away (see `docs/robustness.md`).
/// Blurring both sides first with a Gaussian of `relativeSigma` times the shorter side removes the
/// detail those edits change, while keeping what tells pictures apart (measured: the closest different
/// pictures stay as far apart as without it).
///
/// The result is a gray picture (PDQ's luma, rounded to bytes) of less than 512 pixels on its shorter
/// side: larger pictures are first averaged over whole blocks (PDQ reduces every picture to 64x64 anyway,
/// and a blur this wide leaves nothing finer), which bounds time and memory (about 9 bytes per output pixel).
///
/// - Warning: A low-passed hash is a *companion* to the plain hash: store and query it beside the
///   plain one, never instead of it.
public enum LowPassCore {
    /// Standard deviation of the blur as a share of the shorter side (2 pixels at 256).
    public static let relativeSigma = 1.0 / 128
    /// Pictures with a shorter side of at least twice this are block-averaged down to it first.
    package static let workingShortSide = 256

    /// Width and height of the filtered picture of a `width` x `height` picture.
    public static func outputSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let factor = max(1, min(width, height) / workingShortSide)
        return (max(1, width / factor), max(1, height / factor))
    }

    /// The luma of `view`, blurred by `relativeSigma` of its shorter side, as gray bytes written to `out`
    /// (`outputSize(width:height:)` of them, row-major).
    ///
    /// Deterministic: the same pixels give the same bytes on every machine (integer-sized boxes, `Float`
    /// sums in a fixed order).
    public static func filter(_ view: PixelView, into out: UnsafeMutablePointer<UInt8>) {
        filter(PDQPixelRows(view: view), into: out)
    }

    /// `filter(_:into:)` reading the picture's PDQ luma from `rows` (computed from a view, or a luma plane).
    package static func filter<Rows: PDQLumaRows>(_ rows: Rows, into out: UnsafeMutablePointer<UInt8>) {
        let factor = max(1, min(rows.width, rows.height) / workingShortSide)
        let (w, h) = outputSize(width: rows.width, height: rows.height)
        let plane = WipedBuffer(capacity: w * h, of: Float.self)
        let other = WipedBuffer(capacity: w * h, of: Float.self)
        let p = plane.pointer(to: Float.self), q = other.pointer(to: Float.self)
        blockAverageLuma(rows, factor: factor, into: p, width: w, height: h)
        let sigma = Double(min(w, h)) * relativeSigma
        // Three box passes of this radius approximate the Gaussian (central limit; Wells 1986).
        let radius = max(1, Int(((12 * sigma * sigma / 3 + 1).squareRoot() - 1) / 2 + 0.5))
        let scratch = WipedBuffer(capacity: max(w, h), of: Float.self)
        let line = scratch.pointer(to: Float.self)
        for _ in 0..<3 {
            for y in 0..<h { boxBlurRow(p + y * w, count: w, radius: radius, line: line) }
            boxBlurColumns(from: p, to: q, width: w, height: h, radius: radius, sums: line)
            p.update(from: q, count: w * h)
        }
        // Values are within 0...255 (averages of bytes); adding 0.5 and truncating rounds half up
        // without a libm call per pixel.
        for i in 0..<(w * h) { out[i] = UInt8(truncatingIfNeeded: Int(max(0, min(255, p[i])) + 0.5)) }
        withExtendedLifetime((plane, other, scratch)) {}
    }

    /// The filtered picture of `view` as a gray view over a new wiped buffer (keep the buffer alive while
    /// the view is used).
    public static func filtered(_ view: PixelView) -> (buffer: WipedBuffer, view: PixelView) {
        filtered(PDQPixelRows(view: view))
    }

    /// `filtered(_:)` reading the picture's PDQ luma from `rows`.
    package static func filtered<Rows: PDQLumaRows>(_ rows: Rows) -> (buffer: WipedBuffer, view: PixelView) {
        let (w, h) = outputSize(width: rows.width, height: rows.height)
        let buffer = WipedBuffer(count: w * h)
        filter(rows, into: buffer.pointer(to: UInt8.self))
        return (buffer, PixelView(base: UnsafePointer(buffer.pointer(to: UInt8.self)), width: w, height: h, layout: .gray8))
    }

    /// Writes the mean PDQ luma of each `factor`x`factor` block of `rows` into `out` (`width * height`).
    static func blockAverageLuma<Rows: PDQLumaRows>(_ rows: Rows, factor: Int, into out: UnsafeMutablePointer<Float>, width: Int, height: Int) {
        let lumaRow = WipedBuffer(capacity: rows.width, of: Float.self)
        let scratch = lumaRow.pointer(to: Float.self)
        let scale = 1 / Float(factor * factor)
        for y in 0..<height {
            let dst = out + y * width
            dst.update(repeating: 0, count: width)
            for dy in 0..<factor {
                let row = rows.row(y * factor + dy, scratch: scratch)
                for x in 0..<width {
                    var sum: Float = 0
                    for dx in 0..<factor { sum += row[x * factor + dx] }
                    dst[x] += sum
                }
            }
            for x in 0..<width { dst[x] *= scale }
        }
        withExtendedLifetime(lumaRow) {}
    }

    /// One box-filter pass of half-width `radius` along a row of `count` values, edges clamped, with a
    /// running sum (cost independent of the radius). `line` is scratch for `count` floats.
    static func boxBlurRow(_ values: UnsafeMutablePointer<Float>, count: Int, radius: Int, line: UnsafeMutablePointer<Float>) {
        line.update(from: values, count: count)
        @inline(__always) func at(_ i: Int) -> Float { line[min(max(i, 0), count - 1)] }
        let scale = 1 / Float(2 * radius + 1)
        // Rows are at most ~1,000 values of at most 255: a Float running sum drifts by less than 0.01.
        var sum: Float = 0
        for i in -radius...radius { sum += at(i) }
        // Clamped reads only near the ends; the interior reads both neighbours directly.
        let interior = radius..<max(radius, count - radius - 1)
        var i = 0
        while i < count {
            if interior.contains(i) {
                for j in i..<interior.upperBound {
                    values[j] = sum * scale
                    sum += line[j + radius + 1] - line[j - radius]
                }
                i = interior.upperBound
            } else {
                values[i] = sum * scale
                sum += at(i + radius + 1) - at(i - radius)
                i += 1
            }
        }
    }

    /// One box-filter pass of half-width `radius` down every column of `src` into `dst`, edges clamped.
    /// Walks rows, keeping one running sum per column, so memory is read in order and the inner loop
    /// vectorizes (a column-by-column walk would miss the cache on every value). `sums` holds `width` floats.
    static func boxBlurColumns(from src: UnsafeMutablePointer<Float>, to dst: UnsafeMutablePointer<Float>, width: Int, height: Int, radius: Int, sums: UnsafeMutablePointer<Float>) {
        @inline(__always) func row(_ y: Int) -> UnsafeMutablePointer<Float> { src + min(max(y, 0), height - 1) * width }
        let scale = 1 / Float(2 * radius + 1)
        sums.update(repeating: 0, count: width)
        for y in -radius...radius {
            let r = row(y)
            for x in 0..<width { sums[x] += r[x] }
        }
        for y in 0..<height {
            let out = dst + y * width, add = row(y + radius + 1), drop = row(y - radius)
            for x in 0..<width {
                out[x] = sums[x] * scale
                sums[x] += add[x] - drop[x]
            }
        }
    }
}
