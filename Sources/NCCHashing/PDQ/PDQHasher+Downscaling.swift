/// Supplies the rows of a float32 luma plane to the PDQ downscaler, one row at a time.
protocol PDQLumaRows {
    /// Columns per row.
    var width: Int { get }
    /// Number of rows.
    var height: Int { get }
    /// Row `i` (`width` floats): a pointer into the plane, or `scratch` after filling it.
    func row(_ i: Int, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float>
}

/// Rows of an existing row-major luma plane.
struct PDQPlaneRows: PDQLumaRows {
    let base: UnsafePointer<Float>
    let width: Int
    let height: Int

    func row(_ i: Int, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> { base + i * width }
}

extension PDQHasher {
    /// Jarosz box-filter window for shrinking `oldDimension` to `newDimension`: half of one output
    /// cell, rounded up, since two passes of the box make a tent spanning the whole cell.
    static func jaroszWindow(_ oldDimension: Int, _ newDimension: Int) -> Int {
        (oldDimension + 2 * newDimension - 1) / (2 * newDimension)
    }

    /// Source index sampled for output cell `index` of `outCount` when decimating `inCount` samples
    /// (cell centres, computed in double and truncated as the reference does).
    static func decimationIndex(_ index: Int, inCount: Int, outCount: Int) -> Int {
        Int(((Double(index) + 0.5) * Double(inCount)) / Double(outCount))
    }

    /// One-dimensional box filter along `length` steps of eight independent lanes (eight image rows
    /// side by side), with the reference's four phases and its exact order of float adds, subtracts
    /// and divisions; the window shrinks at both ends.
    static func boxFilter8(
        _ input: UnsafePointer<SIMD8<Float>>, _ output: UnsafeMutablePointer<SIMD8<Float>>, length: Int, window: Int
    ) {
        let half = (window + 2) / 2
        var sum = SIMD8<Float>.zero
        var count = 0
        var ri = 0, li = 0, oi = 0
        for _ in 0..<(half - 1) {
            sum = sum + input[ri]
            count += 1
            ri += 1
        }
        for _ in 0..<(window - half + 1) {
            sum = sum + input[ri]
            count += 1
            output[oi] = sum / SIMD8(repeating: Float(count))
            ri += 1
            oi += 1
        }
        let full = SIMD8(repeating: Float(count))
        for _ in 0..<(length - window) {
            sum = sum + input[ri]
            sum = sum - input[li]
            output[oi] = sum / full
            li += 1
            ri += 1
            oi += 1
        }
        for _ in 0..<(half - 1) {
            sum = sum - input[li]
            count -= 1
            output[oi] = sum / SIMD8(repeating: Float(count))
            li += 1
            oi += 1
        }
    }

    /// A box filter down the columns of a plane that arrives one row at a time.
    ///
    /// It keeps the last `window + 1` input rows in a ring and one running sum per column, and
    /// performs, column by column, exactly the reference's sequence of float operations; the
    /// columns are independent, so they run side by side in SIMD lanes.
    struct VerticalBox {
        let width: Int
        let height: Int
        let window: Int
        let half: Int
        /// `(window + 1) * width` floats: the most recent input rows.
        let ring: UnsafeMutablePointer<Float>
        /// `width` floats: the running column sums (zero at the start).
        let sums: UnsafeMutablePointer<Float>
        private(set) var pushed = 0
        private var subtracted = 0
        private var count = 0
        /// Number of output rows written so far.
        private(set) var emitted = 0

        init(width: Int, height: Int, window: Int, ring: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>) {
            self.width = width
            self.height = height
            self.window = window
            self.half = (window + 2) / 2
            self.ring = ring
            self.sums = sums
        }

        private func slot(_ row: Int) -> UnsafeMutablePointer<Float> { ring + (row % (window + 1)) * width }

        /// Where the caller writes the next input row before calling `commit`.
        var inputSlot: UnsafeMutablePointer<Float> { slot(pushed) }

        /// Takes the row written into `inputSlot`; true when an output row was written to `output`.
        mutating func commit(output: UnsafeMutablePointer<Float>) -> Bool {
            let input = UnsafePointer(slot(pushed))
            pushed += 1
            if pushed < half {
                count += 1
                Self.add(sums, input, width)
                return false
            }
            if pushed <= window {
                count += 1
                Self.addDivide(sums, input, Float(count), output, width)
            } else {
                Self.addSubtractDivide(sums, input, UnsafePointer(slot(subtracted)), Float(count), output, width)
                subtracted += 1
            }
            emitted += 1
            return true
        }

        /// After the last input row: writes the next trailing output row; false when all are out.
        mutating func drain(output: UnsafeMutablePointer<Float>) -> Bool {
            guard emitted < height else { return false }
            count -= 1
            Self.subtractDivide(sums, UnsafePointer(slot(subtracted)), Float(count), output, width)
            subtracted += 1
            emitted += 1
            return true
        }

        // The row kernels: eight columns per SIMD step, then a scalar tail; the same operations per column.

        private static func add(_ s: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ n: Int) {
            var j = 0
            while j + 8 <= n {
                let sv = UnsafeRawPointer(s + j).loadUnaligned(as: SIMD8<Float>.self)
                let av = UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(s + j).storeBytes(of: sv + av, as: SIMD8<Float>.self)
                j += 8
            }
            while j < n { s[j] = s[j] + a[j]; j += 1 }
        }

        private static func addDivide(
            _ s: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ c: Float, _ o: UnsafeMutablePointer<Float>, _ n: Int
        ) {
            let cv = SIMD8(repeating: c)
            var j = 0
            while j + 8 <= n {
                let sv = UnsafeRawPointer(s + j).loadUnaligned(as: SIMD8<Float>.self)
                    + UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(s + j).storeBytes(of: sv, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(o + j).storeBytes(of: sv / cv, as: SIMD8<Float>.self)
                j += 8
            }
            while j < n { s[j] = s[j] + a[j]; o[j] = s[j] / c; j += 1 }
        }

        private static func addSubtractDivide(
            _ s: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: Float,
            _ o: UnsafeMutablePointer<Float>, _ n: Int
        ) {
            let cv = SIMD8(repeating: c)
            var j = 0
            while j + 8 <= n {
                var sv = UnsafeRawPointer(s + j).loadUnaligned(as: SIMD8<Float>.self)
                sv = sv + UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self)
                sv = sv - UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(s + j).storeBytes(of: sv, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(o + j).storeBytes(of: sv / cv, as: SIMD8<Float>.self)
                j += 8
            }
            while j < n {
                var v = s[j] + a[j]
                v = v - b[j]
                s[j] = v
                o[j] = v / c
                j += 1
            }
        }

        private static func subtractDivide(
            _ s: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, _ c: Float, _ o: UnsafeMutablePointer<Float>, _ n: Int
        ) {
            let cv = SIMD8(repeating: c)
            var j = 0
            while j + 8 <= n {
                let sv = UnsafeRawPointer(s + j).loadUnaligned(as: SIMD8<Float>.self)
                    - UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(s + j).storeBytes(of: sv, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(o + j).storeBytes(of: sv / cv, as: SIMD8<Float>.self)
                j += 8
            }
            while j < n { s[j] = s[j] - b[j]; o[j] = s[j] / c; j += 1 }
        }
    }

    /// Float counts of scratch the streaming downscaler needs for a `width` x `height` plane.
    static func downscaleScratchCount(width: Int, height: Int) -> Int {
        let windowDown = jaroszWindow(height, 64)
        let w = roundUp16(width)
        return 8 * w      // source rows computed on the fly
            + 8 * w * 4   // two interleaved bands in, two out
            + (windowDown + 1) * w + 2 * w  // first vertical pass: ring, sums, output row
            + (windowDown + 1) * 64 + 2 * 64  // second vertical pass over the 64 sampled columns
    }

    @inline(__always) static func roundUp16(_ n: Int) -> Int { (n + 15) & ~15 }

    /// Blurs and decimates a luma plane to 64x64 exactly as the reference's two Jarosz passes
    /// (rows then columns, twice) followed by centre sampling, without materialising the
    /// intermediate full-size planes.
    ///
    /// The passes stream: eight rows are box-filtered along the row at once (one per SIMD lane),
    /// pushed through the first column pass, whose output rows are box-filtered along the row again
    /// and then only at the 64 sampled columns pushed through the second column pass, of whose rows
    /// only the 64 sampled ones are kept. Every kept value goes through the same float operations
    /// in the same order as in the reference; only independent rows or columns are reordered.
    static func downscale<Rows: PDQLumaRows>(
        _ rows: Rows, scratch: UnsafeMutablePointer<Float>, into out64: UnsafeMutablePointer<Float>
    ) {
        let width = rows.width, height = rows.height
        let windowAlong = jaroszWindow(width, 64)
        let windowDown = jaroszWindow(height, 64)
        let stride = roundUp16(width)

        var cursor = scratch
        func take(_ count: Int) -> UnsafeMutablePointer<Float> {
            defer { cursor += roundUp16(count) }
            return cursor
        }
        let rowScratch = take(8 * stride)
        // Interleaved bands: element k of lane l is column k of the band's row l.
        let band1In = UnsafeMutableRawPointer(take(8 * stride)).assumingMemoryBound(to: SIMD8<Float>.self)
        let band1Out = UnsafeMutableRawPointer(take(8 * stride)).assumingMemoryBound(to: SIMD8<Float>.self)
        let band2In = UnsafeMutableRawPointer(take(8 * stride)).assumingMemoryBound(to: SIMD8<Float>.self)
        let band2Out = UnsafeMutableRawPointer(take(8 * stride)).assumingMemoryBound(to: SIMD8<Float>.self)
        var down1 = VerticalBox(
            width: width, height: height, window: windowDown, ring: take((windowDown + 1) * stride), sums: take(stride))
        let down1Out = take(stride)
        var down2 = VerticalBox(
            width: 64, height: height, window: windowDown, ring: take((windowDown + 1) * 64), sums: take(64))
        let down2Out = take(64)

        var sampledColumns = [Int](repeating: 0, count: 64)
        var sampledRows = [Int](repeating: 0, count: 64)
        for q in 0..<64 {
            sampledColumns[q] = decimationIndex(q, inCount: width, outCount: 64)
            sampledRows[q] = decimationIndex(q, inCount: height, outCount: 64)
        }
        var nextOutputRow = 0
        var band2Count = 0

        func keep(_ row: UnsafePointer<Float>, index: Int) {
            while nextOutputRow < 64 && sampledRows[nextOutputRow] == index {
                (out64 + nextOutputRow * 64).update(from: row, count: 64)
                nextOutputRow += 1
            }
        }

        func runBand2() {
            boxFilter8(band2In, band2Out, length: width, window: windowAlong)
            sampledColumns.withUnsafeBufferPointer { columns in
                let raw = UnsafeRawPointer(band2Out).assumingMemoryBound(to: Float.self)
                for lane in 0..<band2Count {
                    let slot = down2.inputSlot
                    for q in 0..<64 { slot[q] = raw[columns[q] * 8 + lane] }
                    if down2.commit(output: down2Out) { keep(down2Out, index: down2.emitted - 1) }
                }
            }
            band2Count = 0
        }

        func feedBand2(_ row: UnsafePointer<Float>) {
            // Scatter the row into lane `band2Count` of the interleaved band.
            let lanes = UnsafeMutableRawPointer(band2In).assumingMemoryBound(to: Float.self) + band2Count
            for k in 0..<width { lanes[k * 8] = row[k] }
            band2Count += 1
            if band2Count == 8 { runBand2() }
        }

        var r0 = 0
        while r0 < height {
            let n = min(8, height - r0)
            // Lanes past the last row repeat it; their results are ignored.
            let p0 = rows.row(r0, scratch: rowScratch)
            let p1 = rows.row(min(r0 + 1, height - 1), scratch: rowScratch + stride)
            let p2 = rows.row(min(r0 + 2, height - 1), scratch: rowScratch + 2 * stride)
            let p3 = rows.row(min(r0 + 3, height - 1), scratch: rowScratch + 3 * stride)
            let p4 = rows.row(min(r0 + 4, height - 1), scratch: rowScratch + 4 * stride)
            let p5 = rows.row(min(r0 + 5, height - 1), scratch: rowScratch + 5 * stride)
            let p6 = rows.row(min(r0 + 6, height - 1), scratch: rowScratch + 6 * stride)
            let p7 = rows.row(min(r0 + 7, height - 1), scratch: rowScratch + 7 * stride)
            for k in 0..<width {
                band1In[k] = SIMD8(p0[k], p1[k], p2[k], p3[k], p4[k], p5[k], p6[k], p7[k])
            }
            boxFilter8(band1In, band1Out, length: width, window: windowAlong)
            let raw = UnsafeRawPointer(band1Out).assumingMemoryBound(to: Float.self)
            for lane in 0..<n {
                let slot = down1.inputSlot
                for k in 0..<width { slot[k] = raw[k * 8 + lane] }
                if down1.commit(output: down1Out) { feedBand2(down1Out) }
            }
            r0 += 8
        }
        while down1.drain(output: down1Out) { feedBand2(down1Out) }
        if band2Count > 0 { runBand2() }
        while down2.drain(output: down2Out) { keep(down2Out, index: down2.emitted - 1) }
    }
}
