import NCCHashCore
import Testing
@testable import NCCHashing

/// The C kernel of the Lanczos horizontal pass (every variant this CPU runs) writes the bytes NCCHashCore's Swift
/// loop writes, which the imagehash conformance suites pin to Pillow.
@Suite("Native Lanczos row kernel equals the Swift pass")
struct NativeLanczosRowTests {
    /// One row resized by `LanczosPlan` (height 1: the horizontal pass alone), through `axis`.
    static func resizedRow(_ row: [UInt8], to width: Int, axis: @escaping PerceptualCore.AxisSource) -> [UInt8] {
        let plan = LanczosPlan(inputWidth: row.count, inputHeight: 1, outputWidth: width, outputHeight: 1, axis: axis)
        var out = [UInt8](repeating: 0, count: width)
        row.withUnsafeBufferPointer { r in out.withUnsafeMutableBufferPointer { plan.resize(r.baseAddress!, into: $0.baseAddress!) } }
        return out
    }

    static func rows(width: Int, seed: UInt64) -> [[UInt8]] {
        var random = SplitMix64(seed: seed)
        let noise = (0..<width).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        // Alternating extremes drive the negative lobes to clip at both ends; flat rows hit exact rounding.
        let extremes = (0..<width).map { UInt8($0 / 3 % 2 == 0 ? 255 : 0) }
        let ramp = (0..<width).map { UInt8(truncatingIfNeeded: $0 * 255 / max(width - 1, 1)) }
        return [noise, extremes, ramp, [UInt8](repeating: 255, count: width), [UInt8](repeating: 128, count: width)]
    }

    @Test(arguments: [(4032, 32), (4032, 9), (3024, 32), (1000, 9), (97, 32), (40, 32), (33, 9), (17, 9), (9, 8), (31, 32), (6000, 31)])
    func everyVariantMatches(inputWidth: Int, outputWidth: Int) {
        for row in Self.rows(width: inputWidth, seed: UInt64(inputWidth * 131 + outputWidth)) {
            let swift = Self.resizedRow(row, to: outputWidth) { LanczosAxis(inputSize: $0, outputSize: $1) }
            for path: Int32 in [0, 1, 2] {
                let native = Self.resizedRow(row, to: outputWidth) {
                    NativeLanczosRow.attached(to: LanczosAxis(inputSize: $0, outputSize: $1), path: path)
                }
                #expect(native == swift, "path \(path), \(inputWidth) -> \(outputWidth)")
            }
        }
    }

    @Test func cacheUsesTheKernel() {
        #expect(LanczosAxisCache.shared.axis(inputSize: 640, outputSize: 32).rowKernel != nil)
        #expect(["avx2", "sse2", "portable"].contains(NativeLanczosRow.activePath))
    }
}
