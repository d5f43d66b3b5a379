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
    ///
    /// The four copies that keep the axes are read row by row (forwards or backwards) from one luma plane;
    /// that plane is then released and the picture's transposed luma plane built in its place, from which the
    /// four quarter-turned copies are read the same way. No turned copy is materialised and every read runs
    /// along memory, so each copy costs about one plain PDQ.
    /// - Warning: About 8 times the PDQ time and one luma plane of memory at a time (4 bytes a pixel: 48 MB for
    ///   12 MP); meant for case submission, not for hashing every upload.
    public static func pixelDihedralHashes(_ view: PixelView) -> [PDQWords] {
        guard view.width >= minimumDimension, view.height >= minimumDimension else {
            return Array(repeating: PDQWords.zero, count: 8)
        }
        var hashes = Array(repeating: PDQWords.zero, count: 8)
        for transposed in [false, true] {
            let plane = transposed ? transposedLumaPlane(of: view) : lumaPlane(of: view)
            pixelDihedralHashes(view, plane: UnsafePointer(plane.pointer(to: Float.self)), transposed: transposed, into: &hashes)
            withExtendedLifetime(plane) {}
        }
        return hashes
    }

    /// Fills the entries of `hashes` (in `pixelDihedralOrder`) whose transform keeps the axes (`transposed`
    /// false, `plane` from `lumaPlane(of:)`) or swaps them (`transposed` true, `plane` from
    /// `transposedLumaPlane(of:)`); entry 0 (the identity) is left alone when `skipIdentity`.
    ///
    /// Every transform is a flip of the plane or of its transpose: which rows come first, and whether each
    /// row runs backwards. `view` must be at least `minimumDimension` on each side.
    package static func pixelDihedralHashes(
        _ view: PixelView, plane: UnsafePointer<Float>, transposed: Bool, skipIdentity: Bool = false, into hashes: inout [PDQWords]
    ) {
        let w = transposed ? view.height : view.width, h = transposed ? view.width : view.height
        let full = transposed ? (width: view.fullHeight, height: view.fullWidth) : (width: view.fullWidth, height: view.fullHeight)
        for (index, transform) in pixelDihedralOrder.enumerated() where transform.swapsAxes == transposed {
            if skipIdentity && transform == .identity { continue }
            let (flipRows, flipColumns): (Bool, Bool)
            switch transform {
            case .identity, .transpose: (flipRows, flipColumns) = (false, false)
            case .mirrorTopBottom, .rotateCounterclockwise: (flipRows, flipColumns) = (true, false)
            case .mirrorLeftRight, .rotateClockwise: (flipRows, flipColumns) = (false, true)
            case .rotate180, .antiTranspose: (flipRows, flipColumns) = (true, true)
            }
            let rows = PDQFlippedRows(base: plane, width: w, height: h, flipRows: flipRows, flipColumns: flipColumns)
            hashes[index] = hash(rows: rows, fullSize: view.isScaled ? full : nil, dihedral: false).hash
        }
    }

    /// The luma plane of `view` transposed (row x holds column x of the picture: `view.width` rows of
    /// `view.height` floats), in a buffer wiped on release.
    ///
    /// Luma is computed for a band of 16 picture rows at a time (as `lumaPlane` computes it), then each
    /// column of the band is written as 16 consecutive floats, so reads and writes both run along memory.
    package static func transposedLumaPlane(of view: PixelView) -> WipedBuffer {
        let w = view.width, h = view.height, band = 16
        let buffer = WipedBuffer(capacity: w * h, of: Float.self)
        let out = buffer.pointer(to: Float.self)
        let scratch = WipedBuffer(capacity: band * w, of: Float.self)
        let rows = scratch.pointer(to: Float.self)
        let source = PDQPixelRows(view: view)
        var y0 = 0
        while y0 < h {
            let n = min(band, h - y0)
            for r in 0..<n { source.fill(y0 + r, into: rows + r * w) }
            for x in 0..<w {
                let column = out + x * h + y0
                for r in 0..<n { column[r] = rows[r * w + x] }
            }
            y0 += n
        }
        withExtendedLifetime(scratch) {}
        return buffer
    }
}

/// The rows of a luma plane flipped top to bottom and/or left to right, read from the plane as they are asked for.
package struct PDQFlippedRows: PDQLumaRows {
    let base: UnsafePointer<Float>
    package let width: Int
    package let height: Int
    let flipRows: Bool
    let flipColumns: Bool

    package init(base: UnsafePointer<Float>, width: Int, height: Int, flipRows: Bool, flipColumns: Bool) {
        self.base = base
        self.width = width
        self.height = height
        self.flipRows = flipRows
        self.flipColumns = flipColumns
    }

    package var plane: UnsafePointer<Float>? { flipRows || flipColumns ? nil : base }

    package func row(_ y: Int, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        let source = base + (flipRows ? height - 1 - y : y) * width
        guard flipColumns else { return source }
        for x in 0..<width { scratch[x] = source[width - 1 - x] }
        return UnsafePointer(scratch)
    }
}
