import NCCHashing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The copies apps and people make (issue 14's real-world family): screenshots of a post or a chat,
/// collages, stickers, watermarks, straightened photos and thumbnails. Each recipe is fixed (sizes, colours,
/// seeds), so every run makes the same pixels; docs/robustness.md lists the recipes. The callers re-encode
/// the result as JPEG through libjpeg, as the app or the messenger would.
enum RealWorldCopies {
    /// Phone screen size of the screenshots: 720 x 1560 (an HD+ phone, 19.5:9).
    static let phoneWidth = 720, phoneHeight = 1560

    /// The picture scaled (Lanczos-3) to `width` pixels wide, first centre-cropped to no taller than
    /// `maxTall` (height over width), as feeds and chats show tall pictures.
    static func displayed(_ image: DecodedImage, width: Int, maxTall: Double) -> DecodedImage {
        var source = image
        if Double(image.height) / Double(image.width) > maxTall {
            source = Geometry.cropToAspect(image, width: 1000, height: Int((1000 * maxTall).rounded()))
        }
        let h = max(1, Int((Double(width) * Double(source.height) / Double(source.width)).rounded()))
        return LanczosResize.resize(source, width: width, height: h)
    }

    /// A screenshot of the picture posted in a photo-sharing app, 720 x 1560: status bar (clock, signal,
    /// battery), post header (avatar, name, menu dots), the picture at the screen's full width (tall
    /// pictures centre-cropped to 4:5), the action bar (heart, comment, share, bookmark icons), likes and a
    /// two-line caption, the next post's header and the bottom navigation bar. Light theme: white
    /// background, near-black ink; dark theme: black background, near-white ink.
    static func appScreenshot(_ image: DecodedImage, dark: Bool) -> DecodedImage {
        let w = phoneWidth, h = phoneHeight
        let bg: Painter.Color = dark ? (0, 0, 0) : (255, 255, 255)
        let ink: Painter.Color = dark ? (245, 245, 245) : (38, 38, 38)
        let secondary: Painter.Color = dark ? (142, 142, 142) : (115, 115, 115)
        let shown = displayed(image, width: w, maxTall: 1.25)
        return PixelOps.makeRGB(width: w, height: h, format: .jpeg) { out in
            let p = Painter(pixels: out, width: w, height: h)
            p.rect(0, 0, w, h, bg)
            // Status bar.
            p.text(36, 14, size: 22, length: 64, ink, seed: 1)
            for i in 0..<4 { p.rect(560 + i * 9, 34 - 5 * (i + 1), 6, 5 * (i + 1), ink) }
            p.ring(618, 34, 16, thickness: 4, ink) { _, dy in dy < 0 }
            p.frame(646, 14, 44, 22, thickness: 3, ink); p.rect(650, 18, 30, 14, ink); p.rect(690, 21, 4, 8, ink)
            // Post header.
            p.ring(66, 100, 30, thickness: 4, (214, 41, 118)); p.disk(66, 100, 23, secondary)
            p.text(112, 86, size: 26, length: 190, ink, seed: 2)
            for i in 0..<3 { p.disk(660 + i * 14, 100, 4, ink) }
            // The picture.
            let top = 148
            p.picture(shown, at: 0, top)
            var y = top + shown.height + 22
            // Action bar: heart, comment, share, bookmark.
            p.ring(40, y + 14, 12, thickness: 4, ink); p.ring(60, y + 14, 12, thickness: 4, ink)
            p.ring(110, y + 18, 18, thickness: 4, ink)
            p.frame(150, y + 2, 34, 30, thickness: 4, ink)
            p.frame(660, y, 26, 36, thickness: 4, ink)
            y += 60
            p.text(24, y, size: 24, length: 240, ink, seed: 3); y += 40
            p.text(24, y, size: 24, length: 660, ink, seed: 4); y += 36
            p.text(24, y, size: 24, length: 420, ink, seed: 5); y += 40
            p.text(24, y, size: 22, length: 300, secondary, seed: 6); y += 60
            if y + 60 < h - 110 {
                p.disk(66, y + 30, 26, secondary)
                p.text(112, y + 16, size: 26, length: 220, ink, seed: 7)
            }
            // Bottom navigation bar.
            p.rect(0, h - 104, w, h, bg)
            p.rect(0, h - 104, w, 1, secondary)
            for i in 0..<5 {
                let cx = 72 + i * 144
                if i % 2 == 0 { p.frame(cx - 20, h - 74, 40, 40, thickness: 4, ink) } else { p.ring(cx, h - 54, 20, thickness: 4, ink) }
            }
        }
    }

    /// A screenshot of the picture sent in a messenger chat, 720 x 1560: teal header (status bar, back
    /// arrow, avatar, name) over a beige wallpaper, an incoming text bubble, the picture in an outgoing
    /// green bubble (72% of the screen's width, 6-pixel margin, tall pictures centre-cropped to 3:4) with its
    /// time written over its bottom-right corner, a reply bubble and the message input bar.
    static func chatScreenshot(_ image: DecodedImage) -> DecodedImage {
        let w = phoneWidth, h = phoneHeight
        let wallpaper: Painter.Color = (236, 229, 221), header: Painter.Color = (0, 128, 105)
        let white: Painter.Color = (255, 255, 255), ink: Painter.Color = (17, 27, 33), outgoing: Painter.Color = (217, 253, 211)
        let bubbleWidth = w * 72 / 100
        let shown = displayed(image, width: bubbleWidth - 12, maxTall: 4.0 / 3.0)
        return PixelOps.makeRGB(width: w, height: h, format: .jpeg) { out in
            let p = Painter(pixels: out, width: w, height: h)
            p.rect(0, 0, w, h, wallpaper)
            p.rect(0, 0, w, 150, header)
            p.text(32, 12, size: 20, length: 60, white, seed: 11)
            p.frame(640, 14, 40, 20, thickness: 3, white)
            p.rect(24, 92, 28, 4, white)
            p.disk(100, 94, 30, (200, 200, 200))
            p.text(146, 76, size: 26, length: 200, white, seed: 12)
            p.disk(600, 94, 6, white); p.ring(660, 94, 16, thickness: 4, white)
            var y = 186
            p.roundedRect(20, y, 430, 96, radius: 16, white)
            p.text(38, y + 16, size: 22, length: 390, ink, seed: 13)
            p.text(38, y + 52, size: 22, length: 200, ink, seed: 14)
            y += 126
            let x = w - 20 - bubbleWidth
            p.roundedRect(x, y, bubbleWidth, shown.height + 12, radius: 16, outgoing)
            p.picture(shown, at: x + 6, y + 6)
            p.text(x + bubbleWidth - 104, y + shown.height - 28, size: 18, length: 84, white, seed: 15)
            y += shown.height + 40
            if y + 80 < h - 110 {
                p.roundedRect(20, y, 300, 60, radius: 16, white)
                p.text(38, y + 18, size: 22, length: 260, ink, seed: 16)
            }
            p.rect(0, h - 100, w, 100, wallpaper)
            p.roundedRect(14, h - 86, w - 120, 70, radius: 35, white)
            p.text(90, h - 64, size: 24, length: 160, (134, 150, 160), seed: 17)
            p.disk(w - 52, h - 51, 35, header)
        }
    }

    /// A collage of `columns` x `rows` equal cells, each the picture's shape (the picture scaled so that the
    /// collage is about 1080 pixels wide), separated and framed by 12-pixel white gutters. The picture fills
    /// the first cell (the middle one of a single row of three); the other cells hold smooth, photo-like
    /// colour fields from a fixed seed.
    static func collage(_ image: DecodedImage, columns: Int, rows: Int) -> DecodedImage {
        let gutter = 12
        let cellW = (1080 - gutter * (columns + 1)) / columns
        let cellH = max(1, Int((Double(cellW) * Double(image.height) / Double(image.width)).rounded()))
        let cell = LanczosResize.resize(image, width: cellW, height: cellH)
        let w = gutter + columns * (cellW + gutter), h = gutter + rows * (cellH + gutter)
        let mine = rows == 1 ? columns / 2 : 0
        return PixelOps.makeRGB(width: w, height: h, format: .jpeg) { out in
            let p = Painter(pixels: out, width: w, height: h)
            p.rect(0, 0, w, h, (255, 255, 255))
            for index in 0..<(columns * rows) {
                let x = gutter + (index % columns) * (cellW + gutter), y = gutter + (index / columns) * (cellH + gutter)
                if index == mine { p.picture(cell, at: x, y) } else { fillField(p, x, y, cellW, cellH, seed: 0xC011_A6E0 + UInt64(index)) }
            }
        }
    }

    /// A smooth colour field: per channel a base level plus two cosines across and two down, from `seed`.
    static func fillField(_ p: Painter, _ x: Int, _ y: Int, _ w: Int, _ h: Int, seed: UInt64) {
        var g = SplitMix64(seed: seed)
        var across = [[Float]](repeating: [Float](repeating: 0, count: w), count: 3)
        var down = [[Float]](repeating: [Float](repeating: 0, count: h), count: 3)
        for c in 0..<3 {
            let base = Float(60 + g.next() % 140)
            for (length, into) in [(w, 0), (h, 1)] {
                var values = [Float](repeating: into == 0 ? base : 0, count: length)
                for _ in 0..<2 {
                    let cycles = 0.5 + g.unit() * 2.5, phase = g.unit() * 2 * Double.pi, amplitude = Float(15 + g.next() % 30)
                    for i in 0..<length { values[i] += amplitude * Float(cos(2 * Double.pi * cycles * Double(i) / Double(length) + phase)) }
                }
                if into == 0 { across[c] = values } else { down[c] = values }
            }
        }
        for yy in 0..<h {
            for xx in 0..<w {
                p.plot(x + xx, y + yy, (PixelOps.byte(across[0][xx] + down[0][yy]), PixelOps.byte(across[1][xx] + down[1][yy]), PixelOps.byte(across[2][xx] + down[2][yy])))
            }
        }
    }

    /// An emoji-like sticker covering 10% of the picture's area, near the bottom-right corner (a margin of 3%
    /// of the shorter side) or over the centre.
    static func sticker(_ image: DecodedImage, middle: Bool) -> DecodedImage {
        let w = image.width, h = image.height
        let r = max(2, Int((0.10 * Double(w * h) / Double.pi).squareRoot().rounded()))
        let margin = min(w, h) * 3 / 100
        let cx = middle ? w / 2 : w - margin - r, cy = middle ? h / 2 : h - margin - r
        return PixelOps.withRGB(image) { src in
            PixelOps.makeRGB(width: w, height: h, format: image.format) { out in
                out.update(from: src, count: w * h * 3)
                Painter(pixels: out, width: w, height: h).emoji(cx, cy, radius: r)
            }
        }
    }

    /// A text watermark across the middle: text-like glyphs 7% of the height tall over 70% of the width,
    /// white at 60% opacity with a dark shadow at 30% offset by 1/12 of the text size (an "@account" stamp).
    static func watermark(_ image: DecodedImage) -> DecodedImage {
        let w = image.width, h = image.height
        let size = max(6, h * 7 / 100), length = w * 70 / 100
        let x = (w - length) / 2, y = (h - size) / 2, offset = max(1, size / 12)
        return PixelOps.withRGB(image) { src in
            PixelOps.makeRGB(width: w, height: h, format: image.format) { out in
                out.update(from: src, count: w * h * 3)
                let p = Painter(pixels: out, width: w, height: h)
                p.text(x + offset, y + offset, size: size, length: length, (0, 0, 0), alpha: 0.3, seed: 0x3A7E)
                p.text(x, y, size: size, length: length, (255, 255, 255), alpha: 0.6, seed: 0x3A7E)
            }
        }
    }

    /// A photo straightened by `degrees` counterclockwise and cropped to the largest centred rectangle of the
    /// picture's own shape that the rotated picture covers (as phone photo editors straighten), less one pixel
    /// on each side for the blended edge.
    static func rotateAndCrop(_ image: DecodedImage, degrees: Double) -> DecodedImage {
        let w = Double(image.width), h = Double(image.height)
        let theta = abs(degrees) * Double.pi / 180, c = cos(theta), s = sin(theta)
        let scale = min(w / (w * c + h * s), h / (w * s + h * c))
        let kw = max(1, Int(w * scale) - 2), kh = max(1, Int(h * scale) - 2)
        let rotated = Geometry.rotate(image, degrees: degrees)
        return Geometry.crop(rotated, x: (image.width - kw) / 2, y: (image.height - kh) / 2, width: kw, height: kh)
    }

    /// A thumbnail whose longer side is `longSide` pixels (Lanczos-3).
    static func thumbnail(_ image: DecodedImage, longSide: Int) -> DecodedImage {
        let scale = Double(longSide) / Double(max(image.width, image.height))
        if scale >= 1 { return PixelOps.rgb(image) }
        return LanczosResize.resize(image, width: max(1, Int((Double(image.width) * scale).rounded())), height: max(1, Int((Double(image.height) * scale).rounded())))
    }
}
