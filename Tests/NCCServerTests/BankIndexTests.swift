import NCCBank
import NCCHashing
import NCCIndex
import Testing

@testable import NCCServer

/// The server's in-memory indexes: one Hamming index per perceptual algorithm and a table for the exact digests,
/// all keyed by bank image id.
@Suite struct BankIndexTests {
    /// A value of `algorithm` with every byte `byte`, then `flipped` low bits of the last byte set.
    static func value(_ algorithm: HashAlgorithm, _ byte: UInt8, flipped: Int = 0) -> [UInt8] {
        var bytes = [UInt8](repeating: byte, count: algorithm.bitCount / 8)
        for bit in 0..<flipped { bytes[bytes.count - 1 - bit / 8] ^= 1 << UInt8(bit % 8) }
        return bytes
    }

    static func stored(_ image: Int64, _ algorithm: HashAlgorithm, _ value: [UInt8]) -> StoredHash {
        StoredHash(id: image * 100 + Int64(value.count), imageID: image, algorithm: algorithm, value: value)
    }

    /// Image 1 and image 2, each with every algorithm; image 1 also has a second (variant) PDQ.
    static func filled() -> BankIndex {
        let index = BankIndex()
        index.insert([
            stored(1, .pdq, value(.pdq, 0x00)), stored(1, .pdq, value(.pdq, 0x00, flipped: 6)),
            stored(1, .phash, value(.phash, 0x11)), stored(1, .dhash, value(.dhash, 0x22)),
            stored(1, .md5, value(.md5, 0x33)), stored(1, .sha256, value(.sha256, 0x44)),
            stored(2, .pdq, value(.pdq, 0x0f)), stored(2, .phash, value(.phash, 0x55)),
            stored(2, .dhash, value(.dhash, 0x66)), stored(2, .md5, value(.md5, 0x33)),
            stored(2, .sha256, value(.sha256, 0x77)),
        ])
        return index
    }

    static func match(_ index: BankIndex, _ algorithm: HashAlgorithm, _ value: [UInt8],
                      distances: [HashAlgorithm: Int] = [:]) -> [IndexMatch] {
        index.match([BankIndex.Query(algorithm: algorithm, bytes: value)], distances: distances)[0]
    }

    @Test func countsEveryAlgorithm() {
        let index = Self.filled()
        #expect(index.counts == [.pdq: 3, .phash: 2, .dhash: 2, .md5: 2, .sha256: 2])
    }

    @Test func eachAlgorithmIsSearchedInItsOwnIndexOnly() {
        let index = Self.filled()
        #expect(Self.match(index, .phash, Self.value(.phash, 0x11)) == [IndexMatch(id: 1, distance: 0)])
        #expect(Self.match(index, .dhash, Self.value(.dhash, 0x11)).isEmpty, "image 1's pHash value is not a dHash")
        #expect(Self.match(index, .dhash, Self.value(.dhash, 0x66)) == [IndexMatch(id: 2, distance: 0)])
        #expect(Self.match(index, .phash, Self.value(.phash, 0x66)).isEmpty, "image 2's dHash value is not a pHash")
    }

    @Test func theDistanceOfEachAlgorithmIsItsOwnAndDefaultsToTheAlgorithms() {
        let index = Self.filled()
        let near = Self.value(.phash, 0x11, flipped: 5)
        #expect(Self.match(index, .phash, near) == [IndexMatch(id: 1, distance: 5)], "within the default 8")
        #expect(Self.match(index, .phash, near, distances: [.phash: 4]).isEmpty)
        #expect(Self.match(index, .phash, near, distances: [.phash: 5, .pdq: 0]) == [IndexMatch(id: 1, distance: 5)])
        let far = Self.value(.phash, 0x11, flipped: 9)
        #expect(Self.match(index, .phash, far).isEmpty, "beyond the default 8")
    }

    @Test func anImageIsNamedOnceAtItsNearestHashInDistanceThenIdOrder() {
        let index = Self.filled()
        // 3 bits from both of image 1's PDQ codes (all zero; 6 bits set), 125 from image 2's (0x0f bytes).
        #expect(Self.match(index, .pdq, Self.value(.pdq, 0x00, flipped: 3)) == [IndexMatch(id: 1, distance: 3)])
        // 0x03 bytes ending in 0x1f: 63 bits from image 1's variant (67 from its first code) and 63 from image 2.
        var tie = Self.value(.pdq, 0x03)
        tie[tie.count - 1] = 0x1f
        #expect(Self.match(index, .pdq, tie, distances: [.pdq: 63]) == [IndexMatch(id: 1, distance: 63), IndexMatch(id: 2, distance: 63)])
        #expect(Self.match(index, .pdq, tie, distances: [.pdq: 62]).isEmpty)
        // 0x0f bytes ending in 0x3f: image 2 at 2 bits, before image 1's variant at 124.
        var nearTwo = Self.value(.pdq, 0x0f)
        nearTwo[nearTwo.count - 1] = 0x3f
        #expect(Self.match(index, .pdq, nearTwo, distances: [.pdq: 256]) == [IndexMatch(id: 2, distance: 2), IndexMatch(id: 1, distance: 124)])
    }

    @Test func digestsMatchExactlyAndNameEveryImageHoldingThem() {
        let index = Self.filled()
        #expect(Self.match(index, .md5, Self.value(.md5, 0x33)) == [IndexMatch(id: 1, distance: 0), IndexMatch(id: 2, distance: 0)])
        #expect(Self.match(index, .md5, Self.value(.md5, 0x33, flipped: 1)).isEmpty, "one bit off is no digest match")
        #expect(Self.match(index, .sha256, Self.value(.sha256, 0x77)) == [IndexMatch(id: 2, distance: 0)])
        #expect(Self.match(index, .sha256, Self.value(.sha256, 0x33)).isEmpty, "an MD5 value is not looked up as SHA-256")
    }

    @Test func removingHashesDropsTheirImageFromThatAlgorithm() {
        let index = Self.filled()
        index.remove([Self.stored(1, .pdq, Self.value(.pdq, 0x00)), Self.stored(1, .md5, Self.value(.md5, 0x33))])
        // Every PDQ of image 1 is gone (its variant too), and its MD5; image 2 keeps the shared MD5.
        #expect(Self.match(index, .pdq, Self.value(.pdq, 0x00, flipped: 6)).isEmpty)
        #expect(Self.match(index, .md5, Self.value(.md5, 0x33)) == [IndexMatch(id: 2, distance: 0)])
        #expect(Self.match(index, .phash, Self.value(.phash, 0x11)) == [IndexMatch(id: 1, distance: 0)], "other algorithms untouched")
        #expect(index.counts[.pdq] == 1 && index.counts[.md5] == 1)
    }

    @Test func removingImagesDropsEverythingAndMayRunTwice() {
        let index = Self.filled()
        index.removeImages([1])
        index.removeImages([1, 99])
        #expect(index.counts == [.pdq: 1, .phash: 1, .dhash: 1, .md5: 1, .sha256: 1])
        for (algorithm, byte) in [(HashAlgorithm.pdq, UInt8(0x00)), (.phash, 0x11), (.dhash, 0x22), (.md5, 0x33), (.sha256, 0x44)] {
            #expect(Self.match(index, algorithm, Self.value(algorithm, byte), distances: [algorithm: 0]).allSatisfy { $0.id != 1 }, "\(algorithm)")
        }
        index.removeImages([2])
        #expect(index.counts == [.pdq: 0, .phash: 0, .dhash: 0, .md5: 0, .sha256: 0])
        // A digest held twice by one image needs both removed.
        index.insert([Self.stored(3, .md5, Self.value(.md5, 0x99)), Self.stored(3, .md5, Self.value(.md5, 0x99))])
        index.remove([Self.stored(3, .md5, Self.value(.md5, 0x99))])
        #expect(Self.match(index, .md5, Self.value(.md5, 0x99)) == [IndexMatch(id: 3, distance: 0)])
        index.removeImages([3])
        #expect(Self.match(index, .md5, Self.value(.md5, 0x99)).isEmpty)
        #expect(index.counts[.md5] == 0)
    }

    @Test func queriesOfSeveralAlgorithmsAnswerInTheirOwnPlaces() {
        let index = Self.filled()
        let answers = index.match([
            .init(algorithm: .md5, bytes: Self.value(.md5, 0x33)),
            .init(algorithm: .pdq, bytes: Self.value(.pdq, 0x0f)),
            .init(algorithm: .dhash, bytes: Self.value(.dhash, 0x22)),
            .init(algorithm: .pdq, bytes: Self.value(.pdq, 0xa5)),
        ], distances: [:])
        #expect(answers == [
            [IndexMatch(id: 1, distance: 0), IndexMatch(id: 2, distance: 0)],
            [IndexMatch(id: 2, distance: 0)],
            [IndexMatch(id: 1, distance: 0)],
            [],
        ])
    }

    /// Imported hashes live under negative ids: every algorithm answers them as the id's bit pattern (an exact
    /// digest match on one once crashed the server converting it).
    @Test func negativeIdsOfImportedHashesMatchInEveryIndex() {
        let index = Self.filled()
        index.insert([Self.stored(-7, .md5, Self.value(.md5, 0x99)), Self.stored(-7, .pdq, Self.value(.pdq, 0x99))])
        let answers = index.match([.init(algorithm: .md5, bytes: Self.value(.md5, 0x99)), .init(algorithm: .pdq, bytes: Self.value(.pdq, 0x99))],
                                  distances: [:])
        #expect(answers.map { $0.map { Int64(bitPattern: $0.id) } } == [[-7], [-7]])
    }
    /// A picture's first stored PDQ is its own, searched at the full distance; its others are companions, searched
    /// only within `MatchingPolicy.companionMaxDistance`, whichever order or batch they arrive in.
    @Test func companionsAreSearchedOnlyWithinTheirDistance() {
        let index = BankIndex()
        let own = Self.value(.pdq, 0x00), companion = Self.value(.pdq, 0xff)  // 256 bits apart
        // Listed companion first: the lower row id decides, not the order.
        index.insert([StoredHash(id: 11, imageID: 7, algorithm: .pdq, value: companion),
                      StoredHash(id: 10, imageID: 7, algorithm: .pdq, value: own)])
        let limit = MatchingPolicy.companionMaxDistance
        #expect(Self.match(index, .pdq, Self.value(.pdq, 0x00, flipped: 31)) == [IndexMatch(id: 7, distance: 31)])
        #expect(Self.match(index, .pdq, Self.value(.pdq, 0xff, flipped: limit)) == [IndexMatch(id: 7, distance: limit)])
        #expect(Self.match(index, .pdq, Self.value(.pdq, 0xff, flipped: limit + 1)).isEmpty)
        #expect(Self.match(index, .pdq, Self.value(.pdq, 0xff, flipped: limit + 1), distances: [.pdq: 256]) == [IndexMatch(id: 7, distance: 256 - limit - 1)],
                "past the companion distance only the own PDQ answers")
        #expect(Self.match(index, .pdq, Self.value(.pdq, 0xff, flipped: 16), distances: [.pdq: 15]).isEmpty, "a narrower distance wins")

        // A later batch for the same picture adds companions only; a new picture's first PDQ is its own.
        index.insert([StoredHash(id: 12, imageID: 7, algorithm: .pdq, value: Self.value(.pdq, 0x0f)),
                      StoredHash(id: 13, imageID: 8, algorithm: .pdq, value: Self.value(.pdq, 0x0f))])
        #expect(Self.match(index, .pdq, Self.value(.pdq, 0x0f, flipped: 25)) == [IndexMatch(id: 8, distance: 25)])
        #expect(Self.match(index, .pdq, Self.value(.pdq, 0x0f, flipped: 5)) == [IndexMatch(id: 7, distance: 5), IndexMatch(id: 8, distance: 5)])
        #expect(index.counts[.pdq] == 4)

        // Withdrawing a picture drops both tiers.
        index.removeImages([7])
        #expect(Self.match(index, .pdq, Self.value(.pdq, 0xff, flipped: 3)).isEmpty)
        #expect(Self.match(index, .pdq, Self.value(.pdq, 0x00, flipped: 3)).isEmpty)
        #expect(index.counts[.pdq] == 1)
    }

    /// A query's masked and low-passed forms (`SentReach.companionsOnly`) search the companion tier only, in the same
    /// batch as queries that search both tiers.
    @Test func companionOnlyQueriesSkipTheOwnTier() {
        let index = BankIndex()
        index.insert([StoredHash(id: 10, imageID: 7, algorithm: .pdq, value: Self.value(.pdq, 0x00)),
                      StoredHash(id: 11, imageID: 7, algorithm: .pdq, value: Self.value(.pdq, 0xff))])
        let nearOwn = Self.value(.pdq, 0x00, flipped: 2), nearCompanion = Self.value(.pdq, 0xff, flipped: 2)
        let answers = index.match([.init(algorithm: .pdq, bytes: nearOwn, reach: .companionsOnly),
                                   .init(algorithm: .pdq, bytes: nearOwn),
                                   .init(algorithm: .pdq, bytes: nearCompanion, reach: .companionsOnly),
                                   .init(algorithm: .pdq, bytes: Self.value(.pdq, 0xff, flipped: 22), reach: .companionsOnly)], distances: [:])
        #expect(answers == [[], [IndexMatch(id: 7, distance: 2)], [IndexMatch(id: 7, distance: 2)], []])
    }
}
