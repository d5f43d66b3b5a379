import Testing
@testable import NCCEvaluation
import NCCHashing

/// Without a MANIFEST, near-duplicates are one scene only when two independent hashes agree.
@Suite struct NearDuplicateClustersTests {
    static func signature(pdqBit: Int?, phash: UInt64, dhash: UInt64) -> ImageSignature {
        var words = [UInt64](repeating: 0, count: 4)
        if let pdqBit { for b in 0..<pdqBit { words[b / 64] |= 1 << UInt64(b % 64) } }
        let pdq = PDQHash(words: (words[0], words[1], words[2], words[3]))
        return ImageSignature(pdq: pdq, quality: 100, dihedral: [pdq], phash: Hash64(phash), dhash: Hash64(dhash))
    }

    @Test("two agreeing hashes join pictures into one scene, transitively; one colliding hash does not")
    func grouping() {
        let pictures = [
            Self.signature(pdqBit: 0, phash: 0, dhash: 0xFFFF),            // 0
            Self.signature(pdqBit: 20, phash: 0x7, dhash: 0),              // 1: PDQ 20 and pHash 3 from 0: same scene
            Self.signature(pdqBit: 45, phash: 0x3F, dhash: 0xFFFF_0000),   // 2: PDQ 25 and pHash 3 from 1: same scene (chain)
            Self.signature(pdqBit: 200, phash: ~0, dhash: 0xFFFF),         // 3: only dHash equals 0's: a collision, not a scene
        ]
        let groups = NearDuplicateClusters.groups(pictures)
        #expect(groups == [0, 0, 0, 3])
    }
}
