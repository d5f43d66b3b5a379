import Foundation
import NCCTestSupport
import Testing

/// `nccmatch hash` on animated GIF and WebP: the first frame's picture hashes and the animation's vPDQ frames in one
/// record; a still has no vpdq; a bomb keeps its picture hashes and says why it has no vpdq.
@Suite("nccmatch hash on animations", .needsCLI)
struct AnimationHashCommandTests {
    static func fixture(_ relative: String) -> String { TestPaths.fixtures.appendingPathComponent(relative).path }

    @Test("an animated GIF and WebP: picture hashes, frame_count, duration and vpdq; a still: none of these")
    func jsonLines() throws {
        let result = try CLIRunner.run(["hash", "--mode", "exact", "--format", "jsonl", "--jobs", "1",
                                        Self.fixture("images/gif/disposal.gif"), Self.fixture("images/webp/blended.webp"),
                                        Self.fixture("images/gif/still.gif")])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let records = try result.jsonLines()
        #expect(records.count == 3)
        let gif = records[0], webp = records[1], still = records[2]
        #expect(gif["format"] as? String == "gif" && webp["format"] as? String == "webp")
        #expect(gif["frame_count"] as? Int == 8 && webp["frame_count"] as? Int == 6)
        #expect((gif["duration"] as? Double).map { abs($0 - 1.07) < 1e-9 } == true)
        let frames = try #require(gif["vpdq"] as? [[String: Any]])
        #expect(frames.map { $0["timestamp"] as? Double } == [0.0, 1.0]) // frames 0 and 7 (on screen at 0 s and 1 s)
        #expect(frames.first?["pdq"] as? String == gif["pdq"] as? String, "frame 0 is the picture")
        // Delays 100, 150, 100, 400, 100, 250 ms: on screen at 1 s is frame 5 (from 0.85 s).
        #expect((webp["vpdq"] as? [[String: Any]])?.map { $0["timestamp"] as? Double } == [0.0, 0.85])
        #expect(still["vpdq"] == nil && still["frame_count"] == nil && still["pdq"] != nil)
    }

    @Test("--format vpdq writes an animation's frames in Meta's text form")
    func textForm() throws {
        let result = try CLIRunner.run(["hash", "--format", "vpdq", "--seconds-per-hash", "0", Self.fixture("images/gif/disposal.gif")])
        #expect(result.status == 0)
        #expect(result.lines.count == 8)
        #expect(result.lines.map { $0.split(separator: ",").first.map(String.init) } == (0..<8).map { String($0) })
    }

    @Test("a GIF bomb keeps its picture hashes and gets a typed vpdq_error")
    func bomb() throws {
        // A 6100x6100 screen (over the 36-megapixel video canvas limit), a small first frame, then 2,000 frames of 1x1.
        var bytes = Array("GIF89a".utf8) + [0xD4, 0x17, 0xD4, 0x17, 0, 0, 0]
        let frame: [UInt8] = [0x21, 0xF9, 4, 0, 1, 0, 0, 0, 0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0x80, 255, 0, 0, 0, 0, 255, 2, 2, 0x44, 0x01, 0]
        for _ in 0..<2000 { bytes += frame }
        bytes.append(0x3B)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ncc-anim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("bomb.gif")
        try Data(bytes).write(to: path)
        let result = try CLIRunner.run(["hash", "--format", "jsonl", path.path])
        let record = try #require(try result.jsonLines().first)
        #expect(record["pdq"] != nil, "the first frame is still hashed as a picture")
        #expect((record["vpdq_error"] as? [String: Any])?["code"] as? String == "too_many_pixels")
        #expect(record["vpdq"] == nil)
    }
}
