extension PDQCore {
    /// A rotation or mirror of a plane, as the source coordinates of each output pixel.
    package enum PlaneTransform: CaseIterable {
        case identity, transpose, rotate180, antiTranspose, mirrorLeftRight, mirrorTopBottom, rotateClockwise, rotateCounterclockwise

        /// Whether the output swaps width and height.
        package var swapsAxes: Bool {
            switch self {
            case .transpose, .antiTranspose, .rotateClockwise, .rotateCounterclockwise: true
            default: false
            }
        }

        /// Source (x, y) of output pixel (x, y) for a `w` x `h` source.
        @inline(__always) package func source(_ x: Int, _ y: Int, w: Int, h: Int) -> (Int, Int) {
            switch self {
            case .identity: (x, y)
            case .transpose: (y, x)
            case .rotate180: (w - 1 - x, h - 1 - y)
            case .antiTranspose: (w - 1 - y, h - 1 - x)
            case .mirrorLeftRight: (w - 1 - x, y)
            case .mirrorTopBottom: (x, h - 1 - y)
            case .rotateClockwise: (y, h - 1 - x)
            case .rotateCounterclockwise: (w - 1 - y, x)
            }
        }
    }

    /// The picture's rotations and mirrors in the order of `PDQOutcome.dihedral`, so that entry i of
    /// `pixelDihedralHashes` hashes the copy that entry i of the DCT-domain variants predicts.
    /// (The reference's "rotate90" is a counterclockwise turn and its "flipX" mirrors top to bottom.)
    package static let pixelDihedralOrder: [PlaneTransform] = [
        .identity, .rotateCounterclockwise, .rotate180, .rotateClockwise, .mirrorTopBottom, .mirrorLeftRight, .transpose, .antiTranspose,
    ]

    /// PDQ hashes of the picture's 8 rotated and mirrored copies, computed from turned pixels rather
    /// than from the DCT (same order as `PDQOutcome.dihedral`, identity first).
    ///
    /// A bank that stores these for a victim's picture matches mirrored and quarter-turned re-posts
    /// more reliably than the DCT-domain variants (measured in `docs/robustness.md`).
    /// - Warning: About 8 times the PDQ time and one luma plane of memory (4 bytes a pixel; each turned
    ///   copy is read row by row from it, never materialised); meant for case submission, not for hashing
    ///   every upload.
    public static func pixelDihedralHashes(_ view: PixelView) -> [PDQWords] {
        guard view.width >= minimumDimension, view.height >= minimumDimension else {
            return Array(repeating: PDQWords.zero, count: 8)
        }
        let luma = lumaPlane(of: view)
        let source = UnsafePointer(luma.pointer(to: Float.self))
        let hashes = pixelDihedralOrder.map { transform in
            let rows = PDQTurnedRows(source: source, width: view.width, height: view.height, transform: transform)
            let full = transform.swapsAxes ? (width: view.fullHeight, height: view.fullWidth) : (width: view.fullWidth, height: view.fullHeight)
            return hash(rows: rows, fullSize: view.isScaled ? full : nil, dihedral: false).hash
        }
        withExtendedLifetime(luma) {}
        return hashes
    }
}

/// The rows of a rotated or mirrored copy of a luma plane, gathered from the plane as they are asked for.
package struct PDQTurnedRows: PDQLumaRows {
    let source: UnsafePointer<Float>
    let sourceWidth: Int
    let sourceHeight: Int
    let transform: PDQCore.PlaneTransform
    package let width: Int
    package let height: Int

    init(source: UnsafePointer<Float>, width: Int, height: Int, transform: PDQCore.PlaneTransform) {
        self.source = source
        sourceWidth = width
        sourceHeight = height
        self.transform = transform
        self.width = transform.swapsAxes ? height : width
        self.height = transform.swapsAxes ? width : height
    }

    package var plane: UnsafePointer<Float>? { transform == .identity ? source : nil }

    package func row(_ y: Int, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        let w = sourceWidth, h = sourceHeight
        // Along an output row the source index moves by a constant step (±1 or ±width).
        let (x0, y0) = transform.source(0, y, w: w, h: h)
        let (x1, y1) = transform.source(1, y, w: w, h: h)
        let start = y0 * w + x0, step = (y1 * w + x1) - start
        if step == 1 { return source + start }
        var p = source + start
        for x in 0..<width {
            scratch[x] = p.pointee
            if x + 1 < width { p += step }
        }
        return UnsafePointer(scratch)
    }
}
