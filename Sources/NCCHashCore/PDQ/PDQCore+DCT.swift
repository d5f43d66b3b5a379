extension PDQCore {
    /// The 16x64 DCT-II basis rows 1...16 (row-major), rounded to `Float` exactly as the reference
    /// does: a `Float` scale factor times a `Double` cosine, the product rounded once.
    static let dctMatrix: [Float] = {
        let scale = Float((2.0 / 64.0).squareRoot())
        var matrix = [Float](repeating: 0, count: 16 * 64)
        for i in 0..<16 {
            for j in 0..<64 {
                let angle = (Double.pi / 2.0 / 64.0) * Double(i + 1) * Double(2 * j + 1)
                matrix[i * 64 + j] = Float(Double(scale) * LibM.cosine(angle))
            }
        }
        return matrix
    }()

    /// The same matrix transposed (64x16), so the second product runs across 16 contiguous lanes.
    static let dctMatrixTransposed: [Float] = {
        var transposed = [Float](repeating: 0, count: 64 * 16)
        for i in 0..<16 { for k in 0..<64 { transposed[k * 16 + i] = dctMatrix[i * 64 + k] } }
        return transposed
    }()

    /// Computes `out16x16 = D * a64x64 * Dᵀ` with `t16x64` as scratch.
    ///
    /// Each output element is summed over k = 0...63 in order, starting from zero, with the product
    /// rounded before the add, as in the reference; only independent elements run side by side.
    static func dct64To16(
        _ a: UnsafePointer<Float>, scratch t: UnsafeMutablePointer<Float>, into b: UnsafeMutablePointer<Float>
    ) {
        dctMatrix.withUnsafeBufferPointer { dBuffer in
            let d = dBuffer.baseAddress!
            // T = D A: row i of T accumulates D[i][k] * (row k of A), 64 columns at a time.
            for i in 0..<16 {
                var acc0 = SIMD16<Float>.zero, acc1 = SIMD16<Float>.zero
                var acc2 = SIMD16<Float>.zero, acc3 = SIMD16<Float>.zero
                for k in 0..<64 {
                    let coefficient = d[i * 64 + k]
                    let row = UnsafeRawPointer(a + k * 64)
                    acc0 = acc0 + row.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) * coefficient
                    acc1 = acc1 + row.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) * coefficient
                    acc2 = acc2 + row.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self) * coefficient
                    acc3 = acc3 + row.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self) * coefficient
                }
                let out = UnsafeMutableRawPointer(t + i * 64)
                out.storeBytes(of: acc0, toByteOffset: 0, as: SIMD16<Float>.self)
                out.storeBytes(of: acc1, toByteOffset: 64, as: SIMD16<Float>.self)
                out.storeBytes(of: acc2, toByteOffset: 128, as: SIMD16<Float>.self)
                out.storeBytes(of: acc3, toByteOffset: 192, as: SIMD16<Float>.self)
            }
        }
        dctMatrixTransposed.withUnsafeBufferPointer { dtBuffer in
            let dt = UnsafeRawPointer(dtBuffer.baseAddress!)
            // B = T Dᵀ: row i of B accumulates T[i][k] * D[j][k] over k, the 16 j side by side.
            for i in 0..<16 {
                var acc = SIMD16<Float>.zero
                for k in 0..<64 {
                    let column = dt.loadUnaligned(fromByteOffset: k * 64, as: SIMD16<Float>.self)
                    acc = acc + t[i * 64 + k] * column
                }
                UnsafeMutableRawPointer(b + i * 16).storeBytes(of: acc, as: SIMD16<Float>.self)
            }
        }
    }

    /// The median of `n` floats by Torben Mogensen's method, bit-for-bit as the reference computes
    /// it (the result depends only on the multiset of values, not their order).
    package static func torbenMedian(_ m: UnsafePointer<Float>, count n: Int) -> Float {
        var minimum = m[0]
        var maximum = m[0]
        for i in 1..<n {
            if m[i] < minimum { minimum = m[i] }
            if m[i] > maximum { maximum = m[i] }
        }
        let half = (n + 1) / 2
        var guess: Float = 0
        var less = 0, greater = 0, equal = 0
        var maxBelow: Float = 0, minAbove: Float = 0
        while true {
            guess = (minimum + maximum) / 2
            less = 0; greater = 0; equal = 0
            maxBelow = minimum
            minAbove = maximum
            for i in 0..<n {
                let value = m[i]
                if value < guess {
                    less += 1
                    if value > maxBelow { maxBelow = value }
                } else if value > guess {
                    greater += 1
                    if value < minAbove { minAbove = value }
                } else {
                    equal += 1
                }
            }
            if less <= half && greater <= half { break }
            if less > greater { maximum = maxBelow } else { minimum = minAbove }
        }
        if less >= half { return maxBelow }
        if less + equal >= half { return guess }
        return minAbove
    }

    /// Thresholds a 16x16 DCT block at its median: reference bit `i * 16 + j` is set when
    /// coefficient (i, j) is strictly above the median.
    package static func hashFromDCT(_ block: UnsafePointer<Float>) -> PDQWords {
        let median = torbenMedian(block, count: 256)
        // Reference bit k lives in word 3 - k/64 (words are most significant first), bit k % 64;
        // block rows 0-3 fill the last word, rows 12-15 the first.
        @inline(__always) func word(_ w: Int) -> UInt64 {
            var bits: UInt64 = 0
            for k in (w * 64)..<(w * 64 + 64) where block[k] > median {
                bits |= 1 << UInt64(k & 63)
            }
            return bits
        }
        return PDQWords(words: (word(3), word(2), word(1), word(0)))
    }
}
