import NCCHashing
import NCCIndex

/// Seeded synthetic banks and queries for benchmarks and CI performance tests.
///
/// The same seed gives the same codes on every machine: bank codes are uniformly random; a share of the
/// queries is planted near random bank entries, at distances spread evenly over 0...`plantDistance`.
public struct SyntheticWorkload: Sendable {
    /// Bank ids: 0, 1, 2, ...
    public let ids: [UInt64]
    /// Bank codes, `wordsPerCode` words each, most significant first.
    public let bankWords: [UInt64]
    /// Query codes, `wordsPerCode` words each.
    public let queryWords: [UInt64]
    /// Words per code (4 for PDQ, 1 for 64-bit hashes).
    public let wordsPerCode: Int
    /// Number of planted queries (they come first).
    public let plantedCount: Int

    /// Makes a workload of `entries` codes and `queries` queries, `plantedShare` (0...1) of them planted.
    public init(entries: Int, queries: Int, wordsPerCode: Int, plantedShare: Double, plantDistance: Int, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        self.wordsPerCode = wordsPerCode
        ids = (0..<UInt64(entries)).map { $0 }
        bankWords = (0..<(entries * wordsPerCode)).map { _ in rng.next() }
        let planted = entries == 0 ? 0 : min(queries, Int((Double(queries) * plantedShare).rounded()))
        plantedCount = planted
        var q: [UInt64] = []
        q.reserveCapacity(queries * wordsPerCode)
        let bits = wordsPerCode * 64
        for i in 0..<queries {
            if i < planted {
                let source = Int(rng.next() % UInt64(entries))
                var code = Array(bankWords[(source * wordsPerCode)..<((source + 1) * wordsPerCode)])
                let flips = planted == 1 ? 0 : (i * min(plantDistance, bits)) / max(1, planted - 1)
                var chosen = Set<Int>()
                while chosen.count < flips { chosen.insert(Int(rng.next() % UInt64(bits))) }
                for bit in chosen { code[bit / 64] ^= 1 << UInt64(bit % 64) }
                q.append(contentsOf: code)
            } else {
                for _ in 0..<wordsPerCode { q.append(rng.next()) }
            }
        }
        queryWords = q
    }

    /// Number of queries.
    public var queryCount: Int { queryWords.count / wordsPerCode }
}

/// A brute-force reference: every (query, entry) within the distance, by a flat index (the batched SIMD scan
/// over all codes), sorted as every search result is.
///
/// Used to measure recall; it shares no code with multi-index hashing.
public func bruteForceMatches<Code: BinaryCode>(_: Code.Type, bankWords: [UInt64], ids: [UInt64], queryWords: [UInt64], maxDistance: Int) -> [[IndexMatch]] {
    HammingIndex<Code>(ids: ids, words: bankWords, options: IndexOptions(layout: .flat)).search(queryWords: queryWords, within: maxDistance)
}
