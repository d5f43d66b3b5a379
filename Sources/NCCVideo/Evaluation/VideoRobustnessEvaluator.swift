import Foundation
import NCCHashing
import Synchronization

/// One video the evaluation starts from.
public struct EvaluationVideo: Sendable, Hashable {
    /// The file's path.
    public var path: String
    /// Its name in reports (the file name).
    public var name: String
    /// Its scene group: videos of one group are versions of one scene, never counted as different videos.
    public var scene: String

    /// Makes an input.
    public init(path: String, name: String, scene: String) {
        self.path = path
        self.name = name
        self.scene = scene
    }
}

/// How the video robustness evaluation runs.
public struct VideoEvaluationOptions: Sendable {
    /// The copies made of every video, in report order. Default: all.
    public var transforms: [VideoTransform] = VideoTransform.allCases
    /// When a copy matches its original and when different videos match. Default: pytx's thresholds.
    public var policy = VPDQMatchPolicy()
    /// Sampling and limits for originals and copies. Default: one frame a second.
    public var decoding = VideoDecodingOptions()
    /// Seconds between the frames hashed of each original as a bank video (what a copy is matched against), when it
    /// differs from `decoding.secondsPerSample` (0: every frame). nil (the default): as the service's bank keeps a
    /// victim's video, `VPDQMatchPolicy.bankSecondsPerSample` over the video's duration and `bankMaxFrames` (every
    /// frame of a short video). A finer bank rate puts a bank frame close in time to every sampled frame of a trimmed
    /// or sped-up copy; the queries' own rate reproduces pytx's one frame a second on both sides.
    public var bankSecondsPerSample: Double?
    /// The most frames the bank keeps of one video (`WireLimits.maxFramesPerVideo`, 3,600), for the default bank rate.
    public var bankMaxFrames = 3_600
    /// Videos processed at once (each runs one FFmpeg process and one decoder at a time). Default: every core.
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    /// Name the videos of the closest miss and of false matches in the report.
    public var details = false

    /// The defaults.
    public init() {}
}

/// Measures how well vPDQ (beside MD5) survives the copies offenders post, and whether different videos stay apart.
///
/// Every video is hashed; for every transform a copy is made in memory by FFmpeg (`VideoCopier`), hashed, and
/// compared with its original (the copy is the query, the original the bank video, as when an upload is checked
/// against a victim's video). Every original and every copy is then compared with every original of another scene
/// for false matches. Comparisons are pairwise (`VPDQMatcher`, the reference the index agrees with).
public enum VideoRobustnessEvaluator {
    /// The videos in `directory` (not its subfolders), recognised by their first bytes, sorted by name.
    ///
    /// Scene groups come from a `MANIFEST.tsv` beside them (columns `file` and `scene_group`) when there is one; else,
    /// with `groupByPrefix`, from the part of the name before the first `-` (Meta's sample videos: `chair-...`);
    /// else every video is its own scene.
    public static func videos(in directory: String, groupByPrefix: Bool) throws -> [EvaluationVideo] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        var manifest: [String: String] = [:]
        if let text = try? String(contentsOfFile: directory + "/MANIFEST.tsv", encoding: .utf8) {
            let rows = text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
            if let header = rows.first, let file = header.firstIndex(of: "file"), let scene = header.firstIndex(of: "scene_group") {
                for row in rows.dropFirst() where row.count > max(file, scene) { manifest[row[file]] = row[scene] }
            }
        }
        return names.compactMap { name -> EvaluationVideo? in
            let path = directory + "/" + name
            guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
            defer { try? handle.close() }
            let head = (try? handle.read(upToCount: VideoContainer.detectionPrefixLength)) ?? Data()
            guard VideoContainer.detect([UInt8](head)) != nil else { return nil }
            let scene = manifest[name] ?? (groupByPrefix ? String(name.prefix { $0 != "-" }) : name)
            return EvaluationVideo(path: path, name: name, scene: scene)
        }
    }

    /// A copy's frames and whether its bytes had the original's MD5.
    struct Copy: Sendable {
        var frames: [VPDQFrame]
        var sameMD5: Bool
    }

    /// What one video gave: its original's frames and MD5, and each copy's frames and whether its MD5 was equal.
    struct Hashed: Sendable {
        var video: EvaluationVideo
        var original: Result<[VPDQFrame], VideoError>
        /// The original's frames as a bank video (the same as `original` unless the bank rate differs).
        var bank: [VPDQFrame] = []
        var copies: [VideoTransform: Result<Copy, VideoEvaluationError>] = [:]
    }

    /// Runs the evaluation. `progress` is called after each video with (done, total).
    ///
    /// - Throws: `.ffmpegMissing` before any work when FFmpeg is not there, `.noVideos` when `videos` is empty.
    public static func run(videos: [EvaluationVideo], options: VideoEvaluationOptions = .init(), copier: VideoCopier? = nil,
                           progress: @Sendable (Int, Int) -> Void = { _, _ in }) throws(VideoEvaluationError) -> VideoRobustnessReport {
        guard !videos.isEmpty else {
            throw VideoEvaluationError(code: .noVideos, message: "No video was found to evaluate. Give a folder holding video files (MP4, MOV, WebM, MKV, AVI).")
        }
        let maker: VideoCopier
        if let copier { maker = copier } else { maker = try VideoCopier() }
        let start = ContinuousClock.now
        let results = Mutex<[Int: Hashed]>([:])
        let next = Mutex(0)
        let workers = max(1, min(options.jobs, videos.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let i = next.withLock { value -> Int in
                    defer { value += 1 }
                    return value
                }
                guard i < videos.count else { return }
                let hashed = hash(videos[i], options: options, copier: maker)
                let done = results.withLock { all -> Int in
                    all[i] = hashed
                    return all.count
                }
                progress(done, videos.count)
            }
        }
        let hashed = results.withLock { all in (0..<videos.count).map { all[$0]! } }
        var report = measure(hashed, options: options)
        report.elapsedSeconds = Double((ContinuousClock.now - start).components.seconds)
            + Double((ContinuousClock.now - start).components.attoseconds) / 1e18
        return report
    }

    static func hash(_ video: EvaluationVideo, options: VideoEvaluationOptions, copier: VideoCopier) -> Hashed {
        let original: VPDQVideoHash
        do { original = try VPDQHasher.hash(path: video.path, options: options.decoding) } catch {
            return Hashed(video: video, original: .failure(error))
        }
        var result = Hashed(video: video, original: .success(original.frames), bank: original.frames)
        let rate = options.bankSecondsPerSample ?? VPDQMatchPolicy.bankSecondsPerSample(
            durationSeconds: original.info.durationSeconds, maxFrames: options.bankMaxFrames)
        if rate != options.decoding.secondsPerSample {
            var bankOptions = options.decoding
            bankOptions.secondsPerSample = rate
            do { result.bank = try VPDQHasher.hash(path: video.path, options: bankOptions).frames } catch {
                return Hashed(video: video, original: .failure(error))
            }
        }
        let md5 = (try? FileDigests.of(fileAt: video.path))?.md5
        let last = original.frames.last.map { $0.timestamp + 1 / (original.info.frameRate ?? 30) }
        let duration = original.info.durationSeconds ?? last
        for transform in options.transforms {
            do {
                let copy = try copier.withCopy(of: video.path, transform: transform, duration: duration,
                                               frameRate: original.info.frameRate) { bytes in
                    let frames = try VPDQHasher.hash(bytes: bytes, options: options.decoding).frames
                    let sameMD5 = bytes.withUnsafeBytes { FileDigests.of($0).md5 } == md5
                    return Copy(frames: frames, sameMD5: sameMD5)
                }
                result.copies[transform] = .success(copy)
            } catch let error as VideoEvaluationError {
                result.copies[transform] = .failure(error)
            } catch {
                result.copies[transform] = .failure(VideoEvaluationError(
                    code: .copyFailed, message: "A copy FFmpeg made could not be hashed.", underlying: "\(error)"))
            }
        }
        return result
    }

    static func measure(_ hashed: [Hashed], options: VideoEvaluationOptions) -> VideoRobustnessReport {
        let policy = options.policy
        var failed = 0, lowQuality = 0
        var evaluated: [(video: EvaluationVideo, frames: [VPDQFrame], bank: [VPDQFrame], copies: Hashed)] = []
        for h in hashed {
            switch h.original {
            case .failure: failed += 1
            case .success(let frames):
                if policy.usableFrames(frames).isEmpty || policy.usableFrames(h.bank).isEmpty {
                    lowQuality += 1
                } else {
                    evaluated.append((h.video, frames, h.bank, h))
                }
            }
        }
        let count = max(evaluated.count, 1)
        var transforms: [VideoRobustnessReport.TransformResult] = []
        for transform in options.transforms {
            var made = 0, failures = 0, matches = 0, md5 = 0
            var queryShares: [Double] = [], bankShares: [Double] = []
            for video in evaluated {
                switch video.copies.copies[transform] {
                case .success(let copy)?:
                    made += 1
                    let result = VPDQMatcher.compare(query: copy.frames, bank: video.bank, policy: policy)
                    if result.isMatch { matches += 1 }
                    if copy.sameMD5 { md5 += 1 }
                    queryShares.append(result.queryMatchPercent)
                    bankShares.append(result.bankMatchPercent)
                default:
                    failures += 1
                    queryShares.append(0)
                    bankShares.append(0)
                }
            }
            transforms.append(.init(
                transform: transform, summary: transform.summary, copies: made, failures: failures,
                vpdqMatches: matches, vpdqRecallPercent: Double(matches) * 100 / Double(count),
                md5Matches: md5, md5RecallPercent: Double(md5) * 100 / Double(count),
                medianQueryPercent: median(queryShares), medianBankPercent: median(bankShares),
                lowestQueryPercent: queryShares.min() ?? 0))
        }

        // Every original and every copy, as a query, against every original of another scene.
        var comparisons = 0, originalPairs = 0, falseMatches = 0
        var closest: VideoRobustnessReport.ClosestMiss?
        var examples: [VideoRobustnessReport.ClosestMiss] = []
        for query in evaluated {
            var queries: [(label: String, frames: [VPDQFrame], isOriginal: Bool)] = [(query.video.name, query.frames, true)]
            for transform in options.transforms {
                if case .success(let copy)? = query.copies.copies[transform] {
                    queries.append(("\(query.video.name) (\(transform.rawValue))", copy.frames, false))
                }
            }
            for bank in evaluated where bank.video.scene != query.video.scene {
                for q in queries {
                    comparisons += 1
                    if q.isOriginal { originalPairs += 1 }
                    let result = VPDQMatcher.compare(query: q.frames, bank: bank.bank, policy: policy)
                    let entry = VideoRobustnessReport.ClosestMiss(
                        queryPercent: result.queryMatchPercent, bankPercent: result.bankMatchPercent,
                        query: options.details ? q.label : nil, bank: options.details ? bank.video.name : nil)
                    if result.isMatch {
                        falseMatches += 1
                        if examples.count < 20 { examples.append(entry) }
                    } else if closest.map({ (entry.queryPercent, entry.bankPercent) > ($0.queryPercent, $0.bankPercent) }) ?? true {
                        closest = entry
                    }
                }
            }
        }
        let required = transforms.filter { VideoTransform.required.contains($0.transform) }
        let meetsBar = !evaluated.isEmpty && falseMatches == 0 && required.allSatisfy { $0.vpdqRecallPercent >= 95 }
        return VideoRobustnessReport(
            settings: .init(policy: policy, secondsPerSample: options.decoding.secondsPerSample,
                            bankSecondsPerSample: options.bankSecondsPerSample,
                            transforms: options.transforms, copies: "memory"),
            videos: .init(found: hashed.count, evaluated: evaluated.count, failed: failed, lowQuality: lowQuality,
                          scenes: Set(evaluated.map(\.video.scene)).count,
                          frames: evaluated.reduce(0) { $0 + $1.frames.count }),
            transforms: transforms,
            falseMatches: .init(comparisons: comparisons, originalPairs: originalPairs, matches: falseMatches,
                                closestMiss: closest, examples: examples),
            elapsedSeconds: 0, meetsBar: meetsBar)
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
