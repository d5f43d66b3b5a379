/// Supplies the rows of a float32 luma plane to the PDQ downscaler, one row at a time.
package protocol PDQLumaRows {
    /// Columns per row.
    var width: Int { get }
    /// Number of rows.
    var height: Int { get }
    /// The whole plane, row-major and packed, when the rows come from one (nil when they are computed).
    var plane: UnsafePointer<Float>? { get }
    /// Row `i` (`width` floats): a pointer into the plane, or `scratch` after filling it.
    func row(_ i: Int, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float>
}

/// Rows of an existing row-major luma plane, or of a rectangle of one (rows `rowStride` floats apart).
package struct PDQPlaneRows: PDQLumaRows {
    package let base: UnsafePointer<Float>
    package let width: Int
    package let height: Int
    package let rowStride: Int

    package init(base: UnsafePointer<Float>, width: Int, height: Int, rowStride: Int? = nil) {
        self.base = base
        self.width = width
        self.height = height
        self.rowStride = rowStride ?? width
    }

    package var plane: UnsafePointer<Float>? { rowStride == width ? base : nil }

    package func row(_ i: Int, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> { base + i * rowStride }
}

extension PDQCore {
    /// Jarosz box-filter window for shrinking `oldDimension` to `newDimension`: half of one output
    /// cell, rounded up, since two passes of the box make a tent spanning the whole cell.
    package static func jaroszWindow(_ oldDimension: Int, _ newDimension: Int) -> Int {
        (oldDimension + 2 * newDimension - 1) / (2 * newDimension)
    }

    /// Source index sampled for output cell `index` of `outCount` when decimating `inCount` samples
    /// (cell centres, computed in double and truncated as the reference does).
    package static func decimationIndex(_ index: Int, inCount: Int, outCount: Int) -> Int {
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
    /// It keeps the last `window + 8` input rows in a ring (so a band of eight rows can be written
    /// before they are taken) and one running sum per column, and performs, column by column,
    /// exactly the reference's sequence of float operations; the columns are independent, so they
    /// run side by side in SIMD lanes.
    struct VerticalBox {
        let width: Int
        let height: Int
        let window: Int
        let half: Int
        /// `(window + lookahead) * width` floats: the most recent input rows.
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

        /// Input rows that may be written ahead of `commit`.
        static let lookahead = 8

        private func slot(_ row: Int) -> UnsafeMutablePointer<Float> { ring + (row % (window + Self.lookahead)) * width }

        /// Where the caller writes the input row `ahead` rows after the next one to be committed
        /// (0 ..< `lookahead`); row `window` back must survive until it is subtracted.
        func inputSlot(ahead: Int = 0) -> UnsafeMutablePointer<Float> { slot(pushed + ahead) }

        /// Takes the row written into `inputSlot()`; true when an output row was written to `output`.
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
            + (windowDown + VerticalBox.lookahead) * w + w + 8 * w  // first vertical pass: ring, sums, eight output rows
            + (windowDown + VerticalBox.lookahead) * 64 + 2 * 64  // second vertical pass over the 64 sampled columns
    }

    @inline(__always) static func roundUp16(_ n: Int) -> Int { (n + 15) & ~15 }

    /// Eight pointers held inline (no array, no reference counting in the hot loops).
    struct PointerOctet<P> {
        var p0, p1, p2, p3, p4, p5, p6, p7: P
        init(repeating p: P) { (p0, p1, p2, p3, p4, p5, p6, p7) = (p, p, p, p, p, p, p, p) }
        subscript(lane: Int) -> P {
            get {
                switch lane {
                case 0: p0
                case 1: p1
                case 2: p2
                case 3: p3
                case 4: p4
                case 5: p5
                case 6: p6
                default: p7
                }
            }
            set {
                switch lane {
                case 0: p0 = newValue
                case 1: p1 = newValue
                case 2: p2 = newValue
                case 3: p3 = newValue
                case 4: p4 = newValue
                case 5: p5 = newValue
                case 6: p6 = newValue
                default: p7 = newValue
                }
            }
        }
    }

    /// Eight SIMD rows of an 8x8 block.
    typealias Block8 = (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)

    /// Transposes an 8x8 block. Three rounds of splitting each row pair into even and odd
    /// elements rotate the 6-bit element index by three bits, which swaps row and column; each
    /// round is plain shuffles, no scalar moves.
    @inline(__always) static func transpose(_ b: Block8) -> Block8 {
        @inline(__always) func round(_ b: Block8) -> Block8 {
            let q0 = SIMD16(lowHalf: b.0, highHalf: b.1), q1 = SIMD16(lowHalf: b.2, highHalf: b.3)
            let q2 = SIMD16(lowHalf: b.4, highHalf: b.5), q3 = SIMD16(lowHalf: b.6, highHalf: b.7)
            return (q0.evenHalf, q1.evenHalf, q2.evenHalf, q3.evenHalf, q0.oddHalf, q1.oddHalf, q2.oddHalf, q3.oddHalf)
        }
        return round(round(round(b)))
    }

    /// Puts eight rows side by side: `band[k]` lane l is `rows[l][k]`.
    static func interleave(_ rows: PointerOctet<UnsafePointer<Float>>, width: Int, into band: UnsafeMutablePointer<SIMD8<Float>>) {
        let (p0, p1, p2, p3, p4, p5, p6, p7) = (rows.p0, rows.p1, rows.p2, rows.p3, rows.p4, rows.p5, rows.p6, rows.p7)
        @inline(__always) func load(_ p: UnsafePointer<Float>, _ k: Int) -> SIMD8<Float> {
            UnsafeRawPointer(p + k).loadUnaligned(as: SIMD8<Float>.self)
        }
        var k = 0
        while k + 8 <= width {
            let t = transpose((load(p0, k), load(p1, k), load(p2, k), load(p3, k), load(p4, k), load(p5, k), load(p6, k), load(p7, k)))
            band[k] = t.0; band[k + 1] = t.1; band[k + 2] = t.2; band[k + 3] = t.3
            band[k + 4] = t.4; band[k + 5] = t.5; band[k + 6] = t.6; band[k + 7] = t.7
            k += 8
        }
        while k < width {
            band[k] = SIMD8(p0[k], p1[k], p2[k], p3[k], p4[k], p5[k], p6[k], p7[k])
            k += 1
        }
    }

    /// The inverse: lane l of `band[k]` goes to `rows[l][k]`.
    static func deinterleave(_ band: UnsafePointer<SIMD8<Float>>, width: Int, into rows: PointerOctet<UnsafeMutablePointer<Float>>) {
        let (p0, p1, p2, p3, p4, p5, p6, p7) = (rows.p0, rows.p1, rows.p2, rows.p3, rows.p4, rows.p5, rows.p6, rows.p7)
        @inline(__always) func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ k: Int) {
            UnsafeMutableRawPointer(p + k).storeBytes(of: v, as: SIMD8<Float>.self)
        }
        var k = 0
        while k + 8 <= width {
            let t = transpose((band[k], band[k + 1], band[k + 2], band[k + 3], band[k + 4], band[k + 5], band[k + 6], band[k + 7]))
            store(t.0, p0, k); store(t.1, p1, k); store(t.2, p2, k); store(t.3, p3, k)
            store(t.4, p4, k); store(t.5, p5, k); store(t.6, p6, k); store(t.7, p7, k)
            k += 8
        }
        while k < width {
            let v = band[k]
            p0[k] = v[0]; p1[k] = v[1]; p2[k] = v[2]; p3[k] = v[3]
            p4[k] = v[4]; p5[k] = v[5]; p6[k] = v[6]; p7[k] = v[7]
            k += 1
        }
    }

    /// The window count the reference divides by at output `index` of a box filter pass.
    static func boxCount(at index: Int, length: Int, window: Int) -> Int {
        let half = (window + 2) / 2
        let growing = window - half + 1
        if index < growing { return half + index }
        let fullEnd = growing + (length - window)
        if index < fullEnd { return window }
        return window - 1 - (index - fullEnd)
    }

    /// `boxFilter8` without the divisions: writes the running sums, so a caller that needs only a
    /// few outputs divides just those by `boxCount` (the same float division, made later).
    static func boxSums8(
        _ input: UnsafePointer<SIMD8<Float>>, _ output: UnsafeMutablePointer<SIMD8<Float>>, length: Int, window: Int
    ) {
        let half = (window + 2) / 2
        var sum = SIMD8<Float>.zero
        var ri = 0, li = 0, oi = 0
        for _ in 0..<(half - 1) {
            sum = sum + input[ri]
            ri += 1
        }
        for _ in 0..<(window - half + 1) {
            sum = sum + input[ri]
            output[oi] = sum
            ri += 1
            oi += 1
        }
        for _ in 0..<(length - window) {
            sum = sum + input[ri]
            sum = sum - input[li]
            output[oi] = sum
            li += 1
            ri += 1
            oi += 1
        }
        for _ in 0..<(half - 1) {
            sum = sum - input[li]
            output[oi] = sum
            li += 1
            oi += 1
        }
    }

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
        let ringRows = windowDown + VerticalBox.lookahead

        var cursor = scratch
        func take(_ count: Int) -> UnsafeMutablePointer<Float> {
            defer { cursor += roundUp16(count) }
            return cursor
        }
        func takeBand() -> UnsafeMutablePointer<SIMD8<Float>> {
            UnsafeMutableRawPointer(take(8 * stride)).assumingMemoryBound(to: SIMD8<Float>.self)
        }
        let rowScratch = take(8 * stride)
        // Interleaved bands: element k of lane l is column k of the band's row l.
        let band1In = takeBand(), band1Out = takeBand(), band2In = takeBand(), band2Out = takeBand()
        var down1 = VerticalBox(width: width, height: height, window: windowDown, ring: take(ringRows * stride), sums: take(stride))
        let down1Out = take(8 * stride)  // up to eight output rows, gathered for the next band
        var down2 = VerticalBox(width: 64, height: height, window: windowDown, ring: take(ringRows * 64), sums: take(64))
        let down2Out = take(64)

        // Sampled positions, and the box-window count each sampled column had in the second row pass.
        var sampledColumns = [Int](repeating: 0, count: 64)
        var sampledRows = [Int](repeating: 0, count: 64)
        var sampledCounts = [Float](repeating: 0, count: 64)
        for q in 0..<64 {
            sampledColumns[q] = decimationIndex(q, inCount: width, outCount: 64)
            sampledRows[q] = decimationIndex(q, inCount: height, outCount: 64)
            sampledCounts[q] = Float(boxCount(at: sampledColumns[q], length: width, window: windowAlong))
        }
        var nextOutputRow = 0
        var band2Count = 0
        var bandRows = PointerOctet<UnsafePointer<Float>>(repeating: UnsafePointer(rowScratch))
        var bandSlots = PointerOctet<UnsafeMutablePointer<Float>>(repeating: rowScratch)

        func keep(_ row: UnsafePointer<Float>, index: Int) {
            while nextOutputRow < 64 && sampledRows[nextOutputRow] == index {
                (out64 + nextOutputRow * 64).update(from: row, count: 64)
                nextOutputRow += 1
            }
        }

        func runBand2() {
            for lane in 0..<8 { bandRows[lane] = UnsafePointer(down1Out + min(lane, band2Count - 1) * stride) }
            interleave(bandRows, width: width, into: band2In)
            boxSums8(band2In, band2Out, length: width, window: windowAlong)
            let sums = UnsafeRawPointer(band2Out).assumingMemoryBound(to: Float.self)
            for lane in 0..<band2Count {
                let slot = down2.inputSlot()
                for q in 0..<64 {
                    // The division the reference made at this column, made only where it is sampled.
                    slot[q] = sums[sampledColumns[q] * 8 + lane] / sampledCounts[q]
                }
                if down2.commit(output: down2Out) { keep(down2Out, index: down2.emitted - 1) }
            }
            band2Count = 0
        }

        // Pass 1 along rows, eight rows at a time, then pass 1 down columns; its output rows
        // collect in `down1Out` until eight of them make a band for pass 2.
        var r0 = 0
        while r0 < height {
            let n = min(8, height - r0)
            for lane in 0..<8 {
                // Lanes past the last row repeat it; their results are ignored.
                bandRows[lane] = rows.row(min(r0 + lane, height - 1), scratch: rowScratch + lane * stride)
            }
            interleave(bandRows, width: width, into: band1In)
            boxFilter8(band1In, band1Out, length: width, window: windowAlong)
            for lane in 0..<8 {
                // Unused lanes go to a row of scratch that is free by now.
                bandSlots[lane] = lane < n ? down1.inputSlot(ahead: lane) : rowScratch
            }
            deinterleave(band1Out, width: width, into: bandSlots)
            for _ in 0..<n {
                if down1.commit(output: down1Out + band2Count * stride) {
                    band2Count += 1
                    if band2Count == 8 { runBand2() }
                }
            }
            r0 += 8
        }
        while down1.drain(output: down1Out + band2Count * stride) {
            band2Count += 1
            if band2Count == 8 { runBand2() }
        }
        if band2Count > 0 { runBand2() }
        while down2.drain(output: down2Out) { keep(down2Out, index: down2.emitted - 1) }
    }
}
