import Foundation
import NCCHashCore

/// Pillow's `Image.resize(size, Image.LANCZOS)` for 8-bit single-channel ("L") images, bit for bit:
/// NCCHashCore's `LanczosPlan` with weight tables shared between pictures of the same size.
///
/// Pillow 13 resamples in two separable passes with fixed-point weights, storing the first pass
/// in an 8-bit (clipped) intermediate image; see `LanczosPlan` for the pass order.
/// Callers feed source rows one at a time (`absorb`), so a full-resolution L plane never has to exist.
public struct LanczosResampler: Sendable {
    /// The core's plan for this resize.
    let plan: LanczosPlan

    /// Source width in pixels.
    public var inputWidth: Int { plan.inputWidth }
    /// Source height in pixels.
    public var inputHeight: Int { plan.inputHeight }
    /// Result width in pixels.
    public var outputWidth: Int { plan.outputWidth }
    /// Result height in pixels.
    public var outputHeight: Int { plan.outputHeight }
    /// Pillow 13's pass order: vertical pass first.
    var verticalFirst: Bool { plan.verticalFirst }

    /// The source rows (0-based) that `absorb` must be given; others are ignored.
    public var sourceRows: Range<Int> { plan.sourceRows }

    /// Bytes of the intermediate buffer (`makeIntermediate()`) that `absorb` writes into.
    public var intermediateByteCount: Int { plan.intermediateByteCount }

    /// Prepares a resize from `inputWidth` x `inputHeight` to `outputWidth` x `outputHeight` (all > 0).
    public init(inputWidth: Int, inputHeight: Int, outputWidth: Int, outputHeight: Int) {
        plan = LanczosPlan(
            inputWidth: inputWidth, inputHeight: inputHeight, outputWidth: outputWidth, outputHeight: outputHeight,
            axis: LanczosAxisCache.shared.axis)
    }

    /// A zero-initialised (or, vertical first, rounding-offset-initialised) intermediate buffer.
    public func makeIntermediate() -> PixelBuffer {
        let buffer = PixelBuffer(count: intermediateByteCount)
        buffer.withUnsafeMutableBytes { plan.prepareIntermediate($0.baseAddress!) }
        return buffer
    }

    /// Feeds source row `y` (its `inputWidth` L bytes at `row`) into `intermediate` (from
    /// `makeIntermediate()`). Rows outside `sourceRows` are ignored; order does not matter.
    ///
    /// - Warning: Every row of `sourceRows` must be absorbed exactly once before `finish`.
    public func absorb(row: UnsafePointer<UInt8>, at y: Int, into intermediate: UnsafeMutableRawPointer) {
        plan.absorb(row: row, at: y, into: intermediate)
    }

    /// Completes the resize from a fully absorbed `intermediate`, writing
    /// `outputWidth * outputHeight` bytes to `output`.
    public func finish(intermediate: UnsafeMutableRawPointer, into output: UnsafeMutablePointer<UInt8>) {
        plan.finish(intermediate: intermediate, into: output)
    }

    /// Resizes a whole L plane (`inputWidth * inputHeight` bytes, row-major).
    /// - Returns: `outputWidth * outputHeight` bytes.
    public func resize(_ plane: UnsafeRawBufferPointer) -> PixelBuffer {
        precondition(plane.count >= inputWidth * inputHeight, "plane smaller than the image")
        let result = PixelBuffer(count: outputWidth * outputHeight)
        result.withUnsafeMutableBytes { out in
            // The plane holds plain bytes; binding to UInt8 is only a view for arithmetic.
            self.plan.resize(plane.baseAddress!.assumingMemoryBound(to: UInt8.self), into: out.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return result
    }
}

/// Lanczos weight tables by (input size, output size), each with the C kernel of its horizontal pass
/// (`NativeLanczosRow`): photos come in a few common sizes, and a 4000-wide table costs tens of thousands of `sin`
/// calls to build.
final class LanczosAxisCache: @unchecked Sendable {
    static let shared = LanczosAxisCache()
    private let lock = NSLock()
    private var tables: [Key: LanczosAxis] = [:]
    private struct Key: Hashable { let inputSize: Int; let outputSize: Int }
    /// Bound on the number of cached tables (each at most a few hundred KiB).
    private let limit = 64

    /// The table for resampling `inputSize` samples to `outputSize`, computed once.
    func axis(inputSize: Int, outputSize: Int) -> LanczosAxis {
        let key = Key(inputSize: inputSize, outputSize: outputSize)
        if let hit = lock.withLock({ tables[key] }) { return hit }
        let made = NativeLanczosRow.attached(to: LanczosAxis(inputSize: inputSize, outputSize: outputSize))
        lock.withLock {
            if tables.count >= limit { tables.removeAll(keepingCapacity: true) }
            tables[key] = made
        }
        return made
    }
}
