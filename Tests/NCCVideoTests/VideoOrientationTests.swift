import Foundation
import NCCTestSupport
import NCCVideo
import Testing

/// Display matrices, mirrored ones included (a phone's front camera), are applied as a player shows the video: the
/// luma handed out equals, byte for byte, that of the same frames stored already turned (losslessly encoded).
@Suite("video display matrix")
struct VideoOrientationTests {
    /// A 16.16 display matrix's a, b, c, d; the FFmpeg filter that stores the same picture upright; what the stream
    /// info must say.
    static let cases: [(name: String, matrix: (Int32, Int32, Int32, Int32), filter: String, rotation: Int, mirrored: Bool)] = [
        ("mirrored left to right", (-1, 0, 0, 1), "hflip", 0, true),
        ("mirrored top to bottom", (1, 0, 0, -1), "vflip", 180, true),
        ("transposed (mirror, then a quarter turn)", (0, 1, 1, 0), "transpose=cclock_flip", 270, true),
        ("anti-transposed", (0, -1, -1, 0), "transpose=clock_flip", 90, true),
        ("turned 180 degrees", (-1, 0, 0, -1), "hflip,vflip", 180, false),
        ("turned 90 degrees clockwise", (0, 1, -1, 0), "transpose=clock", 90, false),
    ]

    static func lumaFrames(_ decoder: VideoDecoder) throws -> [[UInt8]] {
        var frames: [[UInt8]] = []
        while let frame = try decoder.nextFrame({ f -> [UInt8] in
            (0..<f.height).flatMap { y in Array(f.luma[(y * f.stride)..<(y * f.stride + f.width)]) } + [UInt8(f.width >> 8), UInt8(f.width & 255)]
        }) { frames.append(frame) }
        return frames
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    @Test("rotations and mirrors of the display matrix", .needsTool("ffmpeg"))
    func displayMatrices() throws {
        let ffmpeg = try TestRequirements.requireTool("ffmpeg")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        func run(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ffmpeg)
            process.arguments = ["-nostdin", "-v", "error", "-y"] + arguments
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "ffmpeg \(arguments)")
        }
        // Lossless H.264 (x264 -qp 0), so the luma of differently stored copies is comparable byte for byte.
        let source = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=5:duration=1"]
        let encode = ["-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p"]
        let stored = directory.url.appendingPathComponent("stored.mp4").path
        try run(source + encode + [stored])
        let storedBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: stored)))
        let tkhd = try #require(Self.find(Array("tkhd".utf8), in: storedBytes))
        let everyFrame = VideoDecodingOptions(secondsPerSample: 0)
        let plain = try Self.lumaFrames(VideoDecoder(bytes: storedBytes, options: everyFrame))
        try #require(plain.count == 5)

        for c in Self.cases {
            let upright = directory.url.appendingPathComponent("upright.mp4").path
            try run(source + ["-vf", c.filter] + encode + [upright])
            let expected = try Self.lumaFrames(VideoDecoder(path: upright, options: everyFrame))
            // The stored (unturned) frames with the case's matrix written into the track header (version 0: the 3x3
            // matrix starts 44 bytes after the box type; u, v, w, x, y as a player ignores them here).
            var bytes = storedBytes
            let (a, b, cc, d) = c.matrix
            let matrix: [Int32] = [a << 16, b << 16, 0, cc << 16, d << 16, 0, 0, 0, 0x4000_0000]
            for (i, value) in matrix.enumerated() {
                for k in 0..<4 { bytes[tkhd + 44 + i * 4 + k] = UInt8(truncatingIfNeeded: UInt32(bitPattern: value) >> (24 - 8 * UInt32(k))) }
            }
            let decoder = try VideoDecoder(bytes: bytes, options: everyFrame)
            #expect(decoder.info.rotation == c.rotation, "\(c.name): rotation \(decoder.info.rotation)")
            #expect(decoder.info.mirrored == c.mirrored, "\(c.name): mirrored \(decoder.info.mirrored)")
            let turned = try Self.lumaFrames(decoder)
            #expect(turned.count == expected.count, "\(c.name)")
            #expect(turned == expected, "\(c.name): the luma differs from the upright copy's")
            #expect(turned != plain, "\(c.name): the matrix was not applied")
        }
    }
}
