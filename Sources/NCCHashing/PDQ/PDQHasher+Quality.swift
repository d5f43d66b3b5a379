extension PDQHasher {
    /// PDQ's image-domain quality (0...100) of a 64x64 downsample: the sum of the quantised
    /// vertical and horizontal neighbour differences, scaled by 1/90 and capped at 100.
    static func quality(of buffer: UnsafePointer<Float>) -> Int {
        var gradientSum = 0
        for i in 0..<63 {
            for j in 0..<64 {
                let u = buffer[i * 64 + j], v = buffer[(i + 1) * 64 + j]
                // Float arithmetic, then truncation toward zero, as the reference's `int d = ...`.
                gradientSum += abs(Int(((u - v) * 100) / 255))
            }
        }
        for i in 0..<64 {
            for j in 0..<63 {
                let u = buffer[i * 64 + j], v = buffer[i * 64 + j + 1]
                gradientSum += abs(Int(((u - v) * 100) / 255))
            }
        }
        return min(gradientSum / 90, 100)
    }
}
