/// Finds the uniform borders (letterbox and pillarbox bars, padding, frames) of a picture, so a
/// companion hash can be taken of what they surround.
///
/// Platforms re-post pictures inside bars of one color; PDQ sees the bars as part of the picture and
/// the copy no longer matches. Like ThreatExchange's `--photo-preprocess=unletterbox`, this removes
/// edge rows and columns that are one color, but it accepts any bar color (not only black): each side's
/// reference color is its outermost corner pixel, and a row or column is border when every color channel
/// of every pixel in it is within `threshold` of that color (alpha is not compared). Top, bottom, left and
/// right are stripped in turn, each looking only at what remains, and the passes repeat until nothing
/// changes (so a black bar around a picture with its own white margin ends at the same content as the
/// picture alone).
///
/// - Warning: Applied to a picture that is meant to have a flat frame (a painting's mat, a sky that
///   reaches the edge in one flat color), it crops that frame too, so the hash changes. Store its hash
///   beside the plain one, never instead of it.
public enum UnletterboxCore {
    /// Default tolerance per channel, in 0...255 units: wide enough for bars that went through JPEG
    /// (ringing and noise of a few levels), narrow enough that dark photographic edges are rarely taken.
    public static let defaultThreshold = 24

    /// The rectangle of `view` that remains once uniform borders are stripped.
    ///
    /// Returns the whole picture when nothing is uniform at the edges, or when stripping would leave less
    /// than `minimumKeptFraction` of the width or height (a blank or nearly blank picture is not cropped).
    /// - Parameters:
    ///   - threshold: Per-channel tolerance 0...255 (default `defaultThreshold`).
    ///   - minimumKeptFraction: The least share of each side that must remain (default 0.25).
    /// - Complexity: Reads each edge row or column until the first that is not uniform.
    public static func bounds(of view: PixelView, threshold: Int = defaultThreshold, minimumKeptFraction: Double = 0.25) -> PixelRect {
        let w = view.width, h = view.height, bpp = view.layout.bytesPerPixel, rowBytes = view.rowBytes
        let channels = view.layout == .gray8 ? 1 : 3
        let whole = PixelRect(x: 0, y: 0, width: w, height: h)
        guard w > 2, h > 2 else { return whole }
        let t = max(0, threshold)
        let p = view.base
        @inline(__always) func offset(_ x: Int, _ y: Int) -> Int { y * rowBytes + x * bpp }
        @inline(__always) func close(_ offset: Int, _ ref: Int) -> Bool {
            for c in 0..<channels where abs(Int(p[offset + c]) - Int(p[ref + c])) > t { return false }
            return true
        }
        func rowUniform(_ y: Int, x0: Int, x1: Int, ref: Int) -> Bool {
            var x = x0
            while x < x1 {
                if !close(offset(x, y), ref) { return false }
                x += 1
            }
            return true
        }
        func columnUniform(_ x: Int, y0: Int, y1: Int, ref: Int) -> Bool {
            var y = y0
            while y < y1 {
                if !close(offset(x, y), ref) { return false }
                y += 1
            }
            return true
        }
        var top = 0, bottom = h, left = 0, right = w
        // Repeat until nothing changes: a black bar around a picture with its own white margin
        // strips to the same content as the picture itself.
        var changed = true
        while changed {
            changed = false
            let topRef = offset(left, top)
            while bottom - top > 1 && rowUniform(top, x0: left, x1: right, ref: topRef) { top += 1; changed = true }
            let bottomRef = offset(left, bottom - 1)
            while bottom - top > 1 && rowUniform(bottom - 1, x0: left, x1: right, ref: bottomRef) { bottom -= 1; changed = true }
            let leftRef = offset(left, top)
            while right - left > 1 && columnUniform(left, y0: top, y1: bottom, ref: leftRef) { left += 1; changed = true }
            let rightRef = offset(right - 1, top)
            while right - left > 1 && columnUniform(right - 1, y0: top, y1: bottom, ref: rightRef) { right -= 1; changed = true }
            if bottom - top <= 1 || right - left <= 1 { return whole } // one color throughout
        }
        let keptW = right - left, keptH = bottom - top
        if keptW <= 0 || keptH <= 0 || Double(keptW) < Double(w) * minimumKeptFraction || Double(keptH) < Double(h) * minimumKeptFraction {
            return whole
        }
        return PixelRect(x: left, y: top, width: keptW, height: keptH)
    }

    /// The full-resolution size of the stripped rectangle `rect` of `view`: the full size scaled by the kept share.
    public static func fullSize(of rect: PixelRect, in view: PixelView) -> (width: Int, height: Int) {
        (max(1, view.fullWidth * rect.width / max(view.width, 1)), max(1, view.fullHeight * rect.height / max(view.height, 1)))
    }

    /// `view` without its uniform borders (a view of the same bytes), or nil when it has none.
    public static func stripped(_ view: PixelView, threshold: Int = defaultThreshold) -> PixelView? {
        let b = bounds(of: view, threshold: threshold)
        if b.x == 0 && b.y == 0 && b.width == view.width && b.height == view.height { return nil }
        let full = fullSize(of: b, in: view)
        return view.cropped(to: b, fullWidth: full.width, fullHeight: full.height)
    }
}
