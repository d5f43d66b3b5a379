import Foundation
import NCCHashing
import Synchronization
import Testing
@testable import NCCIndex

/// Applies random inserts and removes to an index and to a plain model, comparing searches throughout.
@Test(arguments: [IndexOptions.Layout.automatic, .multiIndex(substrings: 12)])
func insertRemoveMatchesModel(layout: IndexOptions.Layout) {
    var rng = SplitMix64(seed: 11)
    let n = 4000
    var model: [UInt64: [UInt64]] = [:]
    var ids = (0..<UInt64(n)).map { $0 }
    var words = randomWords(n * 4, using: &rng)
    for i in 0..<n { model[ids[i]] = Array(words[(i * 4)..<(i * 4 + 4)]) }
    let index = PDQIndex(ids: ids, words: words, options: IndexOptions(layout: layout, recentLimit: 32))
    let queries = (0..<6).map { _ in randomWords(4, using: &rng) }
    var nextID = UInt64(n)

    func check(_ step: Int) {
        ids = Array(model.keys)
        words = ids.flatMap { model[$0]! }
        #expect(index.count == model.count, "count at step \(step)")
        for q in queries {
            let reference = Reference(ids: ids, words: words, wordCount: 4, query: q)
            for d in [0, 31, 45] {
                let expected = reference.within(d)
                #expect(index.search(PDQHash(codeWords: q), within: d) == expected, "step \(step) d \(d)")
            }
        }
    }

    check(0)
    for step in 1...400 {
        switch rng.next() % 4 {
        case 0, 1:
            // Insert near a query so removals are visible in results.
            let q = queries[Int(rng.next() % UInt64(queries.count))]
            let code = flip(q, bits: Int(rng.next() % 40), using: &rng)
            index.insert(id: nextID, code: PDQHash(codeWords: code))
            model[nextID] = code
            nextID += 1
        case 2:
            let victim = rng.next() % nextID
            let existed = model.removeValue(forKey: victim) != nil
            #expect(index.remove(id: victim) == existed, "remove \(victim) at step \(step)")
        default:
            // Remove then re-insert the same id with a new code.
            let victim = rng.next() % nextID
            index.remove(id: victim)
            let code = flip(queries[0], bits: Int(rng.next() % 35), using: &rng)
            index.insert(id: victim, code: PDQHash(codeWords: code))
            model[victim] = code
        }
        if step % 50 == 0 { check(step) }
        if step == 200 { index.compact(); check(step) }
    }
    check(401)
    #expect(!index.remove(id: UInt64.max))
}

@Test func removeThenQuery() {
    var rng = SplitMix64(seed: 12)
    let q = randomWords(4, using: &rng)
    let n = 3000
    var words = randomWords(n * 4, using: &rng)
    for i in 0..<10 { let near = flip(q, bits: i, using: &rng); for w in 0..<4 { words[i * 4 + w] = near[w] } }
    let index = PDQIndex(ids: (0..<UInt64(n)).map { $0 }, words: words, options: IndexOptions(layout: .multiIndex(substrings: 16)))
    #expect(index.search(PDQHash(codeWords: q), within: 31).map(\.id) == Array(0..<10))
    #expect(index.remove(id: 3))
    #expect(!index.remove(id: 3))
    #expect(!index.contains(id: 3))
    #expect(index.search(PDQHash(codeWords: q), within: 31).map(\.id) == [0, 1, 2, 4, 5, 6, 7, 8, 9])
    index.insert(id: 3, code: PDQHash(codeWords: q))
    #expect(index.search(PDQHash(codeWords: q), within: 31).map(\.id) == [0, 3, 1, 2, 4, 5, 6, 7, 8, 9])
    #expect(index.contains(id: 3))
    #expect(index.count == n)
    index.compact()
    #expect(index.search(PDQHash(codeWords: q), within: 31).map(\.id) == [0, 3, 1, 2, 4, 5, 6, 7, 8, 9])
    #expect(index.statistics.segments == 1 && index.statistics.tombstones == 0)
}

/// Readers never see half of a write. Each pair is two entries (two different codes near the query) under one
/// id, inserted in one call and removed in one call (`remove(id:)` drops every entry with the id), while
/// segments are sealed and compacted under the readers. Every search must return both entries of a pair or
/// neither: one alone is a torn insert or a torn removal.
@Test func concurrentReadersSeeWholeWrites() async {
    var rng = SplitMix64(seed: 13)
    let q = randomWords(4, using: &rng)
    let n = 3000
    let index = PDQIndex(ids: (0..<UInt64(n)).map { $0 + 1_000_000 }, words: randomWords(n * 4, using: &rng),
                         options: IndexOptions(layout: .multiIndex(substrings: 16), recentLimit: 16))
    let pairs = 300
    var codes: [(PDQHash, PDQHash)] = []
    for _ in 0..<pairs {
        let first = flip(q, bits: Int(rng.next() % 30), using: &rng)
        codes.append((PDQHash(codeWords: first), PDQHash(codeWords: flip(first, bits: 1, using: &rng))))
    }
    let writtenCodes = codes
    // Pair p is removed two pairs after it was written: p = 1, 4, 7, ... (by then often sealed into a segment).
    let removed = Set((0..<pairs).filter { $0 % 3 == 2 }.map { UInt64($0 - 1) })
    let writing = WriterRunning()
    let observations = await withTaskGroup(of: (torn: Int, states: Set<Int>).self) { group in
        group.addTask {
            for p in 0..<pairs {
                index.insert(contentsOf: [(id: UInt64(p), code: writtenCodes[p].0), (id: UInt64(p), code: writtenCodes[p].1)])
                if p % 3 == 2 { #expect(index.remove(id: UInt64(p - 1)), "pair \(p - 1) was there to remove") }
                if p % 100 == 99 { index.compact() }
                await Task.yield()
            }
            writing.flag.store(false, ordering: .releasing)
            return (0, [])
        }
        for _ in 0..<3 {
            group.addTask {
                var torn = 0, states = Set<Int>(), rounds = 0
                while writing.flag.load(ordering: .acquiring) || rounds < 50 {
                    rounds += 1
                    var entries: [UInt64: Int] = [:]
                    for match in index.search(PDQHash(codeWords: q), within: 31) where match.id < 1_000_000 {
                        entries[match.id, default: 0] += 1
                    }
                    torn += entries.values.filter { $0 != 2 }.count
                    states.insert(entries.count)
                    await Task.yield()
                }
                return (torn, states)
            }
        }
        var torn = 0, states = Set<Int>()
        for await result in group {
            torn += result.torn
            states.formUnion(result.states)
        }
        return (torn: torn, states: states)
    }
    #expect(observations.torn == 0, "a search returned one entry of a pair")
    #expect(observations.states.count > 1, "the readers searched while pairs were being written: \(observations.states.sorted())")
    // The final state is exact: every surviving pair twice, no removed pair at all.
    #expect(index.count == n + 2 * (pairs - removed.count))
    var final: [UInt64: Int] = [:]
    for match in index.search(PDQHash(codeWords: q), within: 31) where match.id < 1_000_000 { final[match.id, default: 0] += 1 }
    #expect(final == Dictionary(uniqueKeysWithValues: (0..<UInt64(pairs)).filter { !removed.contains($0) }.map { ($0, 2) }))
}

/// Whether the writer of `concurrentReadersSeeWholeWrites` is still writing (readers keep searching until it ends).
private final class WriterRunning: Sendable {
    let flag = Atomic<Bool>(true)
}
