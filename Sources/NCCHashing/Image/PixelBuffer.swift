#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Heap memory for decoded pixels that is wiped with zeros before it is freed.
///
/// Pixels of a victim's picture must not linger in freed memory; this is the only owner of
/// decoded pixel bytes in nccmatch.
/// - Warning: Never copy the bytes out into an `Array` or `Data`: such copies are not wiped.
public final class PixelBuffer: @unchecked Sendable {
    /// Number of bytes.
    public let count: Int
    @usableFromInline let base: UnsafeMutableRawPointer

    /// Allocates `count` zeroed bytes.
    public init(count: Int) {
        precondition(count >= 0, "PixelBuffer count must not be negative")
        self.count = count
        base = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
    }

    /// Takes ownership of memory allocated with `malloc` (by the C decoders); it is wiped and freed here.
    public init(adoptingMalloced pointer: UnsafeMutableRawPointer, count: Int) {
        self.count = count
        self.base = pointer
        adoptedFromMalloc = true
    }

    private var adoptedFromMalloc = false

    deinit {
        // explicit_bzero cannot be optimised away as a dead store, unlike a plain memset before free.
        explicit_bzero(base, max(count, 1))
        if adoptedFromMalloc { free(base) } else { base.deallocate() }
    }

    /// Calls `body` with read access to the bytes.
    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Calls `body` with write access to the bytes.
    @inlinable
    public func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeMutableRawBufferPointer(start: base, count: count))
    }
}
