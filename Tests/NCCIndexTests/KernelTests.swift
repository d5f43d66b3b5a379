import CHammingKernels
import NCCHashing
import Testing
@testable import NCCIndex

private var supportedPaths: [CPUPath] { CPUPath.allCases.filter(\.isSupported) }

@Test func everyCPUPathGivesIdenticalScans() {
    var rng = SplitMix64(seed: 21)
    #expect(CPUPath.portable.isSupported)
    for words in [1, 4] {
        // Odd sizes exercise the vector tails; many hits exercise the output cursor.
        let n = 5003
        let bank = randomWords(n * words, using: &rng)
        var queries = randomWords(7 * words, using: &rng)
        queries += Array(bank[0..<words])
        for d in [0, 3, words * 16, words * 32 - 2, words * 64] {
            var reference: [[Int]]?
            for path in supportedPaths {
                var hits: [[Int]] = []
                bank.withUnsafeBufferPointer { b in
                    Kernels.scanRange(path: path, words: words, queries: queries, bank: b.baseAddress, count: n, maxDistance: d) { buffer in
                        for h in buffer { hits.append([Int(h.query), Int(h.entry), Int(h.distance)]) }
                    }
                }
                hits.sort { $0.lexicographicallyPrecedes($1) }
                if let reference { #expect(hits == reference, "path \(path) words \(words) d \(d)") } else {
                    // Check the first path against plain Swift.
                    var expected: [[Int]] = []
                    for qi in 0..<(queries.count / words) {
                        for e in 0..<n {
                            let dist = distance(queries[(qi * words)..<((qi + 1) * words)], bank[(e * words)..<((e + 1) * words)])
                            if dist <= d { expected.append([qi, e, dist]) }
                        }
                    }
                    #expect(hits == expected, "path \(path) words \(words) d \(d)")
                    reference = hits
                }
            }
            let q = Array(queries[0..<words])
            let all = supportedPaths.map { path in bank.withUnsafeBufferPointer { Kernels.distances(path: path, words: words, query: q, bank: $0.baseAddress, count: n) } }
            for other in all.dropFirst() { #expect(other == all[0]) }
        }
    }
}

@Test func everyCPUPathGivesIdenticalIndexResults() {
    var rng = SplitMix64(seed: 22)
    let n = 4000
    let words = randomWords(n * 4, using: &rng)
    let ids = (0..<UInt64(n)).map { $0 }
    let q = Array(words[0..<4])
    var reference: [IndexMatch]?
    for path in supportedPaths {
        for layout in [IndexOptions.Layout.flat, .multiIndex(substrings: 16)] {
            let index = PDQIndex(ids: ids, words: words, options: IndexOptions(layout: layout, cpuPath: path))
            let found = index.search(PDQHash(codeWords: flip(q, bits: 20, using: &rng)), within: 110)
            let expectedCount = found.count
            #expect(expectedCount > 0)
            if reference == nil { reference = index.search(PDQHash(codeWords: q), within: 100) }
            #expect(index.search(PDQHash(codeWords: q), within: 100) == reference!, "path \(path) layout \(layout)")
        }
    }
}

@Test func activePathHonoursSupport() {
    #expect(CPUPath.active.isSupported)
    #expect(CPUPath.best.isSupported)
    #expect(CPUPath.active.rawValue <= CPUPath.best.rawValue)
}

@Test func substringExtraction() {
    let code: [UInt64] = [0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210, 0, UInt64.max]
    code.withUnsafeBufferPointer { c in
        #expect(Kernels.substring(c.baseAddress!, words: 4, start: 0, bits: 16) == 0x0123)
        #expect(Kernels.substring(c.baseAddress!, words: 4, start: 56, bits: 16) == 0xEFFE)
        #expect(Kernels.substring(c.baseAddress!, words: 4, start: 240, bits: 16) == 0xFFFF)
        #expect(Kernels.substring(c.baseAddress!, words: 4, start: 60, bits: 8) == 0xFF)
    }
}
