import Benchmark
import NCCHashing
import NCCIndex

/// Index benchmarks on seeded random codes (the workload of `nccmatch bench`): the scan kernel, multi-index
/// range search, insert and remove, at 1 million and 10 million codes. Fixtures are built once, on first use.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .throughput, .peakMemoryResident],
        timeUnits: .microseconds,
        warmupIterations: 1,
        maxDuration: .seconds(10),
        maxIterations: 100
    )

    // Scan kernel on a cache-resident batch: 4,096 bank codes (128 KiB) x 1,000 queries = 4.1 million comparisons an iteration.
    Benchmark("ScanKernel.PDQ.CacheResident.4096x1000", configuration: .init(scalingFactor: .one)) { benchmark in
        let w = Fixtures.small
        for _ in benchmark.scaledIterations {
            blackHole(bruteForceMatches(bankWords: w.bankWords, ids: w.ids, queryWords: w.queryWords, wordsPerCode: 4, maxDistance: 31))
        }
    }

    for size in [Fixtures.Size.oneMillion, .tenMillion] {
        // Scan kernel over the whole bank: 16 queries a pass.
        Benchmark("ScanKernel.PDQ.\(size.name).16queries") { benchmark in
            let f = Fixtures.pdq(size)
            let queries = Array(f.workload.queryWords[0..<(16 * 4)])
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(bruteForceMatches(bankWords: f.workload.bankWords, ids: f.workload.ids, queryWords: queries,
                                            wordsPerCode: 4, maxDistance: 31))
            }
        }

        // Multi-index range search at distance 31: 1,000 queries (10% planted) an iteration.
        Benchmark("MultiIndexSearch.PDQ.\(size.name).d31.1000queries") { benchmark in
            let f = Fixtures.pdq(size)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(f.index.search(queryWords: f.workload.queryWords, within: 31))
            }
        }

        Benchmark("MultiIndexSearch.Hash64.\(size.name).d8.1000queries") { benchmark in
            let f = Fixtures.hash64(size)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(f.index.search(queryWords: f.workload.queryWords, within: 8))
            }
        }

        // 1,000 single inserts an iteration into the built index (new ids each time).
        Benchmark("Insert.PDQ.\(size.name).1000") { benchmark in
            let f = Fixtures.pdq(size)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                for _ in 0..<1000 {
                    let id = f.counter.next()
                    f.index.insert(ids: [id], words: [id &* 0x9E37_79B9_7F4A_7C15, id, ~id, id << 7])
                }
            }
        }

        // 1,000 removes an iteration of entries of the original bank.
        Benchmark("Remove.PDQ.\(size.name).1000") { benchmark in
            let f = Fixtures.pdq(size)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                for _ in 0..<1000 { blackHole(f.index.remove(id: f.removals.next() % UInt64(size.entries))) }
            }
        }
    }
}
