import NCCHashing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Draws the flat shapes of app chrome, stickers and watermarks onto an rgb8 canvas the caller owns
/// (a wiped `PixelBuffer` made by `PixelOps.makeRGB`): rectangles, disks, rings, text-like glyph runs and
/// pictures. Every shape is clipped to the canvas; `alpha` (0...1) blends over what is there.
struct Painter {
    /// An sRGB colour.
    typealias Color = (UInt8, UInt8, UInt8)

    let pixels: UnsafeMutablePointer<UInt8>
    let width: Int
    let height: Int

    /// Paints one pixel (clipped).
    @inline(__always)
    func plot(_ x: Int, _ y: Int, _ color: Color, alpha: Float = 1) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let p = pixels + (y * width + x) * 3
        if alpha >= 1 {
            p[0] = color.0; p[1] = color.1; p[2] = color.2
        } else {
            p[0] = PixelOps.byte(Float(p[0]) * (1 - alpha) + Float(color.0) * alpha)
            p[1] = PixelOps.byte(Float(p[1]) * (1 - alpha) + Float(color.1) * alpha)
            p[2] = PixelOps.byte(Float(p[2]) * (1 - alpha) + Float(color.2) * alpha)
        }
    }

    /// Fills the rectangle `x, y, w, h`.
    func rect(_ x: Int, _ y: Int, _ w: Int, _ h: Int, _ color: Color, alpha: Float = 1) {
        let x0 = max(0, x), y0 = max(0, y), x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 { for xx in x0..<x1 { plot(xx, yy, color, alpha: alpha) } }
    }

    /// The outline of the rectangle `x, y, w, h`, `t` pixels thick.
    func frame(_ x: Int, _ y: Int, _ w: Int, _ h: Int, thickness t: Int, _ color: Color) {
        rect(x, y, w, t, color); rect(x, y + h - t, w, t, color)
        rect(x, y, t, h, color); rect(x + w - t, y, t, h, color)
    }

    /// A ring of outer radius `r` and thickness `t` (a disk when `t >= r`) centred on `cx, cy`;
    /// `keep` chooses which pixels of it are painted (by their offset from the centre), for arcs.
    func ring(_ cx: Int, _ cy: Int, _ r: Int, thickness t: Int, _ color: Color, alpha: Float = 1,
              keep: (Int, Int) -> Bool = { _, _ in true }) {
        guard r > 0 else { return }
        let outer = r * r, inner = t >= r ? -1 : (r - t) * (r - t)
        for dy in -r...r {
            for dx in -r...r {
                let d = dx * dx + dy * dy
                if d <= outer && d > inner && keep(dx, dy) { plot(cx + dx, cy + dy, color, alpha: alpha) }
            }
        }
    }

    /// A filled disk of radius `r`.
    func disk(_ cx: Int, _ cy: Int, _ r: Int, _ color: Color, alpha: Float = 1) {
        ring(cx, cy, r, thickness: r, color, alpha: alpha)
    }

    /// A rectangle with rounded corners of radius `radius`.
    func roundedRect(_ x: Int, _ y: Int, _ w: Int, _ h: Int, radius: Int, _ color: Color) {
        let r = max(0, min(radius, min(w, h) / 2))
        rect(x + r, y, w - 2 * r, h, color)
        rect(x, y + r, r, h - 2 * r, color)
        rect(x + w - r, y + r, r, h - 2 * r, color)
        for (cx, cy) in [(x + r, y + r), (x + w - r - 1, y + r), (x + r, y + h - r - 1), (x + w - r - 1, y + h - r - 1)] {
            disk(cx, cy, r, color)
        }
    }

    /// A run of text-like glyphs starting at `x, y` (top of the line), `size` pixels tall, until `length`
    /// pixels are used: words of 2 to 8 letters, each letter a few strokes `size / 8` thick (about the ink
    /// coverage of real text), shapes drawn from a generator seeded with `seed`. Returns where it ended.
    @discardableResult
    func text(_ x: Int, _ y: Int, size: Int, length: Int, _ color: Color, alpha: Float = 1, seed: UInt64) -> Int {
        var generator = SplitMix64(seed: seed)
        let letter = max(3, size * 6 / 10), stroke = max(1, size / 8), space = max(2, size * 4 / 10)
        let xHeight = size * 6 / 10, baseline = y + size * 8 / 10
        var cursor = x
        while cursor + letter <= x + length {
            let letters = 2 + Int(generator.next() % 7)
            for _ in 0..<letters where cursor + letter <= x + length {
                let shape = generator.next()
                let tall = shape & 1 == 1 // an ascender: the letter reaches the top of the line
                let top = tall ? y : baseline - xHeight
                let h = baseline - top
                if shape & 2 != 0 { rect(cursor, top, stroke, h, color, alpha: alpha) }                        // left stem
                if shape & 4 != 0 { rect(cursor + letter - stroke - 1, baseline - xHeight, stroke, xHeight, color, alpha: alpha) } // right stem
                if shape & 8 != 0 { rect(cursor, baseline - xHeight, letter - 1, stroke, color, alpha: alpha) }   // top bar
                if shape & 16 != 0 { rect(cursor, baseline - stroke, letter - 1, stroke, color, alpha: alpha) }   // bottom bar
                if shape & 30 == 0 { ring(cursor + letter / 2, baseline - xHeight / 2, letter / 2, thickness: stroke, color, alpha: alpha) } // o
                cursor += letter + max(1, stroke)
            }
            cursor += space
        }
        return cursor
    }

    /// Copies `image` (any layout) with its top-left corner at `x, y`, clipped.
    func picture(_ image: DecodedImage, at x: Int, _ y: Int) {
        PixelOps.withRGB(image) { src in
            for row in 0..<image.height where y + row >= 0 && y + row < height {
                for col in 0..<image.width where x + col >= 0 && x + col < width {
                    let s = src + (row * image.width + col) * 3
                    plot(x + col, y + row, (s[0], s[1], s[2]))
                }
            }
        }
    }

    /// An emoji-like sticker: a yellow face of radius `r` with a dark outline, two eyes and a smile.
    func emoji(_ cx: Int, _ cy: Int, radius r: Int) {
        let ink: Color = (92, 60, 8)
        disk(cx, cy, r, (255, 204, 77))
        ring(cx, cy, r, thickness: max(1, r / 14), ink)
        disk(cx - r / 3, cy - r / 4, max(1, r / 8), ink)
        disk(cx + r / 3, cy - r / 4, max(1, r / 8), ink)
        ring(cx, cy + r / 12, r * 55 / 100, thickness: max(1, r / 10), ink) { _, dy in dy > r / 6 }
    }
}
