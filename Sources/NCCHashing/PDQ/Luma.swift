import NCCHashCore

/// The float32 luma that PDQ hashes, computed from decoded pixels exactly as the `pdqhash` PyPI
/// package computes it: `r * 0.299 + g * 0.587 + b * 0.114` in double precision, summed left to
/// right, then rounded to `Float`. A gray pixel counts as r = g = b. (The computation is NCCHashCore's.)
public enum PDQLuma {
    /// `Double(v) * 0.299` for every byte value v (exact products as numpy forms them).
    static var redTerms: [Double] { PDQLumaTerms.red }
    /// `Double(v) * 0.587` for every byte value v.
    static var greenTerms: [Double] { PDQLumaTerms.green }
    /// `Double(v) * 0.114` for every byte value v.
    static var blueTerms: [Double] { PDQLumaTerms.blue }
    /// The luma of a gray pixel of each value (r = g = b), already rounded to `Float`.
    static var grayLuma: [Float] { PDQLumaTerms.gray }

    /// The luma plane of `image`: `width * height` floats, row-major, in a buffer wiped on release.
    ///
    /// - Warning: Costs 4 bytes per pixel (48 MB for 12 MP); `PDQHasher.hash(_:dihedral:)` does not
    ///   need it (it computes luma row by row, in about 1.3 MB of scratch for 12 MP), so use this only when the plane
    ///   itself is wanted.
    public static func plane(of image: DecodedImage) -> PixelBuffer {
        let buffer = PixelBuffer(count: image.width * image.height * MemoryLayout<Float>.stride)
        guard image.width > 0, image.height > 0 else { return buffer }
        buffer.withUnsafeMutableBytes { raw in
            let out = raw.bindMemory(to: Float.self).baseAddress!
            image.withPixelView { view in
                let rows = PDQPixelRows(view: view)
                for i in 0..<image.height { rows.fill(i, into: out + i * image.width) }
            }
        }
        return buffer
    }
}
