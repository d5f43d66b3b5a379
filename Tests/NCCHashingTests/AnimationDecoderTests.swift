import Foundation
import NCCHashing
import Testing

/// `AnimationDecoder`: frame 0 is the picture `ImageDecoder` gives; frames come with their delays; damage is typed.
@Suite("animation decoder")
struct AnimationDecoderTests {
    static func frames(_ bytes: [UInt8], limits: AnimationLimits = .init()) throws(ImageDecodingError) -> [(index: Int, timestamp: Double, duration: Double, rgb: [UInt8])] {
        let result: Result<[(index: Int, timestamp: Double, duration: Double, rgb: [UInt8])], ImageDecodingError> = bytes.withUnsafeBytes { raw in
            Result { () throws(ImageDecodingError) in
                let decoder = try AnimationDecoder(bytes: raw, limits: limits)
                var out: [(index: Int, timestamp: Double, duration: Double, rgb: [UInt8])] = []
                while let frame = try decoder.nextFrame({ frame in
                    // RGB of the canvas (alpha dropped), copied for comparison in the test only.
                    var rgb: [UInt8] = []
                    rgb.reserveCapacity(frame.width * frame.height * 3)
                    for i in 0..<(frame.width * frame.height) {
                        rgb += frame.pixels[(i * frame.channels)..<(i * frame.channels + 3)]
                    }
                    return (frame.index, frame.timestamp, frame.duration, rgb)
                }) { out.append(frame) }
                return out
            }
        }
        return try result.get()
    }

    @Test("frame 0 equals the decoded picture, for every animated and still GIF and WebP fixture")
    func firstFrameIsThePicture() throws {
        for file in ["gif/animated.gif", "gif/disposal.gif", "gif/transparent.gif", "gif/offset-frame.gif", "gif/interlaced.gif",
                     "webp/animated.webp", "webp/blended.webp", "webp/alpha-lossless.webp", "webp/lossy.webp", "webp/many-frames.webp"] {
            let bytes = try fixture("images/\(file)")
            let picture = try ImageDecoder.decode(bytes)
            let frames = try Self.frames(bytes)
            let pixels = picture.pixels.withUnsafeBytes { Array($0.prefix(picture.width * picture.height * 3)) }
            #expect(frames.first?.rgb == pixels, "\(file)")
            #expect(frames.first?.index == 0 && frames.first?.timestamp == 0)
        }
    }

    @Test("frames, timestamps and delays")
    func timing() throws {
        let disposal = try Self.frames(try fixture("images/gif/disposal.gif"))
        #expect(disposal.map(\.duration) == [0.12, 0.08, 0.06, 0.2, 0.15, 0.09, 0.3, 0.07])
        #expect(disposal.map(\.index) == Array(0..<8))
        #expect(abs((disposal.last?.timestamp ?? 0) - 1.0) < 1e-9)
        #expect(try Self.frames(try fixture("images/gif/still.gif")).count == 1)
        #expect(try Self.frames(try fixture("images/webp/lossy.webp")).count == 1)
    }

    @Test("animations are told from stills by their structure alone")
    func animatedOrStill() throws {
        for (file, animated) in [("gif/animated.gif", true), ("gif/disposal.gif", true), ("gif/still.gif", false), ("gif/interlaced.gif", false),
                                 ("gif/transparent.gif", false), ("webp/animated.webp", true), ("webp/many-frames.webp", true),
                                 ("webp/lossy.webp", false), ("webp/alpha-lossless.webp", false), ("png/rgb.png", false)] {
            guard let bytes = try? fixture("images/\(file)") else { continue }
            #expect(bytes.withUnsafeBytes { AnimationDecoder.isAnimation($0) } == animated, "\(file)")
            if file.hasSuffix(".png") { continue }
            let decoder = try bytes.withUnsafeBytes { raw in
                Result { () throws(ImageDecodingError) in try AnimationDecoder(bytes: raw) }
            }.get()
            #expect(decoder.isAnimated == animated, "\(file)")
        }
        // Cut inside its second frame's header, a GIF is still seen as holding two images; cut before, one.
        let gif = try fixture("images/gif/disposal.gif")
        #expect(Array(gif.prefix(40)).withUnsafeBytes { AnimationDecoder.isAnimation($0) } == false)
    }

    @Test("the frame limit stops reading with too_many_frames")
    func frameLimit() throws {
        let bytes = try fixture("images/webp/many-frames.webp")
        do throws(ImageDecodingError) {
            _ = try Self.frames(bytes, limits: AnimationLimits(maxFrames: 10))
            Issue.record("no error past the frame limit")
        } catch {
            #expect(error.code == .tooManyFrames)
            #expect(error.message.contains("first frame"))
        }
    }
}
