import Foundation
import NCCHashing
import NCCTestSupport
import NCCVideo
import Testing

/// Animated GIF and WebP hashed as videos, against Pillow + pdqhash and Meta's vpdq (the values in
/// Tests/Fixtures/animation-expected.jsonl, made by Scripts/reference/make_animation_expected.py).
@Suite("animated GIF and WebP as videos")
struct AnimationVPDQTests {
    struct Expected: Decodable {
        struct Frame: Decodable {
            var pdq: String
            var quality: Int
            var timestamp_ms: Int
            var duration_ms: Int
        }
        var file: String
        var frames: [Frame]
        var vpdq_every_frame: [[VPDQValue]]?
    }

    /// One cell of vpdq's `[frame, quality, hex, timestamp]` rows.
    enum VPDQValue: Decodable {
        case number(Double), text(String)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .text(try c.decode(String.self)) }
        }
        var text: String? { if case .text(let s) = self { s } else { nil } }
    }

    static func expected() throws -> [Expected] {
        let text = try String(contentsOf: TestPaths.fixtures.appendingPathComponent("animation-expected.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Expected.self, from: Data($0.utf8)) }
    }

    static func bytes(_ relative: String) throws -> [UInt8] {
        try [UInt8](Data(contentsOf: TestPaths.fixtures.appendingPathComponent(relative)))
    }

    static func hash(_ bytes: [UInt8], seconds: Double, limits: AnimationLimits = .init()) throws(ImageDecodingError) -> AnimationVPDQHash {
        let result: Result<AnimationVPDQHash, ImageDecodingError> = bytes.withUnsafeBytes { raw in
            Result { () throws(ImageDecodingError) in try VPDQHasher.hashAnimation(bytes: raw, secondsPerSample: seconds, limits: limits) }
        }
        return try result.get()
    }

    static func code(_ body: () throws(ImageDecodingError) -> Void) -> ImageDecodingError.Code? {
        do { try body() } catch { return error.code }
        return nil
    }

    @Test("every frame equals Pillow's frame through pdqhash; timestamps are the summed delays")
    func everyFrameAgainstPillow() throws {
        let all = try Self.expected()
        #expect(all.count == 5)
        for animation in all {
            let hash = try Self.hash(try Self.bytes(animation.file), seconds: 0)
            #expect(hash.frames.count == animation.frames.count, "\(animation.file)")
            #expect(hash.frameCount == animation.frames.count)
            for (ours, theirs) in zip(hash.frames, animation.frames) {
                #expect(ours.pdq.hex == theirs.pdq, "\(animation.file) frame \(ours.frameNumber)")
                #expect(ours.quality == theirs.quality)
                #expect(abs(ours.timestamp * 1000 - Double(theirs.timestamp_ms)) < 0.5)
            }
            let total = animation.frames.reduce(0) { $0 + $1.duration_ms }
            #expect(abs(hash.durationSeconds * 1000 - Double(total)) < 0.5)
        }
    }

    @Test("GIF frames agree with Meta's vpdq package (FFmpeg's GIF decoder) frame by frame")
    func gifAgainstVPDQ() throws {
        for animation in try Self.expected() {
            guard let reference = animation.vpdq_every_frame else { continue }
            let hash = try Self.hash(try Self.bytes(animation.file), seconds: 0)
            #expect(hash.frames.count == reference.count, "\(animation.file)")
            for (ours, row) in zip(hash.frames, reference) {
                let theirs = try PDQHash(hex: row[2].text ?? "")
                #expect(ours.pdq.distance(to: theirs) <= 6, "\(animation.file) frame \(ours.frameNumber)")
            }
        }
    }

    @Test("frame 0 is the picture: its PDQ equals the exact picture PDQ")
    func firstFrameIsThePicture() throws {
        for file in ["images/gif/disposal.gif", "images/webp/blended.webp", "images/gif/transparent.gif", "images/gif/offset-frame.gif"] {
            let bytes = try Self.bytes(file)
            let picture = try ImageDecoder.decode(bytes)
            let hash = try Self.hash(bytes, seconds: 1)
            #expect(hash.frames.first?.pdq == PDQHasher.hash(picture, dihedral: false).hash, "\(file)")
            #expect(hash.width == picture.width && hash.height == picture.height)
        }
    }

    @Test("sampling: the frame on screen at each multiple of the interval, never one frame twice")
    func sampling() throws {
        // 1,000 frames of 20 ms: one a second is frames 0, 50, 100, ... 950.
        let many = try Self.hash(try Self.bytes("images/webp/many-frames.webp"), seconds: 1)
        #expect(many.frames.map(\.frameNumber) == Array(stride(from: 0, to: 1000, by: 50)))
        #expect(many.frames.map(\.timestamp) == (0..<20).map(Double.init))
        // Uneven delays 120, 80, 60, 200, 150, 90, 300, 70 ms: at 0.25 s the frames on screen at 0, 0.25, 0.5, 0.75, 1.0.
        let uneven = try Self.hash(try Self.bytes("images/gif/disposal.gif"), seconds: 0.25)
        #expect(uneven.frames.map(\.frameNumber) == [0, 2, 4, 6, 7])
        // A held frame is sampled once: at 0.05 s, every frame is on screen at some multiple.
        let fine = try Self.hash(try Self.bytes("images/gif/disposal.gif"), seconds: 0.05)
        #expect(fine.frames.map(\.frameNumber) == Array(0..<8))
    }

    @Test("limits: frames, pixels over all frames, canvas; each a typed error")
    func limits() throws {
        let many = try Self.bytes("images/webp/many-frames.webp")
        #expect(Self.code { () throws(ImageDecodingError) in _ = try Self.hash(many, seconds: 1, limits: AnimationLimits(maxFrames: 999)) } == .tooManyFrames)
        #expect((try? Self.hash(many, seconds: 1, limits: AnimationLimits(maxFrames: 1000)))?.frameCount == 1000)
        // 64x48 canvas: each frame costs its rectangle plus the canvas.
        #expect(Self.code { () throws(ImageDecodingError) in _ = try Self.hash(many, seconds: 1, limits: AnimationLimits(maxTotalPixels: 64 * 48 * 100)) } == .tooManyFrames)
        #expect(Self.code { () throws(ImageDecodingError) in _ = try Self.hash(many, seconds: 1, limits: AnimationLimits(maxCanvasPixels: 64 * 48 - 1)) } == .tooManyPixels)
        let gif = try Self.bytes("images/gif/disposal.gif")
        #expect(Self.code { () throws(ImageDecodingError) in _ = try Self.hash(gif, seconds: 1, limits: AnimationLimits(maxCanvasPixels: 1000)) } == .tooManyPixels)
        #expect(Self.code { () throws(ImageDecodingError) in _ = try Self.hash(Array("not an animation".utf8), seconds: 1) } == .unsupportedFormat)
    }

    /// A GIF of `frames` 1x1 frames (index 0 of a two-colour table, 10 ms each) on a `width` x `height` screen.
    static func bomb(width: Int, height: Int, frames: Int) -> [UInt8] {
        var out = Array("GIF89a".utf8)
        out += [UInt8(width & 0xff), UInt8(width >> 8), UInt8(height & 0xff), UInt8(height >> 8), 0, 0, 0]
        for _ in 0..<frames {
            out += [0x21, 0xF9, 4, 0, 1, 0, 0, 0]                     // graphic control: 10 ms
            out += [0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0x80, 255, 0, 0, 0, 0, 255] // 1x1 at (0, 0), local table of 2
            out += [2, 2, 0x44, 0x01, 0]                              // LZW: clear, 0, end
        }
        out.append(0x3B)
        return out
    }

    @Test("GIF bombs: a huge screen is refused before any canvas; many frames on a large one stop at the pixel budget")
    func gifBombs() throws {
        let clock = ContinuousClock()
        let huge = Self.bomb(width: 60000, height: 60000, frames: 20000)
        let start = clock.now
        #expect(Self.code { () throws(ImageDecodingError) in _ = try Self.hash(huge, seconds: 1) } == .tooManyPixels)
        // 3000x3000 with 20,000 frames: the total-pixel budget (here 1/40 of the default) stops it after 11 frames.
        let large = Self.bomb(width: 3000, height: 3000, frames: 20000)
        #expect(Self.code { () throws(ImageDecodingError) in
            _ = try Self.hash(large, seconds: 1, limits: AnimationLimits(maxTotalPixels: 100_000_000))
        } == .tooManyFrames)
        #expect(clock.now - start < .seconds(60))
        // Within the limits, every one of many tiny frames is read.
        let fine = try Self.hash(Self.bomb(width: 40, height: 40, frames: 3000), seconds: 1)
        #expect(fine.frameCount == 3000)
        #expect(fine.frames.count == 300) // 10 ms delays count as 100 ms, as browsers show them: 300 s
    }

    @Test("truncated and damaged animations give typed errors, never a crash")
    func damaged() throws {
        for file in ["images/gif/disposal.gif", "images/webp/blended.webp"] {
            let bytes = try Self.bytes(file)
            for cut in stride(from: 20, to: bytes.count, by: max(1, bytes.count / 37)) {
                let code = Self.code { () throws(ImageDecodingError) in _ = try Self.hash(Array(bytes.prefix(cut)), seconds: 0) }
                #expect(code == .truncated || code == .corruptData || code == .invalidDimensions, "\(file) cut at \(cut): \(String(describing: code))")
            }
            var flipped = bytes
            var state: UInt64 = 0x9E3779B97F4A7C15
            for _ in 0..<200 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let index = Int(state >> 33) % flipped.count
                flipped[index] ^= UInt8(truncatingIfNeeded: state >> 20) | 1
                _ = Self.code { () throws(ImageDecodingError) in _ = try Self.hash(flipped, seconds: 0) }
            }
        }
    }
}
