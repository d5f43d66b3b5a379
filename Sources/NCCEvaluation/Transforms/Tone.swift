import NCCHashing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tone and filter transforms: brightness, contrast, gamma, grayscale, Gaussian blur, noise (rgb8 out).
enum Tone {
    /// Multiplies every channel by `factor` (Pillow `ImageEnhance.Brightness`): 1.2 is +20%.
    static func brightness(_ image: DecodedImage, factor: Double) -> DecodedImage {
        PixelOps.mapBytes(image, table: (0..<256).map { PixelOps.byte(Float(Double($0) * factor)) })
    }

    /// Scales the distance of every channel from the picture's mean gray by `factor`
    /// (Pillow `ImageEnhance.Contrast`: the mean of the L image, rounded): 1.2 is +20%.
    static func contrast(_ image: DecodedImage, factor: Double) -> DecodedImage {
        let mean: Double = PixelOps.withRGB(image) { src in
            var total = 0
            for i in 0..<(image.width * image.height) {
                total += Int(PixelOps.luma(src[3 * i], src[3 * i + 1], src[3 * i + 2]))
            }
            return (Double(total) / Double(image.width * image.height)).rounded()
        }
        return PixelOps.mapBytes(image, table: (0..<256).map { PixelOps.byte(Float(mean + (Double($0) - mean) * factor)) })
    }

    /// `255 * (v / 255) ^ gamma` per channel: gamma < 1 brightens the mid-tones, > 1 darkens them.
    static func gamma(_ image: DecodedImage, _ gamma: Double) -> DecodedImage {
        PixelOps.mapBytes(image, table: (0..<256).map { PixelOps.byte(Float(255 * pow(Double($0) / 255, gamma))) })
    }

    /// Pillow's `convert("L")` luma, written back to all three channels.
    static func grayscale(_ image: DecodedImage) -> DecodedImage {
        PixelOps.withRGB(image) { src in
            PixelOps.makeRGB(width: image.width, height: image.height, format: image.format) { out in
                for i in 0..<(image.width * image.height) {
                    let l = PixelOps.luma(src[3 * i], src[3 * i + 1], src[3 * i + 2])
                    out[3 * i] = l; out[3 * i + 1] = l; out[3 * i + 2] = l
                }
            }
        }
    }

    /// Gaussian blur of standard deviation `sigma` pixels (kernel radius ceil(3 sigma), edges clamped), separable.
    static func blur(_ image: DecodedImage, sigma: Double) -> DecodedImage {
        let radius = max(1, Int((3 * sigma).rounded(.up)))
        var kernel = (-radius...radius).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        let w = image.width, h = image.height
        return PixelOps.withRGB(image) { src in
            PixelOps.withFloatScratch(count: w * h * 3) { mid in
                kernel.withUnsafeBufferPointer { k in
                    // Horizontal.
                    for y in 0..<h {
                        let row = src + y * w * 3, outRow = mid + y * w * 3
                        for x in 0..<w {
                            var r: Float = 0, g: Float = 0, b: Float = 0
                            for t in -radius...radius {
                                let sx = min(max(x + t, 0), w - 1)
                                let wgt = k[t + radius], p = row + sx * 3
                                r += wgt * Float(p[0]); g += wgt * Float(p[1]); b += wgt * Float(p[2])
                            }
                            outRow[x * 3] = r; outRow[x * 3 + 1] = g; outRow[x * 3 + 2] = b
                        }
                    }
                    // Vertical.
                    return PixelOps.makeRGB(width: w, height: h, format: image.format) { out in
                        let rowFloats = w * 3
                        PixelOps.withFloatScratch(count: rowFloats) { acc in
                            for y in 0..<h {
                                acc.update(repeating: 0, count: rowFloats)
                                for t in -radius...radius {
                                    let sy = min(max(y + t, 0), h - 1)
                                    let wgt = k[t + radius], srcRow = mid + sy * rowFloats
                                    for i in 0..<rowFloats { acc[i] += wgt * srcRow[i] }
                                }
                                let outRow = out + y * rowFloats
                                for i in 0..<rowFloats { outRow[i] = PixelOps.byte(acc[i]) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds Gaussian noise of standard deviation `sigma` (in 0...255 units) to every channel,
    /// from a SplitMix64 generator seeded with `seed`: the same copy on every run and machine.
    static func noise(_ image: DecodedImage, sigma: Double, seed: UInt64) -> DecodedImage {
        var generator = SplitMix64(seed: seed)
        let count = image.width * image.height * 3
        return PixelOps.withRGB(image) { src in
            PixelOps.makeRGB(width: image.width, height: image.height, format: image.format) { out in
                for i in 0..<count {
                    out[i] = PixelOps.byte(Float(Double(src[i]) + sigma * generator.gaussian()))
                }
            }
        }
    }
}

/// Overlays: a caption bar and a screenshot-like copy.
enum Overlays {
    /// A white caption bar over the top or bottom `fraction` of the picture (covering it, as meme captions
    /// and subtitles do), with two lines of black word-like blocks drawn from a seeded generator.
    static func captionBar(_ image: DecodedImage, fraction: Double, edge: CaptionMask.Edge = .top, seed: UInt64 = 0x00C0_FFEE) -> DecodedImage {
        let w = image.width, h = image.height
        let barHeight = max(1, Int((Double(h) * fraction).rounded()))
        let firstRow = edge == .top ? 0 : h - barHeight
        var generator = SplitMix64(seed: seed)
        return PixelOps.withRGB(image) { src in
            PixelOps.makeRGB(width: w, height: h, format: image.format) { out in
                out.update(from: src, count: w * h * 3)
                for i in (firstRow * w * 3)..<((firstRow + barHeight) * w * 3) { out[i] = 255 }
                let lineHeight = barHeight / 3
                guard lineHeight >= 2 else { return }
                for line in 0..<2 {
                    let top = lineHeight / 2 + line * (lineHeight + lineHeight / 4)
                    let glyph = max(1, lineHeight * 2 / 3)
                    var x = w / 10
                    while x < w * 9 / 10 {
                        let wordWidth = glyph * (2 + Int(generator.next() % 6))
                        let end = min(x + wordWidth, w * 9 / 10)
                        for y in top..<min(top + glyph, barHeight) {
                            for xx in x..<end {
                                let d = out + ((firstRow + y) * w + xx) * 3
                                d[0] = 0; d[1] = 0; d[2] = 0
                            }
                        }
                        x = end + glyph
                    }
                }
            }
        }
    }
}
