extension PDQCore {
    /// The eight dihedral transforms, as sign flips and transposes of the 16x16 DCT block.
    ///
    /// Rotating or flipping the picture maps DCT coefficient (i, j) to (i, j) or (j, i) with the sign
    /// of odd rows and/or columns flipped, so no pixel work is needed.
    package enum Dihedral: CaseIterable {
        case original, rotate90, rotate180, rotate270, flipX, flipY, flipPlus1, flipMinus1

        /// Writes the transformed block of `a` into `b` (both 16x16, row-major).
        package func apply(_ a: UnsafePointer<Float>, into b: UnsafeMutablePointer<Float>) {
            for i in 0..<16 {
                for j in 0..<16 {
                    let value = a[i * 16 + j]
                    switch self {
                    case .original: b[i * 16 + j] = value
                    case .rotate90: b[j * 16 + i] = j & 1 == 1 ? value : -value
                    case .rotate180: b[i * 16 + j] = (i + j) & 1 == 1 ? -value : value
                    case .rotate270: b[j * 16 + i] = i & 1 == 1 ? value : -value
                    case .flipX: b[i * 16 + j] = i & 1 == 1 ? value : -value
                    case .flipY: b[i * 16 + j] = j & 1 == 1 ? value : -value
                    case .flipPlus1: b[j * 16 + i] = value
                    case .flipMinus1: b[j * 16 + i] = (i + j) & 1 == 1 ? -value : value
                    }
                }
            }
        }
    }

    /// The eight dihedral hashes of a 16x16 DCT block, in the reference's order; `aux` is 256 floats of scratch.
    static func dihedralHashes(of block: UnsafePointer<Float>, aux: UnsafeMutablePointer<Float>) -> [PDQWords] {
        Dihedral.allCases.map { transform in
            transform.apply(block, into: aux)
            return hashFromDCT(aux)
        }
    }
}
