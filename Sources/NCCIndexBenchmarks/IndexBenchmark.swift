import Foundation
import NCCHashing
import NCCIndex

/// A seeded index benchmark: build, range search (index and flat scan), recall against brute force,
/// inserts, removes, snapshot save and load. `nccmatch bench` prints its report as JSON.
public struct IndexBenchmark: Sendable {
    /// What to run.
    public struct Configuration: Sendable, Codable, Hashable {
        /// Bank size.
        public var entries: Int
        /// Number of queries.
        public var queries: Int
        /// Code length: 256 (PDQ) or 64 (pHash, dHash).
        public var bits: Int
        /// Range search distance (inclusive).
        public var distance: Int
        /// Share of queries planted near bank entries (0...1), at distances spread over 0...distance.
        public var plantedShare: Double
        /// Seed of the generator; the same seed gives the same codes everywhere.
        public var seed: UInt64
        /// Number of inserts and of removes timed.
        public var writes: Int
        /// Also time a flat scan of the whole bank (the brute-force reference is always run for recall).
        public var includeFlat: Bool
        /// Queries for the flat scan (a flat scan of a large bank is slow; queries/s needs fewer).
        public var flatQueries: Int
        /// Also save and load a snapshot in this folder (nil: skip).
        public var snapshotDirectory: String?
        /// Multi-index substrings to force; nil lets the index choose.
        public var substrings: Int?

        /// A workload; `distance` nil means 31 for 256 bits and 8 for 64.
        public init(entries: Int = 1_000_000, queries: Int = 1_000, bits: Int = 256, distance: Int? = nil,
                    plantedShare: Double = 0.1, seed: UInt64 = 42, writes: Int = 10_000, includeFlat: Bool = true,
                    flatQueries: Int = 1_000, snapshotDirectory: String? = nil, substrings: Int? = nil) {
            self.substrings = substrings
            self.entries = entries
            self.queries = queries
            self.bits = bits
            self.distance = distance ?? (bits == 256 ? 31 : 8)
            self.plantedShare = plantedShare
            self.seed = seed
            self.writes = writes
            self.includeFlat = includeFlat
            self.flatQueries = flatQueries
            self.snapshotDirectory = snapshotDirectory
        }
    }

    /// Figures of one search method.
    public struct SearchFigures: Sendable, Codable, Hashable {
        /// How the index answered, e.g. `multi-index(11 substrings, 2866 probes)` or `flat`.
        public var strategy: String
        /// Build time, wall-clock seconds.
        public var buildSeconds: Double
        /// Build time in CPU seconds of all threads (tables are built in parallel).
        public var buildCPUSeconds: Double?
        /// Range queries per second of wall time.
        public var queriesPerSecond: Double
        /// Queries per second of thread CPU time: steadier than wall time on a shared machine.
        public var cpuQueriesPerSecond: Double
        /// Share of the brute-force results found (1 for an exact index).
        public var recall: Double
        /// Results beyond the distance or not in the brute-force results (0 for an exact index).
        public var extraResults: Int
        /// Results returned, all queries together.
        public var hits: Int
        /// Index memory (codes, ids, tables) divided by the entries, in bytes.
        public var bytesPerEntry: Double
    }

    /// Figures of a write workload.
    public struct WriteFigures: Sendable, Codable, Hashable {
        /// Writes timed.
        public var operations: Int
        /// Writes per second of wall time.
        public var operationsPerSecond: Double
        /// Writes per second of thread CPU time.
        public var cpuOperationsPerSecond: Double
    }

    /// Snapshot figures.
    public struct SnapshotFigures: Sendable, Codable, Hashable {
        /// Time to write the snapshot (fsync included), seconds.
        public var saveSeconds: Double
        /// Time to map and verify the snapshot, seconds.
        public var loadSeconds: Double
        /// Snapshot file size, bytes.
        public var bytes: Int
        /// Whether the loaded index answered exactly as the saved one.
        public var identicalResults: Bool
    }

    /// Everything measured.
    public struct Report: Sendable, Codable, Hashable {
        /// The workload measured.
        public var configuration: Configuration
        /// Kernel family used (`avx512`, `avx2`, `popcnt`, `portable`).
        public var cpuPath: String
        /// The index as built automatically.
        public var index: SearchFigures
        /// A flat scan, for comparison.
        public var flat: SearchFigures?
        /// Single inserts.
        public var insert: WriteFigures?
        /// Single removes.
        public var remove: WriteFigures?
        /// Snapshot save and load.
        public var snapshot: SnapshotFigures?
        /// Peak resident memory of the process (VmHWM), bytes.
        public var peakMemoryBytes: Int
    }

    /// What this benchmark runs.
    public let configuration: Configuration

    /// A benchmark of the given workload.
    public init(_ configuration: Configuration) { self.configuration = configuration }

    /// Runs the benchmark on the calling thread.
    public func run() throws(IndexError) -> Report {
        if configuration.bits == 256 { return try run(PDQHash.self) }
        return try run(Hash64.self)
    }

    private func run<Code: BinaryCode>(_ type: Code.Type) throws(IndexError) -> Report {
        let c = configuration
        let words = Code.wordCount
        let workload = SyntheticWorkload(entries: c.entries, queries: c.queries, wordsPerCode: words,
                                         plantedShare: c.plantedShare, plantDistance: c.distance, seed: c.seed)
        let reference = bruteForceMatches(Code.self, bankWords: workload.bankWords, ids: workload.ids, queryWords: workload.queryWords,
                                          maxDistance: c.distance)

        var clock = Stopwatch()
        let layout: IndexOptions.Layout = c.substrings.map { .multiIndex(substrings: $0) } ?? .automatic
        let index = HammingIndex<Code>(ids: workload.ids, words: workload.bankWords, options: IndexOptions(designDistance: c.distance, layout: layout))
        let build = clock.lap()
        let results = index.search(queryWords: workload.queryWords, within: c.distance)
        let search = clock.lap()
        let figures = Self.figures(
            strategy: index.strategy(forDistance: c.distance).description, build: build, search: search, queries: c.queries,
            results: results, reference: reference, bytes: index.statistics.bytes, entries: c.entries)

        var flat: SearchFigures?
        if c.includeFlat {
            let nq = min(c.flatQueries, c.queries)
            clock = Stopwatch()
            let flatIndex = HammingIndex<Code>(ids: workload.ids, words: workload.bankWords, options: IndexOptions(layout: .flat))
            let flatBuild = clock.lap()
            let flatResults = flatIndex.search(queryWords: Array(workload.queryWords[0..<(nq * words)]), within: c.distance)
            let flatSearch = clock.lap()
            flat = Self.figures(strategy: "flat", build: flatBuild, search: flatSearch, queries: nq, results: flatResults,
                                reference: Array(reference[0..<nq]), bytes: flatIndex.statistics.bytes, entries: c.entries)
        }

        var snapshot: SnapshotFigures?
        if let directory = c.snapshotDirectory {
            let url = URL(fileURLWithPath: directory).appendingPathComponent("nccmatch-bench-\(getpid()).nccindex")
            defer { try? FileManager.default.removeItem(at: url) }
            clock = Stopwatch()
            try index.save(to: url)
            let save = clock.lap()
            let loaded = try HammingIndex<Code>.load(from: url)
            let load = clock.lap()
            let again = loaded.search(queryWords: workload.queryWords, within: c.distance)
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            snapshot = SnapshotFigures(saveSeconds: save.wall, loadSeconds: load.wall, bytes: size, identicalResults: again == results)
        }

        var insert: WriteFigures?, remove: WriteFigures?
        if c.writes > 0 {
            var rng = SplitMix64(seed: c.seed ^ 0x5EED)
            let base = UInt64(c.entries)
            var codes: [UInt64] = []
            for _ in 0..<(c.writes * words) { codes.append(rng.next()) }
            clock = Stopwatch()
            for i in 0..<c.writes {
                index.insert(ids: [base + UInt64(i)], words: Array(codes[(i * words)..<((i + 1) * words)]))
            }
            let ins = clock.lap()
            insert = WriteFigures(operations: c.writes, operationsPerSecond: Double(c.writes) / ins.wall,
                                  cpuOperationsPerSecond: Double(c.writes) / ins.cpu)
            clock = Stopwatch()
            for i in 0..<c.writes {
                // Alternate removing new and original entries: both the delta and the base are exercised.
                let id = i % 2 == 0 ? base + UInt64(i) : UInt64(rng.next() % UInt64(max(c.entries, 1)))
                index.remove(id: id)
            }
            let rem = clock.lap()
            remove = WriteFigures(operations: c.writes, operationsPerSecond: Double(c.writes) / rem.wall,
                                  cpuOperationsPerSecond: Double(c.writes) / rem.cpu)
        }

        return Report(configuration: c, cpuPath: CPUPath.active.description, index: figures, flat: flat, insert: insert,
                      remove: remove, snapshot: snapshot, peakMemoryBytes: Self.peakMemoryBytes())
    }

    static func figures(strategy: String, build: Stopwatch.Lap, search: Stopwatch.Lap, queries: Int, results: [[IndexMatch]],
                        reference: [[IndexMatch]], bytes: Int, entries: Int) -> SearchFigures {
        var expected = 0, found = 0, extra = 0, hits = 0
        for (got, want) in zip(results, reference) {
            let wantSet = Set(want), gotSet = Set(got)
            expected += wantSet.count
            found += wantSet.intersection(gotSet).count
            extra += gotSet.subtracting(wantSet).count
            hits += got.count
        }
        return SearchFigures(
            strategy: strategy, buildSeconds: build.wall, buildCPUSeconds: build.process, queriesPerSecond: Double(queries) / search.wall,
            cpuQueriesPerSecond: Double(queries) / search.cpu, recall: expected == 0 ? 1 : Double(found) / Double(expected),
            extraResults: extra, hits: hits, bytesPerEntry: entries == 0 ? 0 : Double(bytes) / Double(entries))
    }

    /// Peak resident memory of this process (VmHWM), in bytes; 0 where /proc is absent.
    public static func peakMemoryBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return digits * 1024
        }
        return 0
    }
}

/// Wall and thread-CPU time between laps.
struct Stopwatch {
    struct Lap { var wall: Double; var cpu: Double; var process: Double }
    private var wall: Double
    private var cpu: Double
    private var process: Double

    init() {
        wall = Self.now(CLOCK_MONOTONIC)
        cpu = Self.now(CLOCK_THREAD_CPUTIME_ID)
        process = Self.now(CLOCK_PROCESS_CPUTIME_ID)
    }

    mutating func lap() -> Lap {
        let w = Self.now(CLOCK_MONOTONIC), c = Self.now(CLOCK_THREAD_CPUTIME_ID), p = Self.now(CLOCK_PROCESS_CPUTIME_ID)
        defer { wall = w; cpu = c; process = p }
        return Lap(wall: max(w - wall, 1e-9), cpu: max(c - cpu, 1e-9), process: max(p - process, 1e-9))
    }

    static func now(_ clock: clockid_t) -> Double {
        var t = timespec()
        clock_gettime(clock, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
