/// The float32 luma that PDQ hashes, computed from decoded pixels exactly as the `pdqhash` PyPI
/// package computes it: `r * 0.299 + g * 0.587 + b * 0.114` in double precision, summed left to
/// right, then rounded to `Float`. A gray pixel counts as r = g = b.
public enum PDQLuma {
    /// `Double(v) * 0.299` for every byte value v (exact products as numpy forms them).
    static let redTerms: [Double] = (0..<256).map { Double($0) * 0.299 }
    /// `Double(v) * 0.587` for every byte value v.
    static let greenTerms: [Double] = (0..<256).map { Double($0) * 0.587 }
    /// `Double(v) * 0.114` for every byte value v.
    static let blueTerms: [Double] = (0..<256).map { Double($0) * 0.114 }
    /// The luma of a gray pixel of each value (r = g = b), already rounded to `Float`.
    static let grayLuma: [Float] = (0..<256).map { Float(redTerms[$0] + greenTerms[$0] + blueTerms[$0]) }

    /// The luma plane of `image`: `width * height` floats, row-major, in a buffer wiped on release.
    ///
    /// - Warning: Costs 4 bytes per pixel (48 MB for 12 MP); `PDQHasher.hash(_:dihedral:)` does not
    ///   need it (it computes luma row by row, in about 1.3 MB of scratch for 12 MP), so use this only when the plane
    ///   itself is wanted.
    public static func plane(of image: DecodedImage) -> PixelBuffer {
        let count = image.width * image.height
        let buffer = PixelBuffer(count: count * MemoryLayout<Float>.stride)
        buffer.withUnsafeMutableBytes { raw in
            let out = raw.bindMemory(to: Float.self)
            let rows = PDQImageRows(image: image)
            for i in 0..<image.height {
                rows.fill(i, into: out.baseAddress! + i * image.width)
            }
        }
        return buffer
    }
}

/// Luma rows computed on the fly from a `DecodedImage`'s bytes.
struct PDQImageRows: PDQLumaRows {
    let image: DecodedImage
    var width: Int { image.width }
    var height: Int { image.height }

    func row(_ i: Int, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        fill(i, into: scratch)
        return UnsafePointer(scratch)
    }

    /// Writes the luma of row `i` into `out` (`width` floats).
    func fill(_ i: Int, into out: UnsafeMutablePointer<Float>) {
        let width = image.width
        image.pixels.withUnsafeBytes { raw in
            let bytes = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            switch image.layout {
            case .gray8:
                PDQLuma.grayLuma.withUnsafeBufferPointer { table in
                    let src = bytes + i * width
                    for j in 0..<width { out[j] = table[Int(src[j])] }
                }
            case .rgb8:
                PDQLuma.redTerms.withUnsafeBufferPointer { red in
                    PDQLuma.greenTerms.withUnsafeBufferPointer { green in
                        PDQLuma.blueTerms.withUnsafeBufferPointer { blue in
                            var src = bytes + i * width * 3
                            for j in 0..<width {
                                // (r + g) + b in double, then one rounding to float: numpy's order.
                                out[j] = Float(red[Int(src[0])] + green[Int(src[1])] + blue[Int(src[2])])
                                src += 3
                            }
                        }
                    }
                }
            }
        }
    }
}
