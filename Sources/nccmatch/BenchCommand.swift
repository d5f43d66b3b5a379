import ArgumentParser
import Foundation
import NCCIndex
import NCCIndexBenchmarks
import NCCVideo

/// `nccmatch bench`: a seeded index benchmark printing JSON, with an optional regression check against a baseline.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the hash index on a seeded synthetic bank; compare with a baseline for CI.",
        discussion: """
            Generates N random codes and Q queries (a share of them planted near bank entries at distances spread \
            over 0...d), then measures build time, range-search queries/s for the index and for a flat scan, recall \
            against brute force, inserts/s, removes/s, snapshot save and load, bytes per entry and peak memory. \
            Prints one JSON object. Runs on one thread.
            With --baseline FILE (a JSON report saved from an earlier run with the same workload), exits with status \
            3 when a figure is worse than the baseline by more than --tolerance, and lists the regressions on \
            standard error. Query and write rates are compared in thread CPU time, which shared CI machines disturb \
            less than wall time. Recall must never drop.
            """
    )

    @Option(help: "Codes in the bank.")
    var entries = 1_000_000

    @Option(help: "Queries.")
    var queries = 1_000

    @Option(help: "Code length: 256 (PDQ) or 64 (pHash, dHash).")
    var bits = 256

    @Option(help: "Range-search distance, inclusive (default 31 for 256 bits, 8 for 64).")
    var maxDistance: Int?

    @Option(help: "Share of queries planted near bank entries, 0...1.")
    var plantedShare = 0.1

    @Option(help: "Generator seed: the same seed gives the same codes on every machine.")
    var seed: UInt64 = 42

    @Option(help: "Inserts and removes timed (0 to skip).")
    var writes = 10_000

    @Option(help: "Queries timed on the flat scan (0 to skip it).")
    var flatQueries = 100

    @Option(help: "Folder for the snapshot save/load timing (the file is deleted afterwards); omit to skip.")
    var snapshotDir: String?

    @Option(help: "Force this many multi-index substrings instead of letting the index choose.")
    var substrings: Int?

    @Option(help: "A JSON report from an earlier run to compare with.")
    var baseline: String?

    @Option(help: "Allowed relative regression against the baseline, e.g. 0.2 for 20%.")
    var tolerance = 0.2

    @Option(help: "Also write the JSON report to this file (for example to store a new baseline).")
    var output: String?

    @Option(help: "Benchmark the video index instead: a bank of this many synthetic videos (vPDQ), queried with --queries videos of --video-frames frames, checked against brute force.")
    var videoBank: Int?

    @Option(help: "Frames per video for --video-bank.")
    var videoFrames = 60

    func validate() throws {
        if let videoBank, videoBank < 0 || videoFrames < 1 { throw ValidationError("--video-bank must be 0 or more and --video-frames at least 1.") }
        guard bits == 256 || bits == 64 else { throw ValidationError("--bits must be 256 or 64.") }
        guard entries >= 0, entries < Int(UInt32.max), queries >= 0 else {
            throw ValidationError("--entries and --queries must be 0 or more (entries below 2^32).")
        }
        if let d = maxDistance, !(0...bits).contains(d) { throw ValidationError("--max-distance must be between 0 and \(bits).") }
        guard (0...1).contains(plantedShare) else { throw ValidationError("--planted-share must be between 0 and 1.") }
        guard tolerance >= 0 else { throw ValidationError("--tolerance must be 0 or more.") }
    }

    func run() throws {
        if let videoBank {
            let report = VPDQIndexBenchmark(.init(videos: videoBank, framesPerVideo: videoFrames, queries: queries)).run()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            let json = try encoder.encode(report)
            FileHandle.standardOutput.write(json + Data("\n".utf8))
            if let output { try json.write(to: URL(fileURLWithPath: output)) }
            if report.bruteForceMismatches > 0 || report.unrelatedMatches > 0 { throw ExitCode(3) }
            return
        }
        let configuration = IndexBenchmark.Configuration(
            entries: entries, queries: queries, bits: bits, distance: maxDistance, plantedShare: plantedShare, seed: seed,
            writes: writes, includeFlat: flatQueries > 0, flatQueries: max(flatQueries, 1), snapshotDirectory: snapshotDir,
            substrings: substrings)
        let report: IndexBenchmark.Report
        do {
            report = try IndexBenchmark(configuration).run()
        } catch {
            FileHandle.standardError.write(Data("nccmatch bench: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let json = try encoder.encode(report)
        FileHandle.standardOutput.write(json + Data("\n".utf8))
        if let output { try json.write(to: URL(fileURLWithPath: output)) }

        guard let baseline else { return }
        let stored: IndexBenchmark.Report
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            stored = try decoder.decode(IndexBenchmark.Report.self, from: Data(contentsOf: URL(fileURLWithPath: baseline)))
        } catch {
            FileHandle.standardError.write(Data("nccmatch bench: the baseline \(baseline) cannot be read as a bench report (\(error)); save one with --output.\n".utf8))
            throw ExitCode(1)
        }
        let problems = Self.regressions(current: report, baseline: stored, tolerance: tolerance)
        if !problems.isEmpty {
            let list = problems.map { "  " + $0 }.joined(separator: "\n")
            FileHandle.standardError.write(Data("nccmatch bench: regressions against \(baseline):\n\(list)\n".utf8))
            throw ExitCode(3)
        }
        FileHandle.standardError.write(Data("nccmatch bench: no regression against \(baseline) (tolerance \(Int(tolerance * 100))%).\n".utf8))
    }

    /// Figures worse than the baseline beyond the tolerance, as sentences.
    static func regressions(current: IndexBenchmark.Report, baseline: IndexBenchmark.Report, tolerance: Double) -> [String] {
        var problems: [String] = []
        var a = current.configuration, b = baseline.configuration
        a.snapshotDirectory = nil
        b.snapshotDirectory = nil
        if a != b {
            return ["the workloads differ (entries, queries, bits, distance, share, seed, writes or flat queries); rerun with the baseline's settings"]
        }
        func higher(_ name: String, _ now: Double?, _ then: Double?) {
            guard let now, let then, then > 0 else { return }
            if now < then * (1 - tolerance) {
                problems.append("\(name): \(fmt(now)), baseline \(fmt(then)) (\(percent(now / then - 1)))")
            }
        }
        func lower(_ name: String, _ now: Double?, _ then: Double?, floor: Double = 0) {
            guard let now, let then else { return }
            if now > max(then, floor) * (1 + tolerance) {
                problems.append("\(name): \(fmt(now)), baseline \(fmt(then)) (\(percent(now / max(then, 1e-12) - 1)))")
            }
        }
        if current.index.recall < baseline.index.recall || current.index.extraResults > 0 {
            problems.append("index results are no longer exact: recall \(current.index.recall), extra results \(current.index.extraResults)")
        }
        higher("index.cpu_queries_per_second", current.index.cpuQueriesPerSecond, baseline.index.cpuQueriesPerSecond)
        lower("index.build_seconds", current.index.buildSeconds, baseline.index.buildSeconds, floor: 0.25)
        lower("index.bytes_per_entry", current.index.bytesPerEntry, baseline.index.bytesPerEntry)
        higher("flat.cpu_queries_per_second", current.flat?.cpuQueriesPerSecond, baseline.flat?.cpuQueriesPerSecond)
        higher("insert.cpu_operations_per_second", current.insert?.cpuOperationsPerSecond, baseline.insert?.cpuOperationsPerSecond)
        higher("remove.cpu_operations_per_second", current.remove?.cpuOperationsPerSecond, baseline.remove?.cpuOperationsPerSecond)
        lower("snapshot.load_seconds", current.snapshot?.loadSeconds, baseline.snapshot?.loadSeconds, floor: 0.25)
        lower("peak_memory_bytes", Double(current.peakMemoryBytes), Double(baseline.peakMemoryBytes))
        return problems
    }

    private static func fmt(_ x: Double) -> String { x >= 100 ? String(Int(x.rounded())) : String(format: "%.3g", x) }
    private static func percent(_ x: Double) -> String { String(format: "%+.0f%%", x * 100) }
}
