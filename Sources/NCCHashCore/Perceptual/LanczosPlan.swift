/// The resampling weights of one axis, as Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc`
/// make them for the Lanczos (a = 3) filter.
///
/// For each output index: the first input index it reads, how many inputs, and that many
/// fixed-point weights (22 fractional bits) that sum to about 1.
public struct LanczosAxis: Sendable {
    /// Fractional bits of the fixed-point weights (Pillow: 32 - 8 - 2).
    static let precisionBits = 22

    package let inputSize: Int
    package let outputSize: Int
    /// Stride between the weight lists of two outputs in `weights`.
    package let kernelSize: Int
    /// First input index read by each output.
    package let starts: [Int]
    /// Number of inputs read by each output.
    package let counts: [Int]
    /// `outputSize * kernelSize` fixed-point weights.
    let weights: [Int32]
    /// The same weights split as `high * 2048 + low` (`low` in 0..<2048), so a dot product with
    /// 8-bit pixels runs on 16-bit multiply-adds (SSE2 `pmaddwd`) yet sums to the exact Int32 result.
    package let weightsHigh: [Int16]
    package let weightsLow: [Int16]
    /// Bits of `weightsLow`.
    static let splitBits = 11

    /// A native horizontal pass that writes the same bytes as the Swift loop (`LanczosPlan.horizontalPass`) for one
    /// source row of `inputSize` samples into `outputSize` samples.
    public typealias RowKernel = @Sendable (_ row: UnsafePointer<UInt8>, _ out: UnsafeMutablePointer<UInt8>) -> Void
    /// Set by the native library (NCCHashing's SIMD kernel, chosen at run time); nil: the Swift loop (the page).
    package var rowKernel: RowKernel? = nil

    /// First input index any output reads.
    var firstUsed: Int { starts[0] }
    /// One past the last input index any output reads.
    var endUsed: Int { starts[outputSize - 1] + counts[outputSize - 1] }

    /// Lanczos-3: `sinc(x) * sinc(x / 3)` on [-3, 3), with the same operations (and libm `sin`) as Pillow.
    @inline(__always)
    static func lanczos(_ x: Double) -> Double {
        guard -3.0 <= x && x < 3.0 else { return 0 }
        return sinc(x) * sinc(x / 3)
    }

    @inline(__always)
    static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let t = x * Double.pi
        return LibM.sine(t) / t
    }

    /// Weights for resampling `inputSize` samples to `outputSize` (the whole input range).
    public init(inputSize: Int, outputSize: Int) {
        precondition(inputSize > 0 && outputSize > 0, "resampling needs non-empty sizes")
        self.inputSize = inputSize
        self.outputSize = outputSize
        // Pillow passes the box as C floats, so the span is a float difference widened to double.
        let scale = Double(Float(inputSize) - Float(0)) / Double(outputSize)
        let filterScale = max(scale, 1.0)
        let support = 3.0 * filterScale
        let kernelSize = Int(support.rounded(.up)) * 2 + 1
        let inverseFilterScale = 1.0 / filterScale
        self.kernelSize = kernelSize

        var starts = [Int](repeating: 0, count: outputSize)
        var counts = [Int](repeating: 0, count: outputSize)
        var weights = [Int32](repeating: 0, count: outputSize * kernelSize)
        var row = [Double](repeating: 0, count: kernelSize)
        let one = Double(1 << LanczosAxis.precisionBits)
        for xx in 0..<outputSize {
            let center = 0.0 + (Double(xx) + 0.5) * scale
            // Int(_:) truncates toward zero, like the C cast Pillow uses to "round".
            let xmin = max(Int(center - support + 0.5), 0)
            let xmax = min(Int(center + support + 0.5), inputSize) - xmin
            var total = 0.0
            for x in 0..<xmax {
                let w = Self.lanczos((Double(x + xmin) - center + 0.5) * inverseFilterScale)
                row[x] = w
                total += w
            }
            for x in 0..<xmax {
                let w = total != 0 ? row[x] / total : row[x]
                // Round half away from zero by truncating after adding ±0.5, as Pillow does.
                weights[xx * kernelSize + x] = w < 0 ? Int32(-0.5 + w * one) : Int32(0.5 + w * one)
            }
            starts[xx] = xmin
            counts[xx] = xmax
        }
        self.starts = starts
        self.counts = counts
        self.weights = weights
        // |weight| < 2^23, so the high part fits Int16; the low part is 0..<2048.
        weightsHigh = weights.map { Int16($0 >> Int32(LanczosAxis.splitBits)) }
        weightsLow = weights.map { Int16($0 & ((1 << Int32(LanczosAxis.splitBits)) - 1)) }
    }
}

/// Pillow's `Image.resize(size, Image.LANCZOS)` for 8-bit single-channel ("L") images, bit for bit.
///
/// Pillow 13 resamples in two separable passes with fixed-point weights, storing the first pass
/// in an 8-bit (clipped) intermediate image:
/// - normally horizontal first (over only the source rows the vertical pass reads), then vertical;
/// - vertical first when the height shrinks by more than twice as many pixels as the width
///   (`inH - outH > 2 * (inW - outW)` with `outH < inH`), then horizontal.
/// A pass is skipped when its dimension does not change; an unchanged size is returned as is.
/// The order matters: the 8-bit rounding between passes makes the two orders differ.
///
/// Callers feed source rows one at a time (`absorb`), so a full-resolution L plane never has to
/// exist. Coefficient tables are computed once per (input size, output size) and shared.
public struct LanczosPlan: Sendable {
    /// Source width in pixels.
    public let inputWidth: Int
    /// Source height in pixels.
    public let inputHeight: Int
    /// Result width in pixels.
    public let outputWidth: Int
    /// Result height in pixels.
    public let outputHeight: Int
    /// Horizontal weights; nil when the width does not change (Pillow skips the pass).
    package let horizontal: LanczosAxis?
    /// Vertical weights (also defining which rows are read); `needsVertical` says whether the pass runs.
    package let vertical: LanczosAxis
    package let needsVertical: Bool
    /// Pillow 13's pass order: vertical pass first (see the type's summary).
    package let verticalFirst: Bool

    /// The source rows (0-based) that `absorb` must be given; others are ignored.
    public var sourceRows: Range<Int> { vertical.firstUsed..<vertical.endUsed }

    /// Bytes of the intermediate buffer (`prepareIntermediate(_:)`) that `absorb` writes into.
    public var intermediateByteCount: Int {
        // Vertical first: one Int32 running sum per (output row, source column).
        verticalFirst ? MemoryLayout<Int32>.size * inputWidth * outputHeight : outputWidth * sourceRows.count
    }

    /// Prepares a resize from `inputWidth` x `inputHeight` to `outputWidth` x `outputHeight` (all > 0).
    ///
    /// - Parameter axis: Makes (or fetches from a cache) the weights of one axis for an input and an output
    ///   size; by default they are computed afresh (tens of thousands of `sin` calls for a 4000-pixel side).
    public init(
        inputWidth: Int, inputHeight: Int, outputWidth: Int, outputHeight: Int,
        axis: (_ inputSize: Int, _ outputSize: Int) -> LanczosAxis = { LanczosAxis(inputSize: $0, outputSize: $1) }
    ) {
        precondition(inputWidth > 0 && inputHeight > 0 && outputWidth > 0 && outputHeight > 0,
                     "image sizes must be positive")
        self.inputWidth = inputWidth
        self.inputHeight = inputHeight
        self.outputWidth = outputWidth
        self.outputHeight = outputHeight
        horizontal = inputWidth == outputWidth ? nil : axis(inputWidth, outputWidth)
        vertical = axis(inputHeight, outputHeight)
        needsVertical = inputHeight != outputHeight
        verticalFirst = horizontal != nil && outputHeight < inputHeight
            && inputHeight - outputHeight > 2 * (inputWidth - outputWidth)
    }

    /// Sets up `intermediateByteCount` zeroed bytes at `intermediate` (64-byte aligned) for `absorb`: vertical
    /// first, they become Int32 running sums starting at the rounding offset.
    public func prepareIntermediate(_ intermediate: UnsafeMutableRawPointer) {
        if verticalFirst {
            // The buffer is only ever used as Int32 running sums in this mode.
            intermediate.bindMemory(to: Int32.self, capacity: inputWidth * outputHeight)
                .update(repeating: 1 << (LanczosAxis.precisionBits - 1), count: inputWidth * outputHeight)
        }
    }

    /// A wiped intermediate buffer, prepared for `absorb`.
    public func makeIntermediate() -> WipedBuffer {
        let buffer = WipedBuffer(count: intermediateByteCount)
        prepareIntermediate(buffer.base)
        return buffer
    }

    /// Feeds source row `y` (its `inputWidth` L bytes at `row`) into `intermediate` (from
    /// `makeIntermediate()` or `prepareIntermediate(_:)`). Rows outside `sourceRows` are ignored; order does not matter.
    ///
    /// - Warning: Every row of `sourceRows` must be absorbed exactly once before `finish`.
    public func absorb(row: UnsafePointer<UInt8>, at y: Int, into intermediate: UnsafeMutableRawPointer) {
        let rows = sourceRows
        guard rows.contains(y) else { return }
        if verticalFirst {
            // Running vertical sums: add this row, weighted, to every output row whose window holds it.
            let sums = intermediate.assumingMemoryBound(to: Int32.self)
            let width = inputWidth
            vertical.weights.withUnsafeBufferPointer { weights in
                for yy in 0..<outputHeight {
                    let offset = y - vertical.starts[yy]
                    guard offset >= 0 && offset < vertical.counts[yy] else { continue }
                    let weight = weights[yy * vertical.kernelSize + offset]
                    let target = sums + yy * width
                    for x in 0..<width { target[x] &+= Int32(row[x]) &* weight }
                }
            }
            return
        }
        let out = intermediate.assumingMemoryBound(to: UInt8.self) + (y - rows.lowerBound) * outputWidth
        guard let axis = horizontal else {
            out.update(from: row, count: outputWidth)
            return
        }
        Self.horizontalPass(row, into: out, axis: axis)
    }

    /// Completes the resize from a fully absorbed `intermediate`, writing
    /// `outputWidth * outputHeight` bytes to `output`.
    public func finish(intermediate: UnsafeMutableRawPointer, into output: UnsafeMutablePointer<UInt8>) {
        if verticalFirst {
            let sums = intermediate.assumingMemoryBound(to: Int32.self)
            let width = inputWidth
            // The clipped 8-bit image of the vertical pass, one row at a time; wiped after use.
            let lineBuffer = WipedBuffer(count: width)
            let line = lineBuffer.pointer(to: UInt8.self)
            defer { withExtendedLifetime(lineBuffer) {} }
            for yy in 0..<outputHeight {
                let source = sums + yy * width
                for x in 0..<width { line[x] = Self.clip8(source[x]) }
                Self.horizontalPass(line, into: output + yy * outputWidth, axis: horizontal!)
            }
            return
        }
        let temp = UnsafePointer(intermediate.assumingMemoryBound(to: UInt8.self))
        let width = outputWidth
        guard needsVertical else {
            output.update(from: temp, count: width * outputHeight)
            return
        }
        let axis = vertical
        let base = axis.firstUsed
        // Per-column sums of pixel values; wiped before release because they derive from pixels.
        let sumsBuffer = WipedBuffer(capacity: width, of: Int32.self)
        let sums = sumsBuffer.pointer(to: Int32.self)
        defer { withExtendedLifetime(sumsBuffer) {} }
        axis.weights.withUnsafeBufferPointer { weights in
            for yy in 0..<outputHeight {
                sums.update(repeating: 1 << (LanczosAxis.precisionBits - 1), count: width)
                let k = weights.baseAddress! + yy * axis.kernelSize
                for y in 0..<axis.counts[yy] {
                    let line = temp + (axis.starts[yy] + y - base) * width
                    let weight = k[y]
                    for xx in 0..<width {
                        sums[xx] &+= Int32(line[xx]) &* weight
                    }
                }
                let out = output + yy * width
                for xx in 0..<width { out[xx] = Self.clip8(sums[xx]) }
            }
        }
    }

    /// Resizes a whole L plane (`inputWidth * inputHeight` bytes, row-major at `plane`) into
    /// `outputWidth * outputHeight` bytes at `output`.
    public func resize(_ plane: UnsafePointer<UInt8>, into output: UnsafeMutablePointer<UInt8>) {
        let intermediate = makeIntermediate()
        for y in sourceRows { absorb(row: plane + y * inputWidth, at: y, into: intermediate.base) }
        finish(intermediate: intermediate.base, into: output)
        withExtendedLifetime(intermediate) {}
    }

    /// One row of the horizontal pass: `outputWidth` samples from `inputWidth` at `row`.
    @inline(__always)
    static func horizontalPass(_ row: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<UInt8>, axis: LanczosAxis) {
        if let kernel = axis.rowKernel { return kernel(row, out) }
        axis.weightsHigh.withUnsafeBufferPointer { high in
            axis.weightsLow.withUnsafeBufferPointer { low in
                let h = high.baseAddress!, l = low.baseAddress!
                for xx in 0..<axis.outputSize {
                    let k = xx * axis.kernelSize
                    out[xx] = dot(row + axis.starts[xx], h + k, l + k, count: axis.counts[xx])
                }
            }
        }
    }

    /// One fixed-point output sample: Pillow's rounding offset plus the weighted sum, clipped to 0...255.
    ///
    /// Computes `sum(pixel * (high * 2048 + low))` as `(sum(pixel * high) << 11) + sum(pixel * low)`:
    /// each product fits 16-bit multiply-adds, the partial sums fit Int32, and the wrapping
    /// recombination is exact because the true total fits Int32 (|weights| sum < 2, pixels < 256).
    @inline(__always)
    static func dot(_ pixels: UnsafePointer<UInt8>, _ high: UnsafePointer<Int16>, _ low: UnsafePointer<Int16>, count: Int) -> UInt8 {
        var sumHigh: Int32 = 0
        var sumLow: Int32 = 1 << (LanczosAxis.precisionBits - 1)
        for i in 0..<count {
            // Int16 operands widened to Int32: the pattern the compiler turns into pmaddwd.
            let p = Int32(Int16(pixels[i]))
            sumHigh &+= p &* Int32(high[i])
            sumLow &+= p &* Int32(low[i])
        }
        return clip8((sumHigh &<< Int32(LanczosAxis.splitBits)) &+ sumLow)
    }

    @inline(__always)
    static func clip8(_ sum: Int32) -> UInt8 {
        let v = sum >> Int32(LanczosAxis.precisionBits)
        return v < 0 ? 0 : (v > 255 ? 255 : UInt8(truncatingIfNeeded: v))
    }
}

