import NCCHashing
import Testing
@testable import NCCIndex

private let layouts256: [IndexOptions.Layout] = [.flat, .multiIndex(substrings: 12), .multiIndex(substrings: 16), .multiIndex(substrings: 42), .automatic]
private let layouts64: [IndexOptions.Layout] = [.flat, .multiIndex(substrings: 3), .multiIndex(substrings: 4), .automatic]

/// Builds a bank of random codes plus planted neighbours of the queries at every distance up to `spread`.
private func plantedBank(n: Int, wordCount: Int, queries: Int, spread: Int, seed: UInt64) -> (ids: [UInt64], words: [UInt64], queries: [[UInt64]]) {
    var rng = SplitMix64(seed: seed)
    var words = randomWords(n * wordCount, using: &rng)
    let qs = (0..<queries).map { _ in randomWords(wordCount, using: &rng) }
    // Plant neighbours at distances 0...spread, overwriting the first entries.
    var slot = 0
    for q in qs {
        for d in 0...spread where slot < n {
            let near = flip(q, bits: d, using: &rng)
            for w in 0..<wordCount { words[slot * wordCount + w] = near[w] }
            slot += 1
        }
    }
    let ids = (0..<UInt64(n)).map { $0 * 3 + 7 }
    return (ids, words, qs)
}

@Test(arguments: layouts256)
func randomPDQMatchesBruteForce(layout: IndexOptions.Layout) {
    let bank = plantedBank(n: 6000, wordCount: 4, queries: 12, spread: 40, seed: 1)
    let index = PDQIndex(ids: bank.ids, words: bank.words, options: IndexOptions(layout: layout))
    let references = bank.queries.map { Reference(ids: bank.ids, words: bank.words, wordCount: 4, query: $0) }
    for d in [0, 1, 7, 15, 16, 23, 31, 32, 40, 64, 100, 256] {
        let batched = index.search(queryWords: bank.queries.flatMap { $0 }, within: d)
        for (qi, q) in bank.queries.enumerated() {
            let expected = references[qi].within(d)
            #expect(index.search(PDQHash(codeWords: q), within: d) == expected, "layout \(layout) d \(d) query \(qi)")
            #expect(batched[qi] == expected, "batched layout \(layout) d \(d) query \(qi)")
        }
    }
}

@Test(arguments: layouts64)
func random64MatchesBruteForce(layout: IndexOptions.Layout) {
    let bank = plantedBank(n: 8000, wordCount: 1, queries: 12, spread: 12, seed: 2)
    let index = Hash64Index(ids: bank.ids, words: bank.words, options: IndexOptions(layout: layout))
    let references = bank.queries.map { Reference(ids: bank.ids, words: bank.words, wordCount: 1, query: $0) }
    for d in [0, 1, 2, 3, 5, 8, 9, 12, 20, 32, 64] {
        let batched = index.search(queryWords: bank.queries.flatMap { $0 }, within: d)
        for (qi, q) in bank.queries.enumerated() {
            let expected = references[qi].within(d)
            #expect(index.search(Hash64(codeWords: q), within: d) == expected, "layout \(layout) d \(d) query \(qi)")
            #expect(batched[qi] == expected, "batched layout \(layout) d \(d) query \(qi)")
        }
    }
}

@Test func strategyIsReported() {
    var rng = SplitMix64(seed: 3)
    let small = PDQIndex(ids: [1, 2], words: randomWords(8, using: &rng))
    #expect(small.strategy(forDistance: 31) == .flat)
    let n = 4000
    let forced = PDQIndex(ids: (0..<UInt64(n)).map { $0 }, words: randomWords(n * 4, using: &rng),
                          options: IndexOptions(layout: .multiIndex(substrings: 16)))
    if case .multiIndex(let m, _) = forced.strategy(forDistance: 31) { #expect(m == 16) } else { Issue.record("expected multi-index") }
    // At the full code length tables cannot beat a scan.
    #expect(forced.strategy(forDistance: 256) == .flat)
}

@Test(arguments: layouts256)
func adversarialPDQ(layout: IndexOptions.Layout) {
    var rng = SplitMix64(seed: 4)
    let options = IndexOptions(layout: layout)
    let q = randomWords(4, using: &rng)
    let n = 3000

    // All codes equal to the query.
    let same = PDQIndex(ids: (0..<UInt64(n)).map { $0 }, words: Array((0..<n).map { _ in q }.joined()), options: options)
    #expect(same.search(PDQHash(codeWords: q), within: 0).count == n)
    #expect(same.search(PDQHash(codeWords: flip(q, bits: 1, using: &rng)), within: 0).isEmpty)

    // Codes at exactly d and d+1, for d = 0, 31 and the full length.
    for d in [0, 1, 31, 64, 255] {
        var words: [UInt64] = []
        for i in 0..<n { words += flip(q, bits: i % 2 == 0 ? d : d + 1, using: &rng) }
        let ids = (0..<UInt64(n)).map { $0 }
        let index = PDQIndex(ids: ids, words: words, options: options)
        let found = index.search(PDQHash(codeWords: q), within: d)
        #expect(found == bruteForce(ids: ids, words: words, wordCount: 4, query: q, maxDistance: d), "d \(d)")
        #expect(found.count == n / 2 && found.allSatisfy { $0.distance == d }, "d \(d)")
    }
    // d = code length returns everything.
    let random = randomWords(n * 4, using: &rng)
    let everything = PDQIndex(ids: (0..<UInt64(n)).map { $0 }, words: random, options: options)
    #expect(everything.search(PDQHash(codeWords: q), within: 256).count == n)
    #expect(everything.search(PDQHash(codeWords: q), within: 1000).count == n)

    // Clustered: every code shares the first 128 bits with the query, overloading one bucket per table.
    var clustered: [UInt64] = []
    for _ in 0..<n { clustered += [q[0], q[1], rng.next(), rng.next()] }
    let ids = (0..<UInt64(n)).map { $0 }
    let cluster = PDQIndex(ids: ids, words: clustered, options: options)
    for d in [0, 31, 50, 64] {
        #expect(cluster.search(PDQHash(codeWords: q), within: d)
                == bruteForce(ids: ids, words: clustered, wordCount: 4, query: q, maxDistance: d), "clustered d \(d)")
    }

    // Duplicates: the same code under many ids, and the same id twice.
    let dupIDs: [UInt64] = [5, 5, 6, 7, 7, 7]
    let dupWords = Array((0..<6).map { _ in q }.joined())
    let dup = PDQIndex(ids: dupIDs, words: dupWords, options: options)
    #expect(dup.search(PDQHash(codeWords: q), within: 0).map(\.id) == [5, 5, 6, 7, 7, 7])
}

@Test func emptyAndSingle() {
    var rng = SplitMix64(seed: 5)
    let q = randomWords(4, using: &rng)
    let empty = PDQIndex()
    #expect(empty.search(PDQHash(codeWords: q), within: 256).isEmpty)
    #expect(empty.nearest(to: PDQHash(codeWords: q), count: 3).isEmpty)
    #expect(empty.search(queryWords: q, within: 31) == [[]])
    let one = PDQIndex(ids: [42], words: q)
    #expect(one.search(PDQHash(codeWords: q), within: 0) == [IndexMatch(id: 42, distance: 0)])
    let far = flip(q, bits: 40, using: &rng)
    #expect(one.search(PDQHash(codeWords: far), within: 39).isEmpty)
    #expect(one.search(PDQHash(codeWords: far), within: 40) == [IndexMatch(id: 42, distance: 40)])
    let one64 = Hash64Index(ids: [9], words: [q[0]])
    #expect(one64.search(Hash64(q[0] ^ 0b111), within: 3) == [IndexMatch(id: 9, distance: 3)])
    #expect(one64.search(Hash64(q[0] ^ 0b111), within: 2).isEmpty)
}

@Test(arguments: [IndexOptions.Layout.flat, .multiIndex(substrings: 12)])
func nearestMatchesBruteForce(layout: IndexOptions.Layout) {
    let bank = plantedBank(n: 5000, wordCount: 4, queries: 6, spread: 20, seed: 6)
    let index = PDQIndex(ids: bank.ids, words: bank.words, options: IndexOptions(layout: layout))
    for q in bank.queries {
        let reference = Reference(ids: bank.ids, words: bank.words, wordCount: 4, query: q)
        for k in [1, 5, 30] {
            let expected = Array(reference.within(256).prefix(k))
            #expect(index.nearest(to: PDQHash(codeWords: q), count: k) == expected)
        }
        let limited = reference.within(10)
        #expect(index.nearest(to: PDQHash(codeWords: q), count: 1000, within: 10) == limited)
    }
}
