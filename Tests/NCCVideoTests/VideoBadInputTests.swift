import Foundation
import NCCTestSupport
import NCCVideo
import Testing

/// Damaged, hostile and wrong input: each gets a specific `VideoError`, never a crash.
@Suite("video bad input")
struct VideoBadInputTests {
    static func code(_ body: () throws(VideoError) -> Void) -> VideoError.Code? {
        do { try body() } catch { return error.code }
        return nil
    }

    @Test("container detection from the first bytes")
    func detection() {
        func bytes(_ s: String, pad: Int = 32) -> [UInt8] { Array(s.utf8) + [UInt8](repeating: 0, count: pad) }
        #expect(VideoContainer.detect([0, 0, 0, 0x18] + bytes("ftypisom\0\0\0\0isomavc1")) == .isoMedia)
        #expect(VideoContainer.detect([0, 0, 0, 0x14] + bytes("ftypqt  \0\0\0\0qt  ")) == .isoMedia)
        #expect(VideoContainer.detect([0, 0, 0, 0x14] + bytes("ftyp3gp4\0\0\0\03gp4")) == .isoMedia)
        #expect(VideoContainer.detect([0, 0, 0, 0x14] + bytes("ftypheic\0\0\0\0mif1")) == nil, "a HEIC picture is not a video")
        #expect(VideoContainer.detect([0x1A, 0x45, 0xDF, 0xA3] + bytes("")) == .matroska)
        #expect(VideoContainer.detect(bytes("RIFF\0\0\0\0AVI LIST")) == .avi)
        #expect(VideoContainer.detect(bytes("RIFF\0\0\0\0WEBPVP8 ")) == nil)
        #expect(VideoContainer.detect([0, 0, 0x10, 0] + bytes("moov")) == .isoMedia)
        #expect(VideoContainer.detect([0xFF, 0xD8, 0xFF, 0xE0] + bytes("")) == nil)
        #expect(VideoContainer.detect(bytes("hello, this is text")) == nil)
        #expect(VideoContainer.detect([]) == nil)
    }

    @Test("not a video, empty, a folder, bad options")
    func notAVideo() throws {
        #expect(Self.code { () throws(VideoError) in _ = try VPDQHasher.hash(bytes: Array("plain text, not a video".utf8)) } == .notAVideo)
        #expect(Self.code { () throws(VideoError) in _ = try VPDQHasher.hash(bytes: [UInt8]()) } == .notAVideo)
        #expect(Self.code { () throws(VideoError) in _ = try VPDQHasher.hash(bytes: [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]) } == .notAVideo)
        // Claims to be an MP4 (ftyp) and is nothing more.
        let fake = [0, 0, 0, 0x18] + Array("ftypisom\0\0\0\0isomavc1".utf8) + [UInt8](repeating: 0x41, count: 4000)
        #expect(Self.code { () throws(VideoError) in _ = try VPDQHasher.hash(bytes: fake) } == .corruptContainer)
        #expect(Self.code { () throws(VideoError) in _ = try VPDQHasher.hash(path: "/") } == .unreadable)
        #expect(Self.code { () throws(VideoError) in _ = try VPDQHasher.hash(path: "/nonexistent/video.mp4") } == .unreadable)
        #expect(Self.code { () throws(VideoError) in _ = try VPDQHasher.hash(bytes: fake, options: VideoDecodingOptions(secondsPerSample: -1)) } == .invalidOptions)
    }

    @Test("truncated, absurd dimensions, too long", .needsShared)
    func damagedSamples() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: VideoSamples.videoPath("pattern-sd-grey-bar"))))
        let full = try VPDQHasher.hash(bytes: bytes)
        #expect(full.frames.count == 7)

        // Cut at several points: either the frames before the cut, or a specific error.
        for fraction in [0.01, 0.1, 0.5, 0.9, 0.99] {
            let cut = Array(bytes.prefix(Int(Double(bytes.count) * fraction)))
            switch Self.outcome(cut) {
            case .success(let partial):
                #expect(partial.frames.count <= full.frames.count)
                #expect(zip(partial.frames, full.frames).allSatisfy { $0.frameNumber == $1.frameNumber })
            case .failure(let error):
                #expect([.corruptContainer, .corruptStream].contains(error.code), "cut at \(fraction): \(error)")
            }
        }

        // The sample description says 65535 x 65535: refused from the header, before a frame buffer exists.
        var huge = bytes
        // The sample entry, not the "avc1" brand in the ftyp box: the one whose avcC box type follows 86 bytes on.
        let avc1 = try #require(Self.findAll(Array("avc1".utf8), in: huge).first { $0 + 90 <= huge.count && Self.find(Array("avcC".utf8), in: Array(huge[($0 + 86)..<($0 + 90)])) == 0 })
        for offset in [avc1 + 28, avc1 + 29, avc1 + 30, avc1 + 31] { huge[offset] = 0xFF }
        #expect(Self.code { () throws(VideoError) in _ = try VPDQHasher.hash(bytes: huge) } == .tooLarge)
        // Within the default limits but over a lower one.
        #expect(Self.code { () throws(VideoError) in _ = try VPDQHasher.hash(bytes: bytes, options: VideoDecodingOptions(maxDimension: 256)) } == .tooLarge)

        #expect(Self.code { () throws(VideoError) in _ = try VPDQHasher.hash(bytes: bytes, options: VideoDecodingOptions(maxDurationSeconds: 3)) } == .tooLong)
        #expect(Self.code { () throws(VideoError) in _ = try VPDQHasher.hash(bytes: bytes, options: VideoDecodingOptions(maxFrames: 50)) } == .tooLong)
    }

    static func outcome(_ bytes: [UInt8]) -> Result<VPDQVideoHash, VideoError> {
        do throws(VideoError) { return .success(try VPDQHasher.hash(bytes: bytes)) } catch { return .failure(error) }
    }

    static func findAll(_ needle: [UInt8], in haystack: [UInt8]) -> [Int] {
        guard haystack.count >= needle.count else { return [] }
        return (0...(haystack.count - needle.count)).filter { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    @Test("a file with sound only; rotation applied", .needsTool("ffmpeg"))
    func generated() throws {
        let ffmpeg = try TestRequirements.requireTool("ffmpeg")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        func run(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ffmpeg)
            process.arguments = ["-v", "error", "-y"] + arguments
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "ffmpeg \(arguments)")
        }
        let audio = directory.url.appendingPathComponent("sound.m4a").path
        try run(["-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", "-f", "mp4", audio])
        #expect(Self.code { () throws(VideoError) in _ = try VPDQHasher.hash(path: audio) } == .noVideoStream)

        // The same frames stored upright, and stored sideways with a display matrix saying "turn 90 degrees clockwise"
        // (written into the track header here, as phones do), hash alike.
        let source = "testsrc2=size=320x240:rate=10:duration=2"
        let upright = directory.url.appendingPathComponent("upright.mp4").path
        let sideways = directory.url.appendingPathComponent("sideways.mp4").path
        try run(["-f", "lavfi", "-i", source, "-vf", "transpose=clock", "-c:v", "libx264", "-pix_fmt", "yuv420p", upright])
        try run(["-f", "lavfi", "-i", source, "-c:v", "libx264", "-pix_fmt", "yuv420p", sideways])
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: sideways)))
        let tkhd = try #require(Self.find(Array("tkhd".utf8), in: bytes))
        // tkhd (version 0): the 3x3 matrix starts 44 bytes after the box type; a = 0, b = 1, c = -1, d = 0 in 16.16.
        let matrix: [UInt32] = [0, 0x10000, 0, 0xFFFF_0000, 0, 0, 240 << 16, 0, 0x4000_0000]
        for (i, value) in matrix.enumerated() {
            for k in 0..<4 { bytes[tkhd + 44 + i * 4 + k] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(k))) }
        }
        let a = try VPDQHasher.hash(path: upright), b = try VPDQHasher.hash(bytes: bytes)
        #expect(b.info.rotation == 90)
        #expect(b.info.width == 240 && b.info.height == 320)
        #expect(a.frames.count == b.frames.count && a.frames.count == 2)
        for (x, y) in zip(a.frames, b.frames) { #expect(x.pdq.distance(to: y.pdq) <= 16, "\(x.pdq.distance(to: y.pdq)) bits apart") }
    }
}
