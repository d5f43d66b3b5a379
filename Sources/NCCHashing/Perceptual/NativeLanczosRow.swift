import CResampleKernels
import NCCHashCore

/// One axis's Lanczos weights laid out for the C kernel (`ncc_lanczos_row`: AVX2 or SSE2 multiply-adds chosen at
/// run time), which writes the same bytes as NCCHashCore's Swift loop in a quarter of its time or less.
///
/// The tables are copied once per axis (weights, not pixels, so nothing to wipe) and live as long as the axis.
final class NativeLanczosRow: Sendable {
    private let outputs: Int
    private let stride: Int
    private nonisolated(unsafe) let starts: UnsafeMutableBufferPointer<Int>
    private nonisolated(unsafe) let counts: UnsafeMutableBufferPointer<Int>
    private nonisolated(unsafe) let high: UnsafeMutableBufferPointer<Int16>
    private nonisolated(unsafe) let low: UnsafeMutableBufferPointer<Int16>
    /// 0 portable C, 1 SSE2, 2 AVX2, -1 the fastest this CPU runs.
    private let path: Int32

    /// The kernel for `axis`; `path` pins a variant (tests compare them), nil takes the fastest.
    init(_ axis: LanczosAxis, path: Int32? = nil) {
        outputs = axis.outputSize
        stride = axis.kernelSize
        starts = .allocate(capacity: axis.starts.count)
        _ = starts.initialize(from: axis.starts)
        counts = .allocate(capacity: axis.counts.count)
        _ = counts.initialize(from: axis.counts)
        high = .allocate(capacity: axis.weightsHigh.count)
        _ = high.initialize(from: axis.weightsHigh)
        low = .allocate(capacity: axis.weightsLow.count)
        _ = low.initialize(from: axis.weightsLow)
        self.path = path ?? -1
    }

    deinit {
        starts.deallocate()
        counts.deallocate()
        high.deallocate()
        low.deallocate()
    }

    /// The horizontal pass of one row: `axis.inputSize` bytes at `row` into `axis.outputSize` bytes at `out`.
    func run(_ row: UnsafePointer<UInt8>, _ out: UnsafeMutablePointer<UInt8>) {
        if path < 0 {
            ncc_lanczos_row(row, out, outputs, starts.baseAddress!, counts.baseAddress!, high.baseAddress!, low.baseAddress!, stride)
        } else {
            ncc_lanczos_row_on(path, row, out, outputs, starts.baseAddress!, counts.baseAddress!, high.baseAddress!, low.baseAddress!, stride)
        }
    }

    /// `axis` with this kernel as its horizontal pass.
    static func attached(to axis: LanczosAxis, path: Int32? = nil) -> LanczosAxis {
        var native = axis
        let kernel = NativeLanczosRow(axis, path: path)
        native.rowKernel = { row, out in kernel.run(row, out) }
        return native
    }

    /// The variant `ncc_lanczos_row` runs on this CPU: "avx2", "sse2" or "portable".
    static var activePath: String { String(cString: ncc_lanczos_row_path()) }
}
