import CResampleKernels
import NCCHashCore

/// One axis's Lanczos weights handed to the C kernel (`ncc_lanczos_row`: AVX2 or SSE2 multiply-adds chosen at
/// run time), which writes the same bytes as NCCHashCore's Swift loop in a quarter of its time or less.
///
/// The axis's own immutable tables are passed as they are; their buffers are borrowed for each row.
final class NativeLanczosRow: Sendable {
    private let axis: LanczosAxis
    /// 0 portable C, 1 SSE2, 2 AVX2, -1 the fastest this CPU runs.
    private let path: Int32

    /// The kernel for `axis`; `path` pins a variant (tests compare them), nil takes the fastest.
    init(_ axis: LanczosAxis, path: Int32? = nil) {
        self.axis = axis
        self.path = path ?? -1
    }

    /// The horizontal pass of one row: `axis.inputSize` bytes at `row` into `axis.outputSize` bytes at `out`.
    func run(_ row: UnsafePointer<UInt8>, _ out: UnsafeMutablePointer<UInt8>) {
        let outputs = axis.outputSize, stride = axis.kernelSize, path = path
        axis.starts.withUnsafeBufferPointer { starts in
            axis.counts.withUnsafeBufferPointer { counts in
                axis.weightsHigh.withUnsafeBufferPointer { high in
                    axis.weightsLow.withUnsafeBufferPointer { low in
                        if path < 0 {
                            ncc_lanczos_row(row, out, outputs, starts.baseAddress!, counts.baseAddress!, high.baseAddress!, low.baseAddress!, stride)
                        } else {
                            ncc_lanczos_row_on(path, row, out, outputs, starts.baseAddress!, counts.baseAddress!, high.baseAddress!, low.baseAddress!, stride)
                        }
                    }
                }
            }
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
