import Foundation
import NCCHashing

/// A seeded benchmark of `VPDQIndex`: a bank of synthetic videos, video queries timed one by one on one thread, and the
/// results checked against brute force (`VPDQMatcher` against every bank video). `nccmatch bench --video-bank N`
/// prints its report as JSON.
public struct VPDQIndexBenchmark: Sendable {
    /// What to run.
    public struct Configuration: Sendable, Codable, Hashable {
        /// Videos in the bank.
        public var videos: Int
        /// Frames per bank video and per query (distinct random PDQ hashes, quality 90).
        public var framesPerVideo: Int
        /// Queries timed. Half are copies of a bank video with up to 20 bits of each frame flipped (each must find
        /// its video); the others are unrelated random videos (they must find none).
        public var queries: Int
        /// Queries also answered by brute force, whose results must equal the index's exactly.
        public var bruteForceQueries: Int
        /// Seed: the same seed gives the same bank and queries everywhere.
        public var seed: UInt64

        /// A workload: by default 10,000 videos of 60 frames, 200 queries, 20 of them checked by brute force.
        public init(videos: Int = 10_000, framesPerVideo: Int = 60, queries: Int = 200, bruteForceQueries: Int = 20, seed: UInt64 = 42) {
            self.videos = videos
            self.framesPerVideo = framesPerVideo
            self.queries = queries
            self.bruteForceQueries = bruteForceQueries
            self.seed = seed
        }
    }

    /// What was measured.
    public struct Report: Sendable, Codable, Hashable {
        /// The workload.
        public var configuration: Configuration
        /// Frames indexed.
        public var indexedFrames: Int
        /// Time to build the index, wall seconds.
        public var buildSeconds: Double
        /// Per query, in milliseconds of thread CPU time (steadier than wall time on a shared machine): median.
        public var medianQueryMilliseconds: Double
        /// 99th percentile, milliseconds of thread CPU time.
        public var p99QueryMilliseconds: Double
        /// Slowest query, milliseconds of thread CPU time.
        public var maxQueryMilliseconds: Double
        /// Median query in wall milliseconds.
        public var medianQueryWallMilliseconds: Double
        /// Copies that found their own video as a match (of `queries / 2`, rounded up).
        public var copiesFound: Int
        /// Matches reported for the unrelated queries (must be 0).
        public var unrelatedMatches: Int
        /// Queries checked by brute force.
        public var bruteForceChecked: Int
        /// Of which the index's results (every video with a matching frame, both shares, the verdict) differed.
        public var bruteForceMismatches: Int
        /// Mean brute-force time per query, milliseconds of thread CPU time.
        public var bruteForceQueryMilliseconds: Double
        /// Peak resident memory of the process, bytes (0 where /proc is absent).
        public var peakMemoryBytes: Int
    }

    /// The workload.
    public let configuration: Configuration

    /// A benchmark of `configuration`.
    public init(_ configuration: Configuration) { self.configuration = configuration }

    /// Runs on the calling thread.
    public func run() -> Report {
        let c = configuration
        var g = SplitMix(state: c.seed)
        func video(_ hashes: [PDQHash]) -> [VPDQFrame] {
            hashes.enumerated().map { VPDQFrame(frameNumber: $0.offset * 30, pdq: $0.element, quality: 90, timestamp: Double($0.offset)) }
        }
        var bank: [(id: UInt64, frames: [VPDQFrame])] = []
        bank.reserveCapacity(c.videos)
        for v in 0..<c.videos { bank.append((UInt64(v), video((0..<c.framesPerVideo).map { _ in g.hash() }))) }
        var queries: [(source: Int?, frames: [VPDQFrame])] = []
        for q in 0..<c.queries {
            if q % 2 == 0, !bank.isEmpty {
                let source = Int(g.next() % UInt64(bank.count))
                queries.append((source, video(bank[source].frames.map { g.flipped($0.pdq, bits: Int(g.next() % 21)) })))
            } else {
                queries.append((nil, video((0..<c.framesPerVideo).map { _ in g.hash() })))
            }
        }

        let buildStart = Self.now(CLOCK_MONOTONIC)
        let index = VPDQIndex(videos: bank)
        let buildSeconds = Self.now(CLOCK_MONOTONIC) - buildStart

        var cpu: [Double] = [], wall: [Double] = []
        var found = 0, unrelated = 0
        var answers: [[(videoID: UInt64, result: VPDQMatchResult)]] = []
        for query in queries {
            let w = Self.now(CLOCK_MONOTONIC), t = Self.now(CLOCK_THREAD_CPUTIME_ID)
            let result = index.search(query.frames)
            cpu.append((Self.now(CLOCK_THREAD_CPUTIME_ID) - t) * 1000)
            wall.append((Self.now(CLOCK_MONOTONIC) - w) * 1000)
            let matches = result.filter(\.result.isMatch)
            if let source = query.source {
                if matches.contains(where: { $0.videoID == UInt64(source) }) { found += 1 }
            } else {
                unrelated += matches.count
            }
            answers.append(result)
        }

        var mismatches = 0, bruteCPU = 0.0
        let checked = min(c.bruteForceQueries, queries.count)
        for q in 0..<checked {
            let t = Self.now(CLOCK_THREAD_CPUTIME_ID)
            var expected: [UInt64: VPDQMatchResult] = [:]
            for video in bank {
                let result = VPDQMatcher.compare(query: queries[q].frames, bank: video.frames)
                if result.queryMatchPercent > 0 { expected[video.id] = result }
            }
            bruteCPU += Self.now(CLOCK_THREAD_CPUTIME_ID) - t
            let got = Dictionary(answers[q].map { ($0.videoID, $0.result) }, uniquingKeysWith: { a, _ in a })
            if got != expected { mismatches += 1 }
        }
        return Report(
            configuration: c, indexedFrames: index.frameCount, buildSeconds: buildSeconds,
            medianQueryMilliseconds: Self.percentile(cpu, 0.5), p99QueryMilliseconds: Self.percentile(cpu, 0.99),
            maxQueryMilliseconds: cpu.max() ?? 0, medianQueryWallMilliseconds: Self.percentile(wall, 0.5),
            copiesFound: found, unrelatedMatches: unrelated, bruteForceChecked: checked, bruteForceMismatches: mismatches,
            bruteForceQueryMilliseconds: checked == 0 ? 0 : bruteCPU * 1000 / Double(checked),
            peakMemoryBytes: Self.peakMemoryBytes())
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    static func now(_ clock: clockid_t) -> Double {
        var t = timespec()
        clock_gettime(clock, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    static func peakMemoryBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return (line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0) * 1024
        }
        return 0
    }

    /// SplitMix64: a small seeded generator, the same on every machine.
    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func hash() -> PDQHash { PDQHash(words: (next(), next(), next(), next())) }
        mutating func flipped(_ hash: PDQHash, bits: Int) -> PDQHash {
            var w = [hash.words.0, hash.words.1, hash.words.2, hash.words.3]
            var chosen = Set<Int>()
            while chosen.count < bits { chosen.insert(Int(next() % 256)) }
            for bit in chosen { w[bit / 64] ^= 1 << UInt64(bit % 64) }
            return PDQHash(words: (w[0], w[1], w[2], w[3]))
        }
    }
}
