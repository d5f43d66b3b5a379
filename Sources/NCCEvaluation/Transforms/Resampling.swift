import NCCHashing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lanczos-3 resampling, separable, with the kernel widened by the scale factor when shrinking
/// (so downscaling averages every source pixel, as Pillow's `Image.resize(..., LANCZOS)` does).
///
/// This is the filter of every resize in the evaluation (resize 50/25/200%, the screenshot copy):
/// a good filter, so the measured recall reflects what careful software does. Float intermediate,
/// rounded and clamped to bytes at the end.
enum LanczosResize {
    /// Lanczos window with a = 3.
    @inline(__always)
    static func kernel(_ x: Double) -> Double {
        let ax = abs(x)
        if ax < 1e-12 { return 1 }
        if ax >= 3 { return 0 }
        let px = Double.pi * x
        return 3 * sin(px) * sin(px / 3) / (px * px)
    }

    /// Per output coordinate: first source index and normalised weights.
    struct Taps {
        var start: [Int]
        var count: [Int]
        var weights: [Float]
        var stride: Int
    }

    static func taps(input: Int, output: Int) -> Taps {
        let scale = Double(input) / Double(output)
        let filterScale = max(scale, 1)
        let support = 3 * filterScale
        let stride = Int(support.rounded(.up)) * 2 + 1
        var taps = Taps(start: [], count: [], weights: Array(repeating: 0, count: stride * output), stride: stride)
        taps.start.reserveCapacity(output)
        taps.count.reserveCapacity(output)
        for o in 0..<output {
            let center = (Double(o) + 0.5) * scale
            let lo = max(Int((center - support + 0.5).rounded(.down)), 0)
            let hi = min(Int((center + support + 0.5).rounded(.down)), input)
            var total = 0.0
            var raw: [Double] = []
            for x in lo..<max(hi, lo + 1) where x < input {
                let w = kernel((Double(x) - center + 0.5) / filterScale)
                raw.append(w)
                total += w
            }
            if total == 0 { total = 1 }
            let n = min(raw.count, stride)
            for k in 0..<n { taps.weights[o * stride + k] = Float(raw[k] / total) }
            taps.start.append(lo)
            taps.count.append(n)
        }
        return taps
    }

    /// Resizes `image` to `width` x `height` (rgb8 out).
    static func resize(_ image: DecodedImage, width: Int, height: Int) -> DecodedImage {
        precondition(width > 0 && height > 0)
        let inW = image.width, inH = image.height
        let h = taps(input: inW, output: width)
        let v = taps(input: inH, output: height)
        return PixelOps.withRGB(image) { src in
            PixelOps.withFloatScratch(count: width * inH * 3) { mid in
                // Horizontal pass: inH rows of `width` pixels.
                for y in 0..<inH {
                    let row = src + y * inW * 3
                    let outRow = mid + y * width * 3
                    for x in 0..<width {
                        var r: Float = 0, g: Float = 0, b: Float = 0
                        let start = h.start[x], n = h.count[x], wBase = x * h.stride
                        for k in 0..<n {
                            let w = h.weights[wBase + k]
                            let p = row + (start + k) * 3
                            r += w * Float(p[0]); g += w * Float(p[1]); b += w * Float(p[2])
                        }
                        outRow[x * 3] = r; outRow[x * 3 + 1] = g; outRow[x * 3 + 2] = b
                    }
                }
                // Vertical pass.
                return PixelOps.makeRGB(width: width, height: height, format: image.format) { out in
                    let rowFloats = width * 3
                    PixelOps.withFloatScratch(count: rowFloats) { acc in
                        for y in 0..<height {
                            acc.update(repeating: 0, count: rowFloats)
                            let start = v.start[y], n = v.count[y], wBase = y * v.stride
                            for k in 0..<n {
                                let w = v.weights[wBase + k]
                                let srcRow = mid + (start + k) * rowFloats
                                for i in 0..<rowFloats { acc[i] += w * srcRow[i] }
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
