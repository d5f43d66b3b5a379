/// PDQ, Meta's 256-bit perceptual photo hash, bit-identical to the `pdqhash` PyPI package fed the same
/// decoded RGB pixels: the numeric core shared by the command line, the server and the WebAssembly build.
///
/// The picture's float32 luma is blurred with two passes of Jarosz box filters and sampled down to
/// 64x64, a 16x16 block of DCT coefficients is taken, and each bit says whether its coefficient is
/// above the block's median. The eight dihedral variants come from the same block.
public enum PDQCore {
    /// Pictures narrower or shorter than this many pixels get an all-zero hash of quality 0.
    public static let minimumDimension = 5

    /// Hashes a float32 luma plane.
    ///
    /// - Parameters:
    ///   - luma: `width * height` floats, row-major, no padding, finite values 0...255 as from 8-bit
    ///     pixels (other values give a meaningless hash, never a crash). Only read.
    ///   - width: Columns, at least 0.
    ///   - height: Rows, at least 0.
    ///   - dihedral: Whether to compute the eight dihedral hashes too (a few microseconds).
    /// - Warning: Scratch memory is proportional to `width` times the Jarosz window (about `height / 128`
    ///   rows) and is wiped before release; the plane itself stays the caller's to wipe.
    public static func hash(luma: UnsafePointer<Float>, width: Int, height: Int, dihedral: Bool) -> PDQOutcome {
        guard width >= minimumDimension, height >= minimumDimension else { return degenerate(dihedral: dihedral) }
        return hash(rows: PDQPlaneRows(base: luma, width: width, height: height), fullSize: nil, dihedral: dihedral)
    }

    /// Hashes decoded pixels, computing their luma as the `pdqhash` package does
    /// (`r * 0.299 + g * 0.587 + b * 0.114` in double, rounded to float; gray as r = g = b; alpha ignored).
    ///
    /// A view of a DCT-downscaled decode (`isScaled`) is blurred with the full-resolution kernel folded
    /// onto its blocks and gives a hash a few bits from the full-resolution one.
    public static func hash(_ view: PixelView, dihedral: Bool) -> PDQOutcome {
        guard view.width >= minimumDimension, view.height >= minimumDimension else { return degenerate(dihedral: dihedral) }
        let fullSize = view.isScaled ? (width: view.fullWidth, height: view.fullHeight) : nil
        return hash(rows: PDQPixelRows(view: view), fullSize: fullSize, dihedral: dihedral)
    }

    /// The reference's answer for pictures too small to hash.
    public static func degenerate(dihedral: Bool) -> PDQOutcome {
        PDQOutcome(hash: .zero, quality: 0, dihedral: dihedral ? Array(repeating: .zero, count: 8) : [])
    }

    /// Downscale, quality, DCT, bits: PDQ of any source of luma rows at least `minimumDimension` on each side.
    package static func hash<Rows: PDQLumaRows>(rows: Rows, fullSize: (width: Int, height: Int)?, dihedral: Bool) -> PDQOutcome {
        let width = rows.width, height = rows.height
        // One wiped allocation for everything derived from the pixels: 64x64 and 16x64 and two 16x16
        // blocks, then the downscaler's rows.
        let fixed = 4096 + 1024 + 256 + 256
        let downscaleScratch = fullSize == nil
            ? downscaleScratchCount(width: width, height: height) : scaledDownscaleScratchCount(width: width, height: height)
        let scratch = WipedBuffer(capacity: fixed + downscaleScratch, of: Float.self)
        let base = scratch.pointer(to: Float.self)
        let buffer64 = base, t16x64 = base + 4096, block = base + 5120, aux = base + 5376, rest = base + fixed

        // The reference copies a 64x64 plane as is rather than filtering it; its dihedral
        // routine filters always, so there the two can differ.
        let direct64 = width == 64 && height == 64 && fullSize == nil
        if let fullSize {
            downscaleScaled(rows, fullWidth: fullSize.width, fullHeight: fullSize.height, scratch: rest, into: buffer64)
        } else if direct64, let plane = rows.plane {
            buffer64.update(from: plane, count: 4096)
        } else if direct64 {
            for i in 0..<64 { (buffer64 + i * 64).update(from: rows.row(i, scratch: rest), count: 64) }
        } else {
            downscale(rows, scratch: rest, into: buffer64)
        }
        let quality = quality(of: buffer64)
        dct64To16(buffer64, scratch: t16x64, into: block)
        let hash = hashFromDCT(block)
        var variants: [PDQWords] = []
        if dihedral {
            if direct64 {
                downscale(rows, scratch: rest, into: buffer64)
                dct64To16(buffer64, scratch: t16x64, into: block)
            }
            variants = dihedralHashes(of: block, aux: aux)
        }
        withExtendedLifetime(scratch) {}
        return PDQOutcome(hash: hash, quality: quality, dihedral: variants)
    }
}
