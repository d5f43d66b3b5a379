/// Turns a picture by a few degrees and keeps the largest centred rectangle of its own shape, as phone photo
/// editors straighten a photo, before hashing.
///
/// A straightened and cropped copy moves every pixel: PDQ lands 60 to 110 bits from the original for 3 degrees
/// (docs/robustness.md, issue 14), out of reach of any query-side companion. A case therefore also stores PDQ
/// of its own picture straightened by each of `standardDegrees`; a copy straightened by about that angle, in
/// either direction, lands within a few bits of one of them. The platform sends nothing more.
///
/// The geometry is the recipe of the evaluation's `rotate-crop-*` copies: rotation counterclockwise by the angle
/// about the picture's centre (bilinear, outside black), then the centred rectangle of the picture's shape that
/// the turned picture covers, scaled by `min(w / (w cos + h sin), h / (w sin + h cos))`, less one pixel on each
/// side. It is computed on the luma plane PDQ reads, row by row, so no turned copy of the picture is kept.
/// The sine and cosine come from fixed series in double precision (not the platform's libm), so the command
/// line and the person's page (WebAssembly) compute the same bits.
///
/// - Warning: A straightened hash describes a different framing of the picture. Store it *beside* the plain
///   hash, never instead of it.
public enum StraightenCore {
    /// The angles a case stores straightened crops for, in degrees counterclockwise, in this order: +3, -3.
    /// One angle each way catches copies straightened by 2 to 4 degrees (measured in docs/robustness.md).
    public static let standardDegrees: [Int] = [3, -3]

    /// The shorter side, in pixels, a picture is averaged down to (at least) before it is turned: PDQ sees 64x64
    /// cells, and the evaluation's fast mode decodes JPEG to the same size for every hash.
    public static let workingShortSide = 256

    /// The largest angle `bounds` accepts, in degrees either way (the series are exact to double precision there).
    public static let maximumDegrees = 10

    /// Sine and cosine of `degrees` (|degrees| <= `maximumDegrees`), from their Taylor series in double precision:
    /// the same bits on every platform.
    public static func sineCosine(degrees: Int) -> (sin: Double, cos: Double) {
        let x = Double(max(-maximumDegrees, min(maximumDegrees, degrees))) * (Double.pi / 180)
        let x2 = x * x
        // Horner form, terms to x^11 and x^12: the remainder is below 1e-17 for |x| <= 0.18.
        let s = x * (1 - x2 / 6 * (1 - x2 / 20 * (1 - x2 / 42 * (1 - x2 / 72 * (1 - x2 / 110)))))
        let c = 1 - x2 / 2 * (1 - x2 / 12 * (1 - x2 / 30 * (1 - x2 / 56 * (1 - x2 / 90 * (1 - x2 / 132)))))
        return (s, c)
    }

    /// The centred rectangle that a `width` x `height` picture turned by `degrees` still fills, of the picture's
    /// own shape, less one pixel each side; nil when the picture is too small to keep one pixel.
    public static func bounds(width: Int, height: Int, degrees: Int) -> PixelRect? {
        guard width > 2, height > 2 else { return nil }
        let (s0, c) = sineCosine(degrees: degrees)
        let s = s0 < 0 ? -s0 : s0
        let w = Double(width), h = Double(height)
        let scale = min(w / (w * c + h * s), h / (w * s + h * c))
        let kw = Int(w * scale) - 2, kh = Int(h * scale) - 2
        guard kw >= 1, kh >= 1 else { return nil }
        return PixelRect(x: (width - kw) / 2, y: (height - kh) / 2, width: kw, height: kh)
    }
}

extension PDQCore {
    /// PDQ (without dihedral variants) of `view` straightened by `degrees` counterclockwise and cropped
    /// (`StraightenCore`). Builds one luma plane of the picture (4 bytes a pixel) for the turn.
    public static func hashStraightened(_ view: PixelView, degrees: Int) -> PDQOutcome {
        hashStraightened(view, degrees: [degrees])[0]
    }

    /// PDQ of `view` straightened by each of `degrees`, in that order, from one luma plane of the picture.
    public static func hashStraightened(_ view: PixelView, degrees: [Int]) -> [PDQOutcome] {
        guard view.width >= minimumDimension, view.height >= minimumDimension else { return degrees.map { _ in degenerate(dihedral: false) } }
        let plane = lumaPlane(of: view)
        defer { withExtendedLifetime(plane) {} }
        return hashStraightened(view, plane: UnsafePointer(plane.pointer(to: Float.self)), degrees: degrees)
    }

    /// PDQ of `view` straightened by each of `degrees`, reading its luma from `plane` (`lumaPlane(of: view)`).
    ///
    /// A plane whose shorter side is `2 * StraightenCore.workingShortSide` or more is first averaged over
    /// square blocks (centred, the remainder rows and columns left out) down to a shorter side of at least
    /// `workingShortSide`, and PDQ folds its full-resolution kernel onto those blocks, as it does for a JPEG
    /// decoded at a reduced scale: the turn then costs about as much for a 12-megapixel picture as for a small one.
    package static func hashStraightened(_ view: PixelView, plane: UnsafePointer<Float>, degrees: [Int]) -> [PDQOutcome] {
        let w = view.width, h = view.height
        let block = max(1, min(w, h) / StraightenCore.workingShortSide)
        var reduced: WipedBuffer? = nil
        var source = plane, sw = w, sh = h
        if block > 1 {
            sw = w / block
            sh = h / block
            let buffer = WipedBuffer(capacity: sw * sh, of: Float.self)
            let out = buffer.pointer(to: Float.self)
            let ox = (w - sw * block) / 2, oy = (h - sh * block) / 2
            let share = 1 / Float(block * block)
            for y in 0..<sh {
                let row = out + y * sw
                for x in 0..<sw { row[x] = 0 }
                for dy in 0..<block {
                    let src = plane + (oy + y * block + dy) * w + ox
                    for x in 0..<sw {
                        var sum: Float = 0
                        for dx in 0..<block { sum += src[x * block + dx] }
                        row[x] += sum
                    }
                }
                for x in 0..<sw { row[x] *= share }
            }
            reduced = buffer
            source = UnsafePointer(out)
        }
        defer { withExtendedLifetime(reduced) {} }
        return degrees.map { angle in
            guard let rect = StraightenCore.bounds(width: sw, height: sh, degrees: angle),
                  rect.width >= minimumDimension, rect.height >= minimumDimension
            else { return degenerate(dihedral: false) }
            let rows = PDQStraightenedRows(plane: source, planeWidth: sw, planeHeight: sh, rect: rect, degrees: angle)
            var fullSize: (width: Int, height: Int)? = nil
            if view.isScaled {
                // The same crop of the picture as stored, whatever size it was decoded at.
                let full = StraightenCore.bounds(width: view.fullWidth, height: view.fullHeight, degrees: angle)
                fullSize = (max(full?.width ?? rect.width, rect.width), max(full?.height ?? rect.height, rect.height))
            } else if block > 1 {
                fullSize = (rect.width * block, rect.height * block)
            }
            return hash(rows: rows, fullSize: fullSize, dihedral: false)
        }
    }
}

/// The rows of a luma plane turned by an angle about its centre (bilinear, outside black), inside `rect`,
/// computed when asked for: the same arithmetic as the evaluation's rotation, in single precision.
struct PDQStraightenedRows: PDQLumaRows {
    let source: UnsafePointer<Float>
    let planeWidth: Int
    let planeHeight: Int
    let rect: PixelRect
    let c: Float
    let s: Float

    init(plane: UnsafePointer<Float>, planeWidth: Int, planeHeight: Int, rect: PixelRect, degrees: Int) {
        self.source = plane
        self.planeWidth = planeWidth
        self.planeHeight = planeHeight
        self.rect = rect
        let (sine, cosine) = StraightenCore.sineCosine(degrees: degrees)
        c = Float(cosine)
        s = Float(sine)
    }

    var width: Int { rect.width }
    var height: Int { rect.height }
    var plane: UnsafePointer<Float>? { nil }

    func row(_ i: Int, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        let w = planeWidth, h = planeHeight
        let cx = Float(w) / 2, cy = Float(h) / 2
        let dy = Float(rect.y + i) + 0.5 - cy
        for j in 0..<rect.width {
            let dx = Float(rect.x + j) + 0.5 - cx
            // Inverse rotation (y grows downwards, so counterclockwise on screen turns the y-down coordinates clockwise).
            let sx = c * dx - s * dy + cx - 0.5
            let sy = s * dx + c * dy + cy - 0.5
            let x0f = sx.rounded(.down), y0f = sy.rounded(.down)
            let x0 = Int(x0f), y0 = Int(y0f)
            let fx = sx - x0f, fy = sy - y0f
            var v: Float = 0
            if x0 >= 0, y0 >= 0, x0 < w - 1, y0 < h - 1 {
                // All four neighbours inside (every sample but the crop's outermost ones): the same sums, unchecked.
                let p = source + y0 * w + x0
                v += (1 - fx) * (1 - fy) * p[0]
                v += fx * (1 - fy) * p[1]
                v += (1 - fx) * fy * p[w]
                v += fx * fy * p[w + 1]
                scratch[j] = v
                continue
            }
            if x0 >= 0, y0 >= 0, x0 < w, y0 < h { v += (1 - fx) * (1 - fy) * source[y0 * w + x0] }
            if x0 + 1 >= 0, y0 >= 0, x0 + 1 < w, y0 < h { v += fx * (1 - fy) * source[y0 * w + x0 + 1] }
            if x0 >= 0, y0 + 1 >= 0, x0 < w, y0 + 1 < h { v += (1 - fx) * fy * source[(y0 + 1) * w + x0] }
            if x0 + 1 >= 0, y0 + 1 >= 0, x0 + 1 < w, y0 + 1 < h { v += fx * fy * source[(y0 + 1) * w + x0 + 1] }
            scratch[j] = v
        }
        return UnsafePointer(scratch)
    }
}
