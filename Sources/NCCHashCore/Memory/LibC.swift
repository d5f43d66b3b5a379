// The few C library functions the core needs: libm's `sin` and `cos`, and a wipe the optimiser keeps.
// Natively they come from the platform's C library; in the Embedded Swift build for wasm32 they are
// declared by hand and linked from wasi-libc (see Scripts/wasm/build.sh).
#if hasFeature(Embedded)
@_extern(c, "cos") func cos(_ x: Double) -> Double
@_extern(c, "sin") func sin(_ x: Double) -> Double
@_extern(c, "explicit_bzero") func explicit_bzero(_ pointer: UnsafeMutableRawPointer?, _ count: Int)
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// libm entry points the core calls, in one place so every file computes the same tables the same way.
enum LibM {
    /// `cos(x)` of the platform's libm (glibc natively, wasi-libc in WebAssembly).
    @inline(__always) static func cosine(_ x: Double) -> Double { cos(x) }
    /// `sin(x)` of the platform's libm.
    @inline(__always) static func sine(_ x: Double) -> Double { sin(x) }
    /// Zeroes `count` bytes at `pointer` in a way the optimiser does not remove as a dead store.
    @inline(__always) static func wipe(_ pointer: UnsafeMutableRawPointer, count: Int) {
        #if canImport(Darwin) && !hasFeature(Embedded)
        _ = memset_s(pointer, count, 0, count)
        #else
        explicit_bzero(pointer, count)
        #endif
    }
}
