import Foundation
import NCCTestSupport
import NCCVideo
import Testing

/// `VideoRobustnessEvaluator` (what `nccmatch eval-video` runs) on three short clips made here from the corpus's
/// pictures (as Scripts/measure/video_make_corpus_clips.sh makes the full set): re-encoded, half-size and trimmed
/// copies match their original, MD5 never does, different clips never match, and no copy is written beside them.
@Suite("video robustness evaluation")
struct VideoRobustnessTests {
    /// Two photographs of two scene groups per clip (all of PDQ quality 100), so the three clips share no scene.
    static let pictures = [
        ["lomiri-wallpapers-16.04__Dragonfly_by_Bolly.jpg", "lomiri-wallpapers-16.04__Wine_by_Jakkub_Mede.jpg"],
        ["lomiri-wallpapers-16.04__aitzgorri_by_Aitzol_Berasategi.jpg", "mate-backgrounds__Dune.jpg"],
        ["lomiri-wallpapers-20.04__Kleiber_by_Lukas_Baubkus.jpg", "mate-backgrounds__FreshFlower.jpg"],
    ]

    @Test("copies match their original, MD5 does not, different clips never match", .needsShared, .needsTool("ffmpeg"))
    func evaluation() throws {
        let ffmpeg = try TestRequirements.requireTool("ffmpeg")
        let corpus = try TestPaths.requireShared().appendingPathComponent("corpus/images")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Each picture for 3 s, a 320x180 window drifting slowly across it (under 3 pixels a second), 10 frames a second.
        let pan = "scale=328:184:force_original_aspect_ratio=increase,crop=328:184,crop=320:180:x='(iw-320)*t/3':y='(ih-180)*t/3',setsar=1,fps=10,format=yuv420p"
        for (n, pair) in Self.pictures.enumerated() {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ffmpeg)
            process.arguments = ["-nostdin", "-v", "error", "-y",
                                 "-loop", "1", "-t", "3", "-i", corpus.appendingPathComponent(pair[0]).path,
                                 "-loop", "1", "-t", "3", "-i", corpus.appendingPathComponent(pair[1]).path,
                                 "-filter_complex", "[0:v]\(pan)[a];[1:v]\(pan)[b];[a][b]concat=n=2:v=1:a=0[v]", "-map", "[v]",
                                 "-c:v", "libx264", "-crf", "20", directory.url.appendingPathComponent("clip-\(n).mp4").path]
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0)
        }
        let before = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).sorted()

        let videos = try VideoRobustnessEvaluator.videos(in: directory.url.path, groupByPrefix: false)
        #expect(videos.map(\.name) == ["clip-0.mp4", "clip-1.mp4", "clip-2.mp4"])
        var options = VideoEvaluationOptions()
        options.transforms = [.reencode, .half, .trim, .mirror]
        options.jobs = 1
        options.details = true
        let report = try VideoRobustnessEvaluator.run(videos: videos, options: options, copier: VideoCopier(ffmpeg: ffmpeg))

        #expect(report.settings.copies == "memory")
        #expect(report.videos.found == 3 && report.videos.evaluated == 3 && report.videos.scenes == 3)
        #expect(report.videos.frames == 18, "six sampled frames per six-second clip")
        for result in report.transforms {
            #expect(result.copies == 3 && result.failures == 0, "\(result.transform)")
            #expect(result.md5Matches == 0, "\(result.transform): a re-encoded copy cannot have the original's MD5")
            if VideoTransform.required.contains(result.transform) {
                #expect(result.vpdqRecallPercent == 100, "\(result.transform): \(result)")
            }
        }
        // Every original and copy against the two other originals: 3 queries x 5 (original + 4 copies) x 2.
        #expect(report.falseMatches.comparisons == 30 && report.falseMatches.originalPairs == 6)
        #expect(report.falseMatches.matches == 0)
        let miss = try #require(report.falseMatches.closestMiss)
        #expect(miss.queryPercent < 80 && miss.query != nil && miss.bank != nil)
        #expect(report.meetsBar)

        // Nothing was written beside the originals (copies go through a pipe into memory).
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).sorted() == before)
    }

    @Test("no ffmpeg, an unknown transform, no videos: specific errors")
    func errors() throws {
        #expect(throws: VideoEvaluationError.self) { try VideoCopier(ffmpeg: "/nonexistent/ffmpeg") }
        do { _ = try VideoCopier(ffmpeg: "/nonexistent/ffmpeg") } catch { #expect(error.code == .ffmpegMissing) }
        do { _ = try VideoTransform.parseList("reencode,blur") } catch {
            #expect(error.code == .unknownTransform && error.message.contains("blur") && error.message.contains("mirror"))
        }
        #expect(try VideoTransform.parseList("all") == VideoTransform.allCases)
        #expect(try VideoTransform.parseList("trim, half,trim") == [.trim, .half])
        do { _ = try VideoRobustnessEvaluator.run(videos: []) } catch { #expect(error.code == .noVideos) }
    }
}
