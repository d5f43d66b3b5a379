import NCCHashing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Geometric transforms: crops, borders, mirrors, quarter turns and small rotations (rgb8 out).
enum Geometry {
    /// The rectangle `x, y, width, height` of `image` (clamped to the picture, at least 1x1).
    static func crop(_ image: DecodedImage, x: Int, y: Int, width: Int, height: Int) -> DecodedImage {
        let x0 = min(max(x, 0), image.width - 1), y0 = min(max(y, 0), image.height - 1)
        let w = max(1, min(width, image.width - x0)), h = max(1, min(height, image.height - y0))
        return PixelOps.withRGB(image) { src in
            PixelOps.makeRGB(width: w, height: h, format: image.format) { out in
                for row in 0..<h {
                    (out + row * w * 3).update(from: src + ((y0 + row) * image.width + x0) * 3, count: w * 3)
                }
            }
        }
    }

    /// Removes `fraction` of the width from the left and from the right, and of the height from the top and bottom.
    static func cropEachSide(_ image: DecodedImage, fraction: Double) -> DecodedImage {
        let dx = Int((Double(image.width) * fraction).rounded()), dy = Int((Double(image.height) * fraction).rounded())
        return crop(image, x: dx, y: dy, width: image.width - 2 * dx, height: image.height - 2 * dy)
    }

    /// The centre of the picture cut to the aspect ratio `width`:`height`, keeping its full height (when it is
    /// wider than that) or its full width (when it is taller); the picture itself, copied, when it has the ratio.
    static func cropToAspect(_ image: DecodedImage, width: Int, height: Int) -> DecodedImage {
        let target = Double(width) / Double(height), own = Double(image.width) / Double(image.height)
        if own > target {
            let keptW = max(1, min(image.width, Int((Double(image.height) * target).rounded())))
            return crop(image, x: (image.width - keptW) / 2, y: 0, width: keptW, height: image.height)
        }
        let keptH = max(1, min(image.height, Int((Double(image.width) / target).rounded())))
        return crop(image, x: 0, y: (image.height - keptH) / 2, width: image.width, height: keptH)
    }

    /// Adds borders of a uniform color around the picture.
    static func border(_ image: DecodedImage, top: Int, bottom: Int, left: Int, right: Int, color: (UInt8, UInt8, UInt8)) -> DecodedImage {
        let w = image.width + left + right, h = image.height + top + bottom
        return PixelOps.withRGB(image) { src in
            PixelOps.makeRGB(width: w, height: h, format: image.format) { out in
                for i in 0..<(w * h) {
                    out[3 * i] = color.0; out[3 * i + 1] = color.1; out[3 * i + 2] = color.2
                }
                for row in 0..<image.height {
                    (out + ((top + row) * w + left) * 3).update(from: src + row * image.width * 3, count: image.width * 3)
                }
            }
        }
    }

    /// Mirror: `horizontal` swaps left and right (a selfie mirror); otherwise top and bottom.
    static func mirror(_ image: DecodedImage, horizontal: Bool) -> DecodedImage {
        let w = image.width, h = image.height
        return PixelOps.withRGB(image) { src in
            PixelOps.makeRGB(width: w, height: h, format: image.format) { out in
                for y in 0..<h {
                    let sy = horizontal ? y : h - 1 - y
                    for x in 0..<w {
                        let sx = horizontal ? w - 1 - x : x
                        let s = src + (sy * w + sx) * 3, d = out + (y * w + x) * 3
                        d[0] = s[0]; d[1] = s[1]; d[2] = s[2]
                    }
                }
            }
        }
    }

    /// Rotation by `quarterTurns` x 90 degrees clockwise (as a photo app's "rotate right" does).
    static func rotateQuarter(_ image: DecodedImage, quarterTurns: Int) -> DecodedImage {
        let turns = ((quarterTurns % 4) + 4) % 4
        let w = image.width, h = image.height
        let outW = turns % 2 == 0 ? w : h, outH = turns % 2 == 0 ? h : w
        return PixelOps.withRGB(image) { src in
            PixelOps.makeRGB(width: outW, height: outH, format: image.format) { out in
                for y in 0..<outH {
                    for x in 0..<outW {
                        // Source pixel of output (x, y).
                        let sx: Int, sy: Int
                        switch turns {
                        case 1: sx = y; sy = h - 1 - x          // clockwise 90
                        case 2: sx = w - 1 - x; sy = h - 1 - y  // 180
                        case 3: sx = w - 1 - y; sy = x          // clockwise 270
                        default: sx = x; sy = y
                        }
                        let s = src + (sy * w + sx) * 3, d = out + (y * outW + x) * 3
                        d[0] = s[0]; d[1] = s[1]; d[2] = s[2]
                    }
                }
            }
        }
    }

    /// Rotation by `degrees` counterclockwise about the centre, on the same canvas size, bilinear,
    /// with the uncovered corners black (as a re-posted, slightly rotated photo looks).
    static func rotate(_ image: DecodedImage, degrees: Double) -> DecodedImage {
        let w = image.width, h = image.height
        let theta = degrees * Double.pi / 180
        let c = Float(cos(theta)), s = Float(sin(theta))
        let cx = Float(w) / 2, cy = Float(h) / 2
        return PixelOps.withRGB(image) { src in
            PixelOps.makeRGB(width: w, height: h, format: image.format) { out in
                for y in 0..<h {
                    let dy = Float(y) + 0.5 - cy
                    for x in 0..<w {
                        let dx = Float(x) + 0.5 - cx
                        // Inverse rotation (image y grows downwards, so counterclockwise on screen
                        // is a clockwise rotation of the y-down coordinates).
                        let sxf = c * dx - s * dy + cx - 0.5
                        let syf = s * dx + c * dy + cy - 0.5
                        let x0 = Int(sxf.rounded(.down)), y0 = Int(syf.rounded(.down))
                        if x0 < -1 || y0 < -1 || x0 >= w || y0 >= h { continue }
                        let fx = sxf - Float(x0), fy = syf - Float(y0)
                        var r: Float = 0, g: Float = 0, b: Float = 0
                        @inline(__always) func add(_ px: Int, _ py: Int, _ wgt: Float) {
                            if px < 0 || py < 0 || px >= w || py >= h { return } // outside: black
                            let p = src + (py * w + px) * 3
                            r += wgt * Float(p[0]); g += wgt * Float(p[1]); b += wgt * Float(p[2])
                        }
                        add(x0, y0, (1 - fx) * (1 - fy)); add(x0 + 1, y0, fx * (1 - fy))
                        add(x0, y0 + 1, (1 - fx) * fy); add(x0 + 1, y0 + 1, fx * fy)
                        let d = out + (y * w + x) * 3
                        d[0] = PixelOps.byte(r); d[1] = PixelOps.byte(g); d[2] = PixelOps.byte(b)
                    }
                }
            }
        }
    }
}
