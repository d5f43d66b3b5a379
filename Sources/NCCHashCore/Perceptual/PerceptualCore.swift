/// pHash and dHash, bit-identical to Python `imagehash` 4.3 (`phash`, `dhash` with their default
/// sizes) run on Pillow 13 with the same decoded pixels.
///
/// Both start from Pillow's `convert("L")` and `resize(..., LANCZOS)`:
/// - pHash: 32x32 L image, DCT-II (unnormalised, float64) down the columns then along the rows,
///   the top-left 8x8 block, bit = coefficient > median of the 64.
/// - dHash: 9x8 (width x height) L image, bit = pixel > its left neighbour.
///
/// Bits are row-major with the first bit in the most significant position of the `UInt64`,
/// so its 16 hex digits equal `str(imagehash.phash(img))`.
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
public enum PerceptualCore {
    /// Side of the L image pHash takes its DCT of (imagehash: hash_size 8 * highfreq_factor 4).
    package static let phashSide = 32
    /// Side of the low-frequency block pHash keeps.
    static let phashBlock = 8
    /// dHash's resized width (one more column than bits per row) and height.
    package static let dhashWidth = 9
    package static let dhashHeight = 8

    /// The axis weights a resize uses: fetched from a cache natively, computed afresh otherwise.
    public typealias AxisSource = (_ inputSize: Int, _ outputSize: Int) -> LanczosAxis

    /// pHash (imagehash `phash`, hash_size 8) and dHash (imagehash `dhash`, hash_size 8) of `view`,
    /// from one luminance conversion: each source row is converted to L once and fed to both resamplers,
    /// so no full-size L plane is ever allocated.
    public static func hashes(
        _ view: PixelView, axis: AxisSource = { LanczosAxis(inputSize: $0, outputSize: $1) }
    ) -> (phash: UInt64, dhash: UInt64) {
        let small = resized(view, to: [(phashSide, phashSide), (dhashWidth, dhashHeight)], axis: axis)
        // The buffers must outlive the reads through their pointers (their release wipes them).
        return withExtendedLifetime(small) {
            (phash(ofSquare32: small[0].pointer(to: UInt8.self)), dhash(ofNineByEight: small[1].pointer(to: UInt8.self)))
        }
    }

    /// pHash alone (one resize).
    public static func phash(_ view: PixelView, axis: AxisSource = { LanczosAxis(inputSize: $0, outputSize: $1) }) -> UInt64 {
        let small = resized(view, to: [(phashSide, phashSide)], axis: axis)
        return withExtendedLifetime(small) { phash(ofSquare32: small[0].pointer(to: UInt8.self)) }
    }

    /// dHash alone (one resize).
    public static func dhash(_ view: PixelView, axis: AxisSource = { LanczosAxis(inputSize: $0, outputSize: $1) }) -> UInt64 {
        let small = resized(view, to: [(dhashWidth, dhashHeight)], axis: axis)
        return withExtendedLifetime(small) { dhash(ofNineByEight: small[0].pointer(to: UInt8.self)) }
    }

    /// Pillow's `image.convert("L").resize(size, LANCZOS)` for each requested size, sharing the
    /// row-by-row luma conversion.
    /// - Returns: one `width * height` L buffer per size, in order.
    public static func resized(
        _ view: PixelView, to sizes: [(width: Int, height: Int)], axis: AxisSource = { LanczosAxis(inputSize: $0, outputSize: $1) }
    ) -> [WipedBuffer] {
        let width = view.width, height = view.height
        precondition(width > 0 && height > 0, "cannot hash an empty image")
        let plans = sizes.map {
            LanczosPlan(inputWidth: width, inputHeight: height, outputWidth: $0.width, outputHeight: $0.height, axis: axis)
        }
        let intermediates = plans.map { $0.makeIntermediate() }
        var lower = plans[0].sourceRows.lowerBound, upper = plans[0].sourceRows.upperBound
        for plan in plans {
            lower = min(lower, plan.sourceRows.lowerBound)
            upper = max(upper, plan.sourceRows.upperBound)
        }
        // One row of L values for colour input; wiped when released.
        let lumaRow = WipedBuffer(count: view.layout == .gray8 ? 0 : width)
        let luma = lumaRow.pointer(to: UInt8.self)
        for y in lower..<upper {
            let row = PillowLuma.row(y, of: view, scratch: luma)
            for i in 0..<plans.count { plans[i].absorb(row: row, at: y, into: intermediates[i].base) }
        }
        var results: [WipedBuffer] = []
        for i in 0..<plans.count {
            let out = WipedBuffer(count: plans[i].outputWidth * plans[i].outputHeight)
            plans[i].finish(intermediate: intermediates[i].base, into: out.pointer(to: UInt8.self))
            results.append(out)
        }
        withExtendedLifetime(intermediates) {}
        withExtendedLifetime(lumaRow) {}
        return results
    }

    /// `cos(pi * k * (2n + 1) / 64)` for the odd k in 1, 3, 5, 7 (rows) and n in 0..<16.
    static let oddCosines32: [Double] = [1, 3, 5, 7].flatMap { k in
        (0..<16).map { n in LibM.cosine(Double.pi * Double(k * (2 * n + 1)) / 64) }
    }
    /// `cos(pi * k * (2n + 1) / 32)` for k in 1, 3 (rows) and n in 0..<8.
    static let oddCosines16: [Double] = [1, 3].flatMap { k in
        (0..<8).map { n in LibM.cosine(Double.pi * Double(k * (2 * n + 1)) / 32) }
    }
    /// `cos(pi * (2n + 1) / 16)` for n in 0..<4.
    static let oddCosines8: [Double] = (0..<4).map { n in LibM.cosine(Double.pi * Double(2 * n + 1) / 16) }

    /// The first 8 coefficients of SciPy's unnormalised DCT-II of 32 samples,
    /// `y[k] = 2 * sum(x[n] * cos(pi * k * (2n + 1) / 64))`.
    ///
    /// Computed by even/odd folding (`x[n] ± x[31 - n]`, repeated on the even half), like an FFT
    /// does: a coefficient that is zero because the samples are symmetric or constant comes out as
    /// an exact 0.0, as in SciPy. A plain sum would leave ±1e-13 there, and on flat or mirrored
    /// images the median test would then turn on that noise.
    @inline(__always)
    static func dct32Low8(_ x: UnsafePointer<Double>, stride: Int, into y: UnsafeMutablePointer<Double>, outStride: Int,
                          tables c32: UnsafePointer<Double>, _ c16: UnsafePointer<Double>, _ c8: UnsafePointer<Double>) {
        // Folding buffers on the stack; they hold values derived from pixels and are zeroed after use.
        var sum16 = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        var diff16 = sum16
        withUnsafeMutableBytes(of: &sum16) { sumRaw in
            withUnsafeMutableBytes(of: &diff16) { diffRaw in
                // Tuples of Double are laid out contiguously; these are typed views of them.
                let u = sumRaw.bindMemory(to: Double.self).baseAddress!
                let d = diffRaw.bindMemory(to: Double.self).baseAddress!
                for n in 0..<16 {
                    let a = x[n * stride], b = x[(31 - n) * stride]
                    u[n] = a + b
                    d[n] = a - b
                }
                for (row, k) in [1, 3, 5, 7].enumerated() {
                    var s = 0.0
                    for n in 0..<16 { s += d[n] * c32[row * 16 + n] }
                    y[k * outStride] = 2 * s
                }
                // Fold the even half (16 samples) into 8 sums and 8 differences, in place.
                for n in 0..<8 {
                    let a = u[n], b = u[15 - n]
                    u[n] = a + b
                    d[n] = a - b
                }
                for (row, k) in [2, 6].enumerated() {
                    var s = 0.0
                    for n in 0..<8 { s += d[n] * c16[row * 8 + n] }
                    y[k * outStride] = 2 * s
                }
                for n in 0..<4 {
                    let a = u[n], b = u[7 - n]
                    u[n] = a + b
                    d[n] = a - b
                }
                var s4 = 0.0
                for n in 0..<4 { s4 += d[n] * c8[n] }
                y[4 * outStride] = 2 * s4
                y[0] = 2 * ((u[0] + u[3]) + (u[1] + u[2]))
                sumRaw.initializeMemory(as: UInt8.self, repeating: 0)
                diffRaw.initializeMemory(as: UInt8.self, repeating: 0)
            }
        }
    }

    /// pHash of a 32x32 L image (1024 bytes, row-major).
    package static func phash(ofSquare32 pixels: UnsafePointer<UInt8>) -> UInt64 {
        let n = phashSide, m = phashBlock
        // Pixels as doubles, column DCT rows 0..<8 (8 x 32), the 8x8 block, a sorted copy; zeroed after use.
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: n * n + m * n + m * m + m * m) { scratch in
            let samples = scratch.baseAddress!
            let columns = samples + n * n
            let block = columns + m * n
            let sorted = block + m * m
            defer { scratch.update(repeating: 0) }
            for i in 0..<(n * n) { samples[i] = Double(pixels[i]) }
            oddCosines32.withUnsafeBufferPointer { c32 in
                oddCosines16.withUnsafeBufferPointer { c16 in
                    oddCosines8.withUnsafeBufferPointer { c8 in
                        // scipy.fftpack.dct(axis=0): down each column, keeping rows 0..<8.
                        for j in 0..<n {
                            dct32Low8(samples + j, stride: n, into: columns + j, outStride: n,
                                      tables: c32.baseAddress!, c16.baseAddress!, c8.baseAddress!)
                        }
                        // Then dct(axis=1) along each of those 8 rows, keeping columns 0..<8.
                        for k in 0..<m {
                            dct32Low8(columns + k * n, stride: 1, into: block + k * m, outStride: 1,
                                      tables: c32.baseAddress!, c16.baseAddress!, c8.baseAddress!)
                        }
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
            return bits
        }
    }

    /// dHash of a 9x8 L image (72 bytes, row-major, 9 per row).
    package static func dhash(ofNineByEight pixels: UnsafePointer<UInt8>) -> UInt64 {
        var bits: UInt64 = 0
        var index: UInt64 = 63
        for r in 0..<dhashHeight {
            for c in 0..<(dhashWidth - 1) {
                if pixels[r * dhashWidth + c + 1] > pixels[r * dhashWidth + c] { bits |= 1 << index }
                index &-= 1
            }
        }
        return bits
    }
}
