#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// pHash and dHash, bit-identical to Python `imagehash` 4.3 (`phash`, `dhash` with their default
/// sizes) run on Pillow 13 with the same decoded pixels.
///
/// Both start from Pillow's `convert("L")` and `resize(..., LANCZOS)`:
/// - pHash: 32x32 L image, DCT-II (unnormalised, float64) down the columns then along the rows,
///   the top-left 8x8 block, bit = coefficient > median of the 64.
/// - dHash: 9x8 (width x height) L image, bit = pixel > its left neighbour.
///
/// Bits are row-major with the first bit in the most significant position of `Hash64.value`,
/// so `hex` equals `str(imagehash.phash(img))`.
///
/// The DCT is computed directly (not by FFT) in float64, so coefficients can differ from SciPy's in
/// the last bits; that changes a bit only when a coefficient equals the median to about 1e-12,
/// which in practice happens for flat or exactly symmetric images only.
public enum PerceptualHasher {
    /// Side of the L image pHash takes its DCT of (imagehash: hash_size 8 * highfreq_factor 4).
    static let phashSide = 32
    /// Side of the low-frequency block pHash keeps.
    static let phashBlock = 8
    /// dHash's resized width (one more column than bits per row) and height.
    static let dhashWidth = 9
    static let dhashHeight = 8

    /// The 64-bit pHash of `image` (imagehash `phash`, hash_size 8).
    ///
    /// Cost: one pass over the pixels (luma conversion fused with the horizontal resampling pass).
    /// - Warning: Use `hashes(_:)` when both hashes are wanted: it reads the pixels once.
    public static func phash(_ image: DecodedImage) -> Hash64 {
        let small = resized(image, to: [(phashSide, phashSide)])
        return small[0].withUnsafeBytes { phash(ofSquare32: $0) }
    }

    /// The 64-bit dHash of `image` (imagehash `dhash`, hash_size 8: horizontal differences).
    ///
    /// - Warning: Use `hashes(_:)` when both hashes are wanted: it reads the pixels once.
    public static func dhash(_ image: DecodedImage) -> Hash64 {
        let small = resized(image, to: [(dhashWidth, dhashHeight)])
        return small[0].withUnsafeBytes { dhash(ofNineByEight: $0) }
    }

    /// Both from one luminance conversion (the luma plane is computed once and shared).
    ///
    /// Each source row is converted to L once and fed to both resamplers, so no full-size
    /// L plane is ever allocated.
    public static func hashes(_ image: DecodedImage) -> (phash: Hash64, dhash: Hash64) {
        let small = resized(image, to: [(phashSide, phashSide), (dhashWidth, dhashHeight)])
        let p = small[0].withUnsafeBytes { phash(ofSquare32: $0) }
        let d = small[1].withUnsafeBytes { dhash(ofNineByEight: $0) }
        return (p, d)
    }

    /// Pillow's `image.convert("L").resize(size, LANCZOS)` for each requested size, sharing the
    /// row-by-row luma conversion.
    /// - Returns: one `width * height` L buffer per size, in order.
    static func resized(_ image: DecodedImage, to sizes: [(width: Int, height: Int)]) -> [PixelBuffer] {
        let width = image.width, height = image.height
        precondition(width > 0 && height > 0, "cannot hash an empty image")
        let plans = sizes.map {
            LanczosResampler(inputWidth: width, inputHeight: height, outputWidth: $0.width, outputHeight: $0.height)
        }
        let intermediates = plans.map { $0.makeIntermediate() }
        let lower = plans.map(\.sourceRows.lowerBound).min()!
        let upper = plans.map(\.sourceRows.upperBound).max()!
        let isRGB = image.layout == .rgb8
        // One row of L values for RGB input; a PixelBuffer so it is wiped when released.
        let lumaRow = PixelBuffer(count: isRGB ? width : 0)
        // Raw pointers of each intermediate, valid while the buffers are alive (held in `intermediates`).
        let targets = intermediates.map { $0.withUnsafeMutableBytes { $0.baseAddress! } }
        image.pixels.withUnsafeBytes { pixels in
            lumaRow.withUnsafeMutableBytes { scratch in
                // Byte views of plain pixel memory; no other type is ever bound there.
                let source = pixels.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let luma = scratch.baseAddress!.assumingMemoryBound(to: UInt8.self)
                for y in lower..<upper {
                    let row: UnsafePointer<UInt8>
                    if isRGB {
                        PillowLuminance.convertRow(rgb: source + y * width * 3, into: luma, count: width)
                        row = UnsafePointer(luma)
                    } else {
                        row = source + y * width
                    }
                    for (plan, target) in zip(plans, targets) { plan.absorb(row: row, at: y, into: target) }
                }
            }
        }
        var results: [PixelBuffer] = []
        for (plan, target) in zip(plans, targets) {
            let out = PixelBuffer(count: plan.outputWidth * plan.outputHeight)
            out.withUnsafeMutableBytes { plan.finish(intermediate: target, into: $0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
            results.append(out)
        }
        withExtendedLifetime(intermediates) {}
        return results
    }

    /// `cos(pi * k * (2n + 1) / 64)` for k in 0..<8, n in 0..<32: the DCT-II basis rows pHash needs.
    static let cosineTable: [Double] = (0..<phashBlock).flatMap { k in
        (0..<phashSide).map { n in cos(Double.pi * Double(k * (2 * n + 1)) / Double(2 * phashSide)) }
    }

    /// pHash of a 32x32 L image (1024 bytes, row-major).
    static func phash(ofSquare32 pixels: UnsafeRawBufferPointer) -> Hash64 {
        let n = phashSide, m = phashBlock
        precondition(pixels.count >= n * n)
        // Column DCT rows 0..<8 (8 x 32), then row DCT columns 0..<8 (8 x 8); stack buffers, zeroed after use.
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: m * n + m * m + m * m) { scratch in
            let columns = scratch.baseAddress!
            let block = columns + m * n
            let sorted = block + m * m
            defer { scratch.update(repeating: 0) }
            cosineTable.withUnsafeBufferPointer { table in
                let c = table.baseAddress!
                for k in 0..<m {
                    let basis = c + k * n
                    for j in 0..<n {
                        var s = 0.0
                        for i in 0..<n { s += Double(pixels[i * n + j]) * basis[i] }
                        columns[k * n + j] = 2 * s
                    }
                }
                for k in 0..<m {
                    for l in 0..<m {
                        let basis = c + l * n
                        var s = 0.0
                        for j in 0..<n { s += columns[k * n + j] * basis[j] }
                        block[k * m + l] = 2 * s
                    }
                }
            }
            let count = m * m
            sorted.update(from: block, count: count)
            var ordered = UnsafeMutableBufferPointer(start: sorted, count: count)
            ordered.sort()
            // numpy.median of an even count: the mean of the two middle values.
            let median = (sorted[count / 2 - 1] + sorted[count / 2]) / 2
            var bits: UInt64 = 0
            for i in 0..<count where block[i] > median { bits |= 1 << UInt64(count - 1 - i) }
            return Hash64(bits)
        }
    }

    /// dHash of a 9x8 L image (72 bytes, row-major, 9 per row).
    static func dhash(ofNineByEight pixels: UnsafeRawBufferPointer) -> Hash64 {
        precondition(pixels.count >= dhashWidth * dhashHeight)
        var bits: UInt64 = 0
        var index: UInt64 = 63
        for r in 0..<dhashHeight {
            for c in 0..<(dhashWidth - 1) {
                if pixels[r * dhashWidth + c + 1] > pixels[r * dhashWidth + c] { bits |= 1 << index }
                index &-= 1
            }
        }
        return Hash64(bits)
    }
}
