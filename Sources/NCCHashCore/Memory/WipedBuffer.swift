/// Heap memory for anything derived from a picture's pixels (luma planes, filter scratch, small
/// resized copies), zeroed when allocated and wiped before it is freed.
///
/// The core's counterpart of NCCHashing's `PixelBuffer`, without Foundation or C decoders, so the
/// WebAssembly build holds pixel-derived values under the same rule: nothing lingers in freed memory.
/// - Warning: Never copy the bytes out into an `Array`: such copies are not wiped.
public final class WipedBuffer {
    /// Number of bytes.
    public let count: Int
    /// The first byte, 64-byte aligned.
    public let base: UnsafeMutableRawPointer

    /// Allocates `count` zeroed bytes (`count` >= 0).
    public init(count: Int) {
        precondition(count >= 0, "WipedBuffer count must not be negative")
        self.count = count
        base = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
    }

    /// Allocates room for `count` values of `type`, zeroed.
    public convenience init<T>(capacity count: Int, of type: T.Type) {
        self.init(count: count * MemoryLayout<T>.stride)
    }

    deinit {
        LibM.wipe(base, count: max(count, 1))
        base.deallocate()
    }

    /// The bytes seen as `T` values (the buffer holds only trivial values: floats, integers, bytes).
    @inline(__always) public func pointer<T>(to type: T.Type) -> UnsafeMutablePointer<T> {
        base.assumingMemoryBound(to: T.self)
    }
}
