extension PDQHasher {
    /// A rotation or mirror of a plane, as the source coordinates of each output pixel.
    enum PlaneTransform: CaseIterable {
        case identity, transpose, rotate180, antiTranspose, mirrorLeftRight, mirrorTopBottom, rotateClockwise, rotateCounterclockwise

        /// Whether the output swaps width and height.
        var swapsAxes: Bool {
            switch self {
            case .transpose, .antiTranspose, .rotateClockwise, .rotateCounterclockwise: true
            default: false
            }
        }

        /// Source (x, y) of output pixel (x, y) for a `w` x `h` source.
        @inline(__always) func source(_ x: Int, _ y: Int, w: Int, h: Int) -> (Int, Int) {
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

    /// The picture's rotations and mirrors in the order of `PDQResult.dihedral`, so that entry i of
    /// `pixelDihedralHashes` hashes the copy that entry i of the DCT-domain variants predicts.
    /// (The reference's "rotate90" is a counterclockwise turn and its "flipX" mirrors top to bottom.)
    static let pixelDihedralOrder: [PlaneTransform] = [
        .identity, .rotateCounterclockwise, .rotate180, .rotateClockwise, .mirrorTopBottom, .mirrorLeftRight, .transpose, .antiTranspose,
    ]

    /// PDQ hashes of the picture's 8 rotated and mirrored copies, computed from rotated pixels
    /// rather than from the DCT (same order as `PDQResult.dihedral`, identity first).
    ///
    /// A bank that stores these for a victim's picture matches mirrored and quarter-turned re-posts
    /// more reliably than the DCT-domain variants (measured in `docs/robustness.md`); each costs
    /// one more PDQ over the decoded size.
    /// - Warning: About 8 times the PDQ time and one extra luma plane of memory; meant for case
    ///   submission, not for hashing every upload.
    public static func pixelDihedralHashes(_ image: DecodedImage) -> [PDQHash] {
        guard image.width >= minimumDimension, image.height >= minimumDimension else {
            return Array(repeating: degenerate(dihedral: false).hash, count: 8)
        }
        let w = image.width, h = image.height
        let scaled = image.width < image.fullWidth || image.height < image.fullHeight
        let luma = PDQLuma.plane(of: image)
        let turned = PixelBuffer(count: w * h * MemoryLayout<Float>.stride)
        return luma.withUnsafeBytes { sourceBytes in
            let source = sourceBytes.baseAddress!.assumingMemoryBound(to: Float.self)
            return turned.withUnsafeMutableBytes { outBytes in
                let out = outBytes.baseAddress!.bindMemory(to: Float.self, capacity: w * h)
                return pixelDihedralOrder.map { transform in
                    let outW = transform.swapsAxes ? h : w, outH = transform.swapsAxes ? w : h
                    for y in 0..<outH {
                        for x in 0..<outW {
                            let (sx, sy) = transform.source(x, y, w: w, h: h)
                            out[y * outW + x] = source[sy * w + sx]
                        }
                    }
                    let full = transform.swapsAxes ? (width: image.fullHeight, height: image.fullWidth) : (width: image.fullWidth, height: image.fullHeight)
                    let rows = PDQPlaneRows(base: UnsafePointer(out), width: outW, height: outH)
                    return hash(rows: rows, fullSize: scaled ? full : nil, dihedral: false).hash
                }
            }
        }
    }
}
