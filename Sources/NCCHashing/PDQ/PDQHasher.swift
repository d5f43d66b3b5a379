import NCCHashCore

/// PDQ, Meta's 256-bit perceptual photo hash, bit-identical to the `pdqhash` PyPI package
/// (the pipeline Meta's Hasher-Matcher-Actioner uses) fed the same decoded RGB pixels.
///
/// The numerics live in NCCHashCore's `PDQCore` (the very code the person's page runs as WebAssembly);
/// this type hashes decoded pictures with it. The picture's float32 luma is blurred with two passes of
/// Jarosz box filters and sampled down to 64x64, a 16x16 block of DCT coefficients is taken, and each bit
/// says whether its coefficient is above the block's median. The eight dihedral variants come from the same block.
public enum PDQHasher {
    /// Pictures narrower or shorter than this many pixels get an all-zero hash of quality 0.
    public static let minimumDimension = PDQCore.minimumDimension

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
        guard width >= minimumDimension, height >= minimumDimension else { return PDQResult(PDQCore.degenerate(dihedral: dihedral)) }
        return PDQResult(PDQCore.hash(luma: UnsafePointer(luma.baseAddress!), width: width, height: height, dihedral: dihedral))
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
        guard image.width >= minimumDimension, image.height >= minimumDimension else { return PDQResult(PDQCore.degenerate(dihedral: dihedral)) }
        return PDQResult(image.withPixelView { PDQCore.hash($0, dihedral: dihedral) })
    }

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
            return Array(repeating: PDQHash(PDQWords.zero), count: 8)
        }
        return image.withPixelView { PDQCore.pixelDihedralHashes($0) }.map(PDQHash.init)
    }

    // The core's steps, under the names the tests know.

    /// The dihedral transforms of a DCT block (`PDQCore.Dihedral`).
    typealias Dihedral = PDQCore.Dihedral

    /// Jarosz box-filter window for shrinking `oldDimension` to `newDimension`.
    static func jaroszWindow(_ oldDimension: Int, _ newDimension: Int) -> Int { PDQCore.jaroszWindow(oldDimension, newDimension) }

    /// Source index sampled for output cell `index` of `outCount` when decimating `inCount` samples.
    static func decimationIndex(_ index: Int, inCount: Int, outCount: Int) -> Int {
        PDQCore.decimationIndex(index, inCount: inCount, outCount: outCount)
    }

    /// The median of `n` floats as the reference computes it.
    static func torbenMedian(_ m: UnsafePointer<Float>, count n: Int) -> Float { PDQCore.torbenMedian(m, count: n) }

    /// Thresholds a 16x16 DCT block at its median.
    static func hashFromDCT(_ block: UnsafePointer<Float>) -> PDQHash { PDQHash(PDQCore.hashFromDCT(block)) }
}
