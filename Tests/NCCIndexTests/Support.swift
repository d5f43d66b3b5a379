import NCCHashing
@testable import NCCIndex

/// Flips `count` distinct random bits of a code given as words.
func flip(_ words: [UInt64], bits count: Int, using rng: inout SplitMix64) -> [UInt64] {
    var out = words
    var chosen = Set<Int>()
    let total = words.count * 64
    while chosen.count < min(count, total) { chosen.insert(Int(rng.next() % UInt64(total))) }
    for bit in chosen { out[bit / 64] ^= 1 << UInt64(bit % 64) }
    return out
}

func distance(_ a: ArraySlice<UInt64>, _ b: ArraySlice<UInt64>) -> Int {
    zip(a, b).reduce(0) { $0 + ($1.0 ^ $1.1).nonzeroBitCount }
}

/// Distances from a query to every entry, computed once and filtered per distance.
struct Reference {
    let ids: [UInt64]
    let distances: [Int]
    init(ids: [UInt64], words: [UInt64], wordCount: Int, query: [UInt64]) {
        self.ids = ids
        distances = words.withUnsafeBufferPointer { w in
            (0..<ids.count).map { i in
                var d = 0
                for k in 0..<wordCount { d += (w[i * wordCount + k] ^ query[k]).nonzeroBitCount }
                return d
            }
        }
    }
    func within(_ maxDistance: Int) -> [IndexMatch] {
        var out: [IndexMatch] = []
        for i in 0..<ids.count where distances[i] <= maxDistance { out.append(IndexMatch(id: ids[i], distance: distances[i])) }
        return out.sorted { $0.distance < $1.distance || ($0.distance == $1.distance && $0.id < $1.id) }
    }
}

/// The brute-force reference every index result is compared with.
func bruteForce(ids: [UInt64], words: [UInt64], wordCount: Int, query: [UInt64], maxDistance: Int) -> [IndexMatch] {
    Reference(ids: ids, words: words, wordCount: wordCount, query: query).within(maxDistance)
}

func randomWords(_ count: Int, using rng: inout SplitMix64) -> [UInt64] {
    (0..<count).map { _ in rng.next() }
}
