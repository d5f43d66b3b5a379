import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NCCEvaluation
import NCCHashing

/// `nccmatch eval`: measures how well each matching signal survives the copies offenders post.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure matching robustness: recall per transform and false matches between different pictures.",
        discussion: """
            For every picture in --images and every transform, a copy is made in memory (never written to \
            disk), both are hashed, and their distance is recorded; copies are also compared with every \
            different picture for false matches. Pictures sharing a scene_group in MANIFEST.tsv are not \
            counted as different; without a MANIFEST.tsv, near-duplicates (two of PDQ <= 31, pHash <= 8, \
            dHash <= 8 agreeing) are grouped into one scene and a warning says so. Screenshots of different \
            pictures in the same app chrome are also compared with each other. Writes report.json, \
            report.csv and report.html to --report.
            """)

    @Option(name: .long, help: ArgumentHelp("Folder of pictures (JPEG, PNG), optionally with a MANIFEST.tsv (columns file, scene_group).", valueName: "DIR"))
    var images: String

    @Option(name: .long, help: ArgumentHelp("Comma-separated transform names, families with a trailing * (jpeg-*), or all.", valueName: "LIST"))
    var transforms: String = "all"

    @Option(name: .long, help: ArgumentHelp("Folder to write report.json, report.csv and report.html to (created if missing).", valueName: "DIR"))
    var report: String = "robustness-report"

    @Option(name: .long, help: "How originals are decoded for their bank hash: fast (as nccmatch hash does by default) or exact.")
    var mode: HashingMode = .fast

    @Option(name: .long, help: "Pictures processed at once (default: every core).")
    var jobs: Int?

    @Option(name: .long, help: "Per-channel tolerance (0-255) for stripping uniform borders in the unletterbox signal.")
    var unletterboxThreshold: Int = Unletterbox.defaultThreshold

    @Option(name: .long, help: "Leave out pictures whose PDQ quality is below this (0-100; the bank refuses under 50).")
    var minQuality: Int = 50

    @Flag(name: .long, help: "Also write details.csv: the distance of every copy to its original, per picture (names the pictures).")
    var details = false

    @Flag(name: .long, help: "Print no progress.")
    var quiet = false

    func validate() throws {
        guard (jobs ?? 1) >= 1 else { throw ValidationError("--jobs must be at least 1.") }
        guard (0...100).contains(minQuality) else { throw ValidationError("--min-quality must be between 0 and 100.") }
        guard (0...255).contains(unletterboxThreshold) else { throw ValidationError("--unletterbox-threshold must be between 0 and 255.") }
        do { _ = try ImageTransform.parseList(transforms) } catch { throw ValidationError(error.message) }
    }

    func run() async throws {
        let chosen = try ImageTransform.parseList(transforms)
        let corpus: [CorpusImage]
        do { corpus = try Corpus.load(directory: images) } catch {
            Self.printError("error: \(error.code): \(error.message)")
            throw ExitCode(1)
        }
        var options = EvaluationOptions(transforms: chosen, mode: mode, unletterboxThreshold: unletterboxThreshold, minimumQuality: minQuality)
        if let jobs { options.jobs = jobs }
        // Without a manifest nobody said which pictures show one scene: near-duplicates are grouped, with a warning.
        options.clusterNearDuplicates = access(images + "/MANIFEST.tsv", F_OK) != 0
        let quiet = self.quiet
        let outcome = await RobustnessEvaluator.run(images: corpus, options: options) { done, total in
            if !quiet && (done == total || done % 10 == 0) {
                Self.printError("eval: \(done)/\(total) pictures")
            }
        }
        let result = outcome.report
        do { try ReportWriter.write(result, details: details ? outcome.detailsCSV : nil, to: report) } catch {
            Self.printError("error: \(error.code): \(error.message)")
            throw ExitCode(1)
        }
        print(Self.summary(result, folder: report))
    }

    /// Writes one line to standard error.
    static func printError(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { raw in _ = write(2, raw.baseAddress, raw.count) }
    }

    /// A short plain-text summary for the terminal.
    static func summary(_ r: RobustnessReport, folder: String) -> String {
        var lines = ["Evaluated \(r.corpus.evaluated) of \(r.corpus.images) pictures, \(r.settings.transforms.count) transforms, \(r.corpus.differentImagePairs) pairs of different pictures, in \(String(format: "%.1f", r.elapsedSeconds)) s."]
        for s in r.signals {
            let f = s.falseMatches
            let margin = s.marginBits.map { ", closest different pictures \(f.smallestDistance ?? 0) bits apart (margin \($0))" } ?? ""
            lines.append("\(s.id): recommended distance \(s.recommendedDistance.map(String.init) ?? "none: different pictures collide") (default \(s.defaultDistance)); false matches at default: \(f.countAtDefault) of \(f.comparisons)\(margin)")
            if let stored = s.measuredBankHashesPerImage, let sent = s.measuredQueryHashesPerCopy, let upload = s.measuredQueryHashesPerUpload {
                lines.append("  cost: \(String(format: "%.1f", stored)) PDQ hashes stored per picture; \(String(format: "%.2f", upload)) sent per plain upload, \(String(format: "%.2f", sent)) per copy over every transform")
            }
        }
        if let c = r.sameChrome {
            lines.append("Screenshots of different pictures in the same chrome (\(c.transforms.joined(separator: ", "))): \(c.countAtDefault) false matches of \(c.comparisons); closest \(c.smallestRecommended.map(String.init) ?? "-") bits by the recommended policy (plain PDQ: \(c.smallestPlainPDQ.map(String.init) ?? "-")).")
        }
        if r.timing.plainUploadMilliseconds > 0 {
            lines.append("Hashing an upload: \(String(format: "%.1f", r.timing.plainUploadMilliseconds)) ms plain, \(String(format: "%.1f", r.timing.queryUploadMilliseconds)) ms with everything a query sends (x\(String(format: "%.2f", r.timing.queryUploadMilliseconds / r.timing.plainUploadMilliseconds)); all cores busy).")
        }
        for warning in r.warnings { lines.append("warning: " + warning) }
        lines.append("Report written to \(folder)/report.html, report.json, report.csv.")
        return lines.joined(separator: "\n")
    }
}

