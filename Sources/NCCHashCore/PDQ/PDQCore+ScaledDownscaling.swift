extension PDQCore {
    /// The 64-sample blur-and-decimate operator of the reference along one axis, folded onto the
    /// pixels of a picture that a JPEG decoder shrank in the DCT domain.
    ///
    /// The reference blurs the full-resolution luma with two passes of a Jarosz box (its window from
    /// the full size) and samples 64 cell centres. A DCT-scaled pixel `j` stands for the block of
    /// full-resolution pixels `[j*s, j*s + s)`; treating the block as flat, output `k` is a weighted
    /// sum of a few scaled pixels whose weights are the reference's own kernel summed over each block.
    /// Filtering the small picture with a window of its own size instead blurs differently and lands
    /// PDQ up to 40 bits away; this keeps fast-mode hashes a few bits from exact ones.
    struct BlockTaps {
        /// For each of the 64 outputs, the first scaled pixel with a weight.
        var first: [Int]
        /// Where each output's weights start in `flat` (65 entries: output k uses `offsets[k]..<offsets[k + 1]`).
        var offsets: [Int]
        /// The weights of consecutive scaled pixels from `first`, all outputs in one array (one
        /// allocation instead of one per output: a hash may run this several times per picture).
        var flat: [Float]

        /// Number of weights of output `k`.
        func count(_ k: Int) -> Int { offsets[k + 1] - offsets[k] }

        /// Taps for an axis `full` pixels long at full resolution, `scaled` pixels long as decoded.
        init(full: Int, scaled: Int) {
            let window = jaroszWindow(full, 64)
            let half = (window + 2) / 2
            let behind = window - half, ahead = half - 1
            // Inclusive range and count of the reference's box around full-resolution index i.
            func box(_ i: Int) -> (lo: Int, hi: Int) { (max(0, i - behind), min(full - 1, i + ahead)) }
            let blockSize = Double(full) / Double(scaled)
            let step = max(1, Int((blockSize).rounded()))
            first = []
            first.reserveCapacity(64)
            offsets = [0]
            offsets.reserveCapacity(65)
            flat = []
            var kernel: [Double] = [] // reused for every output
            for k in 0..<64 {
                let centre = decimationIndex(k, inCount: full, outCount: 64)
                // Row `centre` of (box after box): each pixel m of the first box spreads 1/count(m) over its own box.
                let outer = box(centre)
                let outerShare = 1.0 / Double(outer.hi - outer.lo + 1)
                let base = box(outer.lo).lo, top = box(outer.hi).hi
                kernel.removeAll(keepingCapacity: true)
                kernel.append(contentsOf: repeatElement(0, count: top - base + 1))
                for m in outer.lo...outer.hi {
                    let inner = box(m)
                    let share = outerShare / Double(inner.hi - inner.lo + 1)
                    for x in inner.lo...inner.hi { kernel[x - base] += share }
                }
                let lo = base / step, hi = min(scaled - 1, top / step)
                let start = flat.count
                flat.append(contentsOf: repeatElement(0, count: hi - lo + 1))
                for (offset, weight) in kernel.enumerated() { flat[start + min(scaled - 1, (base + offset) / step) - lo] += Float(weight) }
                first.append(lo)
                offsets.append(flat.count)
            }
        }
    }

    /// Blurs and decimates a DCT-scaled luma plane to 64x64 as the reference would have done at full
    /// resolution (see `BlockTaps`): 64 outputs per needed row, then 64 per column.
    static func downscaleScaled<Rows: PDQLumaRows>(
        _ rows: Rows, fullWidth: Int, fullHeight: Int, scratch: UnsafeMutablePointer<Float>, into out64: UnsafeMutablePointer<Float>
    ) {
        let along = BlockTaps(full: fullWidth, scaled: rows.width)
        let down = BlockTaps(full: fullHeight, scaled: rows.height)
        let rowScratch = scratch
        let horizontal = scratch + roundUp16(rows.width)  // 64 floats per scaled row
        var needed = [Bool](repeating: false, count: rows.height)
        for k in 0..<64 { for i in 0..<down.count(k) { needed[down.first[k] + i] = true } }
        along.flat.withUnsafeBufferPointer { alongTaps in
            for i in 0..<rows.height where needed[i] {
                let row = rows.row(i, scratch: rowScratch)
                let out = horizontal + i * 64
                for k in 0..<64 {
                    var sum: Float = 0
                    let start = along.first[k], taps = alongTaps.baseAddress! + along.offsets[k]
                    for t in 0..<along.count(k) { sum += taps[t] * row[start + t] }
                    out[k] = sum
                }
            }
        }
        down.flat.withUnsafeBufferPointer { downTaps in
            for k in 0..<64 {
                let out = out64 + k * 64
                for c in 0..<64 { out[c] = 0 }
                let start = down.first[k], taps = downTaps.baseAddress! + down.offsets[k]
                for t in 0..<down.count(k) {
                    let weight = taps[t], source = horizontal + (start + t) * 64
                    for c in 0..<64 { out[c] += weight * source[c] }
                }
            }
        }
    }

    /// Float counts of scratch `downscaleScaled` needs.
    static func scaledDownscaleScratchCount(width: Int, height: Int) -> Int {
        roundUp16(width) + 64 * height
    }
}
