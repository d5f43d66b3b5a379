/// The per-byte terms of the float32 luma PDQ hashes, exactly as the `pdqhash` PyPI package computes it:
/// `r * 0.299 + g * 0.587 + b * 0.114` in double precision, summed left to right, then rounded to `Float`.
package enum PDQLumaTerms {
    /// `Double(v) * 0.299` for every byte value v (exact products as numpy forms them).
    package static let red: [Double] = (0..<256).map { Double($0) * 0.299 }
    /// `Double(v) * 0.587` for every byte value v.
    package static let green: [Double] = (0..<256).map { Double($0) * 0.587 }
    /// `Double(v) * 0.114` for every byte value v.
    package static let blue: [Double] = (0..<256).map { Double($0) * 0.114 }
    /// The luma of a gray pixel of each value (r = g = b), already rounded to `Float`.
    package static let gray: [Float] = (0..<256).map { Float(red[$0] + green[$0] + blue[$0]) }

    /// The luma of one pixel whose first bytes are at `pixel`.
    @inline(__always) package static func luma(_ pixel: UnsafePointer<UInt8>, layout: PixelView.Layout) -> Float {
        layout == .gray8 ? gray[Int(pixel[0])] : Float(red[Int(pixel[0])] + green[Int(pixel[1])] + blue[Int(pixel[2])])
    }
}

extension PDQCore {
    /// The luma plane of `view`: `width * height` floats, row-major, in a buffer wiped on release.
    ///
    /// - Warning: Costs 4 bytes per pixel (48 MB for 12 MP); `hash(_:dihedral:)` does not need it (it
    ///   computes luma row by row), so use this only when the plane itself is wanted.
    public static func lumaPlane(of view: PixelView) -> WipedBuffer {
        let buffer = WipedBuffer(capacity: view.width * view.height, of: Float.self)
        let out = buffer.pointer(to: Float.self)
        let rows = PDQPixelRows(view: view)
        for i in 0..<view.height { rows.fill(i, into: out + i * view.width) }
        return buffer
    }
}

/// Luma rows computed on the fly from a `PixelView`'s bytes.
package struct PDQPixelRows: PDQLumaRows {
    package let view: PixelView
    package var width: Int { view.width }
    package var height: Int { view.height }
    package var plane: UnsafePointer<Float>? { nil }

    package init(view: PixelView) { self.view = view }

    package func row(_ i: Int, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        fill(i, into: scratch)
        return UnsafePointer(scratch)
    }

    /// Writes the luma of row `i` into `out` (`width` floats).
    package func fill(_ i: Int, into out: UnsafeMutablePointer<Float>) {
        let width = view.width
        let src = view.row(i)
        switch view.layout {
        case .gray8:
            PDQLumaTerms.gray.withUnsafeBufferPointer { table in
                for j in 0..<width { out[j] = table[Int(src[j])] }
            }
        case .rgb8:
            Self.fillColour(src, stride: 3, count: width, into: out)
        case .rgba8:
            Self.fillColour(src, stride: 4, count: width, into: out)
        }
    }

    @inline(__always)
    private static func fillColour(_ start: UnsafePointer<UInt8>, stride: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        PDQLumaTerms.red.withUnsafeBufferPointer { red in
            PDQLumaTerms.green.withUnsafeBufferPointer { green in
                PDQLumaTerms.blue.withUnsafeBufferPointer { blue in
                    var src = start
                    for j in 0..<count {
                        // (r + g) + b in double, then one rounding to float: numpy's order.
                        out[j] = Float(red[Int(src[0])] + green[Int(src[1])] + blue[Int(src[2])])
                        src += stride
                    }
                }
            }
        }
    }
}
