extension PDQCore {
    /// PDQ's image-domain quality (0...100) of a 64x64 downsample: the sum of the quantised
    /// vertical and horizontal neighbour differences, scaled by 1/90 and capped at 100.
    static func quality(of buffer: UnsafePointer<Float>) -> Int {
        // Int64: 8,064 gradients of up to 1,000,000 would overflow a 32-bit Int (WebAssembly).
        var gradientSum: Int64 = 0
        for i in 0..<63 {
            for j in 0..<64 {
                let u = buffer[i * 64 + j], v = buffer[(i + 1) * 64 + j]
                gradientSum += Int64(quantisedGradient(u, v))
            }
        }
        for i in 0..<64 {
            for j in 0..<63 {
                let u = buffer[i * 64 + j], v = buffer[i * 64 + j + 1]
                gradientSum += Int64(quantisedGradient(u, v))
            }
        }
        return Int(min(gradientSum / 90, 100))
    }

    /// `|(u - v) * 100 / 255|` in float, truncated toward zero as the reference's `int d = ...`.
    /// Luma outside 0...255 (only possible through the plane entry point) cannot trap: a
    /// non-finite or huge difference counts as a large gradient.
    @inline(__always) static func quantisedGradient(_ u: Float, _ v: Float) -> Int {
        let d = ((u - v) * 100) / 255
        return d.magnitude < 1_000_000 ? abs(Int(d)) : 1_000_000
    }
}
