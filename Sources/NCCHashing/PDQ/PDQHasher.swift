/// PDQ, Meta's 256-bit perceptual photo hash, bit-identical to the `pdqhash` PyPI package
/// (the pipeline Meta's Hasher-Matcher-Actioner uses) fed the same decoded RGB pixels.
///
/// The picture's float32 luma is blurred with two passes of Jarosz box filters and sampled down to
/// 64x64, a 16x16 block of DCT coefficients is taken, and each bit says whether its coefficient is
/// above the block's median. The eight dihedral variants come from the same block.
public enum PDQHasher {
    /// Pictures narrower or shorter than this many pixels get an all-zero hash of quality 0.
    public static let minimumDimension = 5

    /// Hashes a float32 luma plane.
    ///
    /// - Parameters:
    ///   - luma: `width * height` floats, row-major, no padding, finite values 0...255 as from 8-bit
    ///     pixels (other values give a meaningless hash, never a crash). It is only read, never modified.
    ///   - width: Columns, at least 1.
    ///   - height: Rows, at least 1.
    ///   - dihedral: Whether to compute the eight dihedral hashes too (costs a few microseconds).
    /// - Returns: The hash and quality as `pdqhash.compute` gives them; with `dihedral`, the eight
    ///   variants as `pdqhash.compute_dihedral` gives them.
    /// - Warning: Scratch memory is proportional to `width` times the Jarosz window (about
    ///   `height / 128` rows) and is wiped before release; the plane itself stays the caller's to wipe.
    public static func hash(luma: UnsafeMutableBufferPointer<Float>, width: Int, height: Int, dihedral: Bool) -> PDQResult {
        precondition(width >= 0 && height >= 0 && luma.count >= width * height, "luma plane smaller than width * height")
        guard width >= minimumDimension, height >= minimumDimension else { return degenerate(dihedral: dihedral) }
        let rows = PDQPlaneRows(base: UnsafePointer(luma.baseAddress!), width: width, height: height)
        return hash(rows: rows, fullSize: nil, dihedral: dihedral)
    }

    /// Hashes a decoded picture, computing its luma as the `pdqhash` package does
    /// (`r * 0.299 + g * 0.587 + b * 0.114` in double, rounded to float; gray as r = g = b).
    ///
    /// - Parameters:
    ///   - image: The decoded pixels, at the resolution to be hashed (exact conformance with
    ///     `pdqhash` needs the full-resolution decode; a DCT-downscaled decode, `width` below
    ///     `fullWidth`, is blurred with the full-resolution kernel folded onto its blocks and gives a
    ///     hash a few bits away).
    ///   - dihedral: Whether to compute the eight dihedral hashes too.
    /// - Returns: The hash, its quality 0...100 and, if asked, the eight dihedral hashes.
    public static func hash(_ image: DecodedImage, dihedral: Bool = true) -> PDQResult {
        guard image.width >= minimumDimension, image.height >= minimumDimension else { return degenerate(dihedral: dihedral) }
        let scaled = image.width < image.fullWidth || image.height < image.fullHeight
        let fullSize = scaled ? (width: image.fullWidth, height: image.fullHeight) : nil
        return hash(rows: PDQImageRows(image: image), fullSize: fullSize, dihedral: dihedral)
    }

    /// The reference's answer for pictures too small to hash.
    static func degenerate(dihedral: Bool) -> PDQResult {
        let zero = PDQHash(words: (0, 0, 0, 0))
        return PDQResult(hash: zero, quality: 0, dihedral: dihedral ? Array(repeating: zero, count: 8) : [])
    }

    /// Downscale, quality, DCT, bits.
    static func hash<Rows: PDQLumaRows>(rows: Rows, fullSize: (width: Int, height: Int)?, dihedral: Bool) -> PDQResult {
        let width = rows.width, height = rows.height
        // One wiped allocation for everything derived from the pixels: 64x64 and 16x64 and two 16x16
        // blocks, then the downscaler's rows.
        let fixed = 4096 + 1024 + 256 + 256
        let downscaleScratch = fullSize == nil
            ? downscaleScratchCount(width: width, height: height) : scaledDownscaleScratchCount(width: width, height: height)
        let scratch = PixelBuffer(count: (fixed + downscaleScratch) * MemoryLayout<Float>.stride)
        return scratch.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!.bindMemory(to: Float.self, capacity: raw.count / MemoryLayout<Float>.stride)
            let buffer64 = base, t16x64 = base + 4096, block = base + 5120, aux = base + 5376, rest = base + fixed

            // The reference copies a 64x64 plane as is rather than filtering it; its dihedral
            // routine filters always, so there the two can differ.
            let direct64 = width == 64 && height == 64 && fullSize == nil
            if let fullSize {
                downscaleScaled(rows, fullWidth: fullSize.width, fullHeight: fullSize.height, scratch: rest, into: buffer64)
            } else if direct64, let plane = rows as? PDQPlaneRows {
                buffer64.update(from: plane.base, count: 4096)
            } else if direct64 {
                for i in 0..<64 { (buffer64 + i * 64).update(from: rows.row(i, scratch: rest), count: 64) }
            } else {
                downscale(rows, scratch: rest, into: buffer64)
            }
            let quality = quality(of: buffer64)
            dct64To16(buffer64, scratch: t16x64, into: block)
            let hash = hashFromDCT(block)
            var variants: [PDQHash] = []
            if dihedral {
                if direct64 {
                    downscale(rows, scratch: rest, into: buffer64)
                    dct64To16(buffer64, scratch: t16x64, into: block)
                }
                variants = dihedralHashes(of: block, aux: aux)
            }
            return PDQResult(hash: hash, quality: quality, dihedral: variants)
        }
    }
}
