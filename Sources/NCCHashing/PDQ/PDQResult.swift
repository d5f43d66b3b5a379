/// The outcome of hashing one picture with PDQ.
///
/// `hash` and `quality` equal what the `pdqhash` PyPI package (`pdqhash.compute`) returns for the
/// same decoded RGB pixels; `dihedral` equals `pdqhash.compute_dihedral`.
public struct PDQResult: Sendable, Hashable {
    /// The 256-bit PDQ hash of the picture as given.
    public var hash: PDQHash
    /// PDQ's quality score, 0...100: how much gradient the 64x64 downsample has.
    ///
    /// - Warning: Below 50 the hash is not reliable (flat or nearly blank pictures); such hashes
    ///   must not go into the bank.
    public var quality: Int
    /// The hashes of the picture's eight dihedral transforms, computed from the same DCT, in the
    /// reference's order: original, rotate90, rotate180, rotate270, flipX, flipY, flipPlus1,
    /// flipMinus1. Empty when not requested.
    ///
    /// `dihedral[0]` equals `hash` except for a picture of exactly 64x64 pixels: the reference's
    /// plain routine takes such a plane as the downsample, its dihedral routine still box-filters it,
    /// and both behaviours are kept, so there the two can differ by a few bits.
    public var dihedral: [PDQHash]

    /// Makes a result from its parts.
    public init(hash: PDQHash, quality: Int, dihedral: [PDQHash] = []) {
        self.hash = hash
        self.quality = quality
        self.dihedral = dihedral
    }
}
