import NCCHashCore

/// pHash and dHash, bit-identical to Python `imagehash` 4.3 (`phash`, `dhash` with their default
/// sizes) run on Pillow 13 with the same decoded pixels.
///
/// The numerics are NCCHashCore's `PerceptualCore` (the very code the person's page runs as
/// WebAssembly); this type hashes decoded pictures with it, sharing Lanczos weight tables between
/// pictures of the same size. Both start from Pillow's `convert("L")` and `resize(..., LANCZOS)`:
/// - pHash: 32x32 L image, DCT-II (unnormalised, float64) down the columns then along the rows,
///   the top-left 8x8 block, bit = coefficient > median of the 64.
/// - dHash: 9x8 (width x height) L image, bit = pixel > its left neighbour.
///
/// Bits are row-major with the first bit in the most significant position of `Hash64.value`,
/// so `hex` equals `str(imagehash.phash(img))`.
///
/// Only the needed 8x8 DCT block is computed, in float64 with even/odd folding so that
/// coefficients that vanish by symmetry are exact zeros as in SciPy. Other coefficients may
/// differ from SciPy's in the last bits; that changes a hash bit only when a coefficient equals
/// the median to about 1e-12. Photographs and artwork never hit this (all 3,000 crops and
/// rescales of the corpus tried were equal); contrived 32x32 inputs can: pictures exactly
/// symmetric about their diagonal, or made of flat 8x8 blocks, where mathematically equal
/// coefficients tie with the median.
///
/// Cost: one pass over the pixels per hash (the luma conversion feeds the resampler row by row);
/// about 35 ms for a 12-megapixel RGB picture on one core (Python imagehash: 110 ms), 0.25 ms
/// for 500x375 gray.
/// - Precondition: the image is at least 1x1.
public enum PerceptualHasher {
    /// The 64-bit pHash of `image` (imagehash `phash`, hash_size 8).
    ///
    /// Cost: one pass over the pixels (luma conversion fused with the horizontal resampling pass).
    /// - Warning: Use `hashes(_:)` when both hashes are wanted: it reads the pixels once.
    public static func phash(_ image: DecodedImage) -> Hash64 {
        Hash64(image.withPixelView { PerceptualCore.phash($0, axis: LanczosAxisCache.shared.axis) })
    }

    /// The 64-bit dHash of `image` (imagehash `dhash`, hash_size 8: horizontal differences).
    ///
    /// - Warning: Use `hashes(_:)` when both hashes are wanted: it reads the pixels once.
    public static func dhash(_ image: DecodedImage) -> Hash64 {
        Hash64(image.withPixelView { PerceptualCore.dhash($0, axis: LanczosAxisCache.shared.axis) })
    }

    /// Both from one luminance conversion: each source row is converted to L once and fed to both
    /// resamplers, so no full-size L plane is ever allocated.
    public static func hashes(_ image: DecodedImage) -> (phash: Hash64, dhash: Hash64) {
        let both = image.withPixelView { PerceptualCore.hashes($0, axis: LanczosAxisCache.shared.axis) }
        return (Hash64(both.phash), Hash64(both.dhash))
    }

    /// Pillow's `image.convert("L").resize(size, LANCZOS)` for each requested size, sharing the
    /// row-by-row luma conversion.
    /// - Returns: one `width * height` L buffer per size, in order.
    static func resized(_ image: DecodedImage, to sizes: [(width: Int, height: Int)]) -> [PixelBuffer] {
        let small = image.withPixelView { PerceptualCore.resized($0, to: sizes, axis: LanczosAxisCache.shared.axis) }
        return zip(small, sizes).map { buffer, size in
            let out = PixelBuffer(count: size.width * size.height)
            out.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: buffer.base, count: buffer.count)) }
            return out
        }
    }
}
