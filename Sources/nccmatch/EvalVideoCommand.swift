import ArgumentParser
import Foundation
import NCCVideo
import NCCWire

/// `nccmatch eval-video`: measures how well vPDQ, beside MD5, survives the copies offenders post of a video.
struct EvalVideoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval-video",
        abstract: "Measure video matching robustness: vPDQ and MD5 recall per transform, false matches between different videos.",
        discussion: """
            Every video in --videos is hashed with vPDQ; for every transform FFmpeg makes a copy (re-encoded at lower \
            quality, half size, trimmed by 10% at each end, mirrored, with a logo box, with a caption bar, sped up \
            1.5 times). Copies are made in memory: ffmpeg writes each one to a pipe that nccmatch reads, so no copy \
            is ever written to disk. Each copy is matched, as a query, against its original at the given thresholds \
            (pytx's vPDQ defaults), and its MD5 compared. The originals are hashed as the bank keeps a victim's video \
            (every frame of a video up to 3,600 frames), so that a trimmed or sped-up copy's frames find a bank frame \
            close in time; --bank-seconds-per-hash 1 measures pytx's one frame a second on both sides. Every original and copy is matched against every original \
            of another scene for false matches. Needs the ffmpeg program with the libx264 encoder. Exits 0 when \
            re-encoded, half-size and trimmed copies each match at least 95% and no different videos match, 3 when \
            they do not.
            """)

    @Option(name: .long, help: ArgumentHelp("Folder of videos (MP4, MOV, WebM, MKV, AVI), optionally with a MANIFEST.tsv (columns file, scene_group).", valueName: "DIR"))
    var videos: String

    @Option(name: .long, help: ArgumentHelp("Comma-separated transforms (\(VideoTransform.allCases.map(\.rawValue).joined(separator: ", "))) or all.", valueName: "LIST"))
    var transforms: String = "all"

    @Flag(name: .long, help: "Videos whose names share the part before the first '-' are versions of one scene (Meta's sample videos), not different videos.")
    var groupByPrefix = false

    @Option(name: .long, help: "Seconds between sampled frames (0 = every frame).")
    var secondsPerHash: Double = 1

    @Option(name: .long, help: "Seconds between the frames of each original hashed as the bank video copies are matched against (0 = every frame; default: as case submit keeps a victim's video, every frame of a video up to 3,600 frames, else 3,600 evenly spaced; give --seconds-per-hash's value for pytx's one rate on both sides).")
    var bankSecondsPerHash: Double?

    @Option(name: .long, help: "Largest PDQ distance at which two frames match.")
    var maxDistance: Int = 31

    @Option(name: .long, help: "Smallest query share (percent) for a match.")
    var videoQueryPercent: Double = 80

    @Option(name: .long, help: "Smallest bank share (percent) for a match.")
    var videoBankPercent: Double = 0

    @Option(name: .long, help: "Videos processed at once (default: every core).")
    var jobs: Int?

    @Option(name: .long, help: ArgumentHelp("The ffmpeg program to make copies with (default: the one on PATH).", valueName: "PATH"))
    var ffmpeg: String?

    @Option(name: .long, help: ArgumentHelp("Also write the report as JSON to this file.", valueName: "FILE"))
    var json: String?

    @Flag(name: .long, help: "Name the videos of the closest miss and of any false match in the report.")
    var details = false

    @Flag(name: .long, help: "Print no progress.")
    var quiet = false

    func validate() throws {
        guard (jobs ?? 1) >= 1 else { throw ValidationError("--jobs must be at least 1.") }
        guard secondsPerHash.isFinite, secondsPerHash >= 0, (bankSecondsPerHash ?? 0).isFinite, (bankSecondsPerHash ?? 0) >= 0 else {
            throw ValidationError("--seconds-per-hash and --bank-seconds-per-hash must be 0 or more.")
        }
        guard (0...256).contains(maxDistance) else { throw ValidationError("--max-distance must be between 0 and 256.") }
        guard (0...100).contains(videoQueryPercent), (0...100).contains(videoBankPercent) else {
            throw ValidationError("--video-query-percent and --video-bank-percent must be between 0 and 100.")
        }
        do { _ = try VideoTransform.parseList(transforms) } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        var options = VideoEvaluationOptions()
        options.transforms = try VideoTransform.parseList(transforms)
        options.policy = VPDQMatchPolicy(frameDistance: maxDistance, queryMatchPercent: videoQueryPercent, bankMatchPercent: videoBankPercent)
        options.decoding.secondsPerSample = secondsPerHash
        options.bankSecondsPerSample = bankSecondsPerHash
        options.bankMaxFrames = WireLimits.maxFramesPerVideo
        options.details = details
        if let jobs { options.jobs = jobs }
        let report: VideoRobustnessReport
        do {
            let copier = try VideoCopier(ffmpeg: ffmpeg)
            let list: [EvaluationVideo]
            do { list = try VideoRobustnessEvaluator.videos(in: videos, groupByPrefix: groupByPrefix) } catch {
                Self.fail("the folder \(TerminalText.escaped(videos)) cannot be read. Check the path and that you may read it.")
            }
            let quiet = self.quiet
            report = try VideoRobustnessEvaluator.run(videos: list, options: options, copier: copier) { done, total in
                if !quiet { FileHandle.standardError.write(Data("eval-video: \(done)/\(total) videos\n".utf8)) }
            }
        } catch {
            // Typed throws: `error` is a VideoEvaluationError.
            Self.fail("\(error.code.rawValue): \(error.message)")
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            do { try encoder.encode(report).write(to: URL(fileURLWithPath: json)) } catch {
                Self.fail("the report could not be written to \(TerminalText.escaped(json)) (\(error.localizedDescription)).")
            }
        }
        print(Self.summary(report))
        if !report.meetsBar { throw ExitCode(3) }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("nccmatch eval-video: error: \(message)\n".utf8))
        Foundation.exit(1)
    }

    /// The report as a plain-text table.
    static func summary(_ r: VideoRobustnessReport) -> String {
        func pct(_ x: Double) -> String { String(format: "%.1f%%", x) }
        let v = r.videos
        var lines = ["Evaluated \(v.evaluated) of \(v.found) videos (\(v.scenes) scenes, \(v.frames) sampled frames; \(v.failed) not hashed, \(v.lowQuality) with no frame of quality \(r.settings.policy.minimumQuality)+), copies made in memory, in \(String(format: "%.1f", r.elapsedSeconds)) s.",
                     "Match: frame distance <= \(r.settings.policy.frameDistance), query share >= \(r.settings.policy.queryMatchPercent)%, bank share >= \(r.settings.policy.bankMatchPercent)%, queries one frame every \(r.settings.secondsPerSample) s, bank videos \(r.settings.bankSecondsPerSample.map { $0 == 0 ? "every frame" : "one frame every \($0) s" } ?? "as case submit keeps them (every frame of a video up to \(WireLimits.maxFramesPerVideo) frames)").",
                     "",
                     "transform   vPDQ recall        MD5 recall   median query/bank share   lowest query share   failed copies"]
        for t in r.transforms {
            lines.append(t.transform.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                + "\(pct(t.vpdqRecallPercent)) (\(t.vpdqMatches))".padding(toLength: 19, withPad: " ", startingAt: 0)
                + pct(t.md5RecallPercent).padding(toLength: 13, withPad: " ", startingAt: 0)
                + "\(pct(t.medianQueryPercent)) / \(pct(t.medianBankPercent))".padding(toLength: 26, withPad: " ", startingAt: 0)
                + pct(t.lowestQueryPercent).padding(toLength: 21, withPad: " ", startingAt: 0)
                + String(t.failures))
        }
        let f = r.falseMatches
        var falseLine = "False matches between different videos: \(f.matches) of \(f.comparisons) pairs (\(f.originalPairs) between originals, the rest copies against other originals)"
        if let miss = f.closestMiss {
            falseLine += "; closest miss: query \(pct(miss.queryPercent)), bank \(pct(miss.bankPercent))"
            if let q = miss.query, let b = miss.bank { falseLine += " (\(TerminalText.escaped(q)) against \(TerminalText.escaped(b)))" }
        }
        lines += ["", falseLine + ".",
                  r.meetsBar ? "Re-encoded, half-size and trimmed copies match at least 95%, and no different videos match."
                             : "Below the bar: re-encoded, half-size and trimmed copies must each match at least 95%, with no false match."]
        return lines.joined(separator: "\n")
    }
}
