import Foundation
import NCCTestSupport
import NCCVideo
import Testing

/// vPDQ against the hashes Meta published for its sample videos.
///
/// Every frame of every sample is decoded, numbered and timed as published. Hashing every one of the 5,872
/// frames takes half an hour in a debug build, so the suite hashes every frame of the two hardest clips (the
/// doorknob's flat frames, the padded dimensions) and one frame a second of the others, each compared with the
/// published hash of the frame at the same time. The whole-corpus figure (every frame, release build, and the
/// `vpdq` 0.2.5 package beside it) is `Scripts/reference/vpdq_conformance.py`'s, reported in docs/video.md.
@Suite("vPDQ conformance with Meta's published hashes")
struct VPDQConformanceTests {
    /// Clips hashed at every frame here; the others at one frame a second.
    static let everyFrame = ["doorknob-hd-no-bar", "test-padded-dimensions"]

    @Test("every frame of every sample video is decoded, numbered and timed as published", .needsShared)
    func everyFrameIsDecodedAsPublished() throws {
        for name in try VideoSamples.names() {
            let expected = try VideoSamples.expected(name)
            let decoder = try VideoDecoder(path: VideoSamples.videoPath(name), options: VideoDecodingOptions(secondsPerSample: 0))
            var decoded: [(index: Int, timestamp: Double)] = []
            while let frame = try decoder.nextFrame({ ($0.frameIndex, $0.timestamp) }) { decoded.append(frame) }
            #expect(decoded.count == expected.count, "\(name): \(decoded.count) frames, published \(expected.count)")
            #expect(decoder.corruptPackets == 0, "\(name)")
            for (ours, theirs) in zip(decoded, expected) {
                #expect(ours.index == theirs.frameNumber, "\(name) frame \(theirs.frameNumber)")
                #expect(abs(ours.timestamp - theirs.timestamp) <= 0.002, "\(name) frame \(theirs.frameNumber): \(ours.timestamp) vs \(theirs.timestamp)")
            }
        }
    }

    @Test("hashes within 10 bits of the published ones: 99% of frames, the doorknob clip at least as the vpdq package", .needsShared)
    func hashesMatchPublished() throws {
        var total = 0, within10 = 0, identical = 0
        var report: [String] = []
        for name in try VideoSamples.names() {
            let expected = try VideoSamples.expected(name)
            let seconds = Self.everyFrame.contains(name) ? 0.0 : 1.0
            let hashed = try VPDQHasher.hash(path: VideoSamples.videoPath(name), options: VideoDecodingOptions(secondsPerSample: seconds))
            var videoWithin = 0
            for ours in hashed.frames {
                let published = try #require(expected.min { abs($0.timestamp - ours.timestamp) < abs($1.timestamp - ours.timestamp) })
                #expect(abs(published.timestamp - ours.timestamp) <= 0.002, "\(name): no published frame at \(ours.timestamp) s")
                let distance = ours.pdq.distance(to: published.pdq)
                if distance <= 10 { videoWithin += 1 }
                if distance == 0 { identical += 1 }
            }
            report.append("\(name): \(videoWithin)/\(hashed.frames.count) within 10 bits")
            if name == "doorknob-hd-no-bar" {
                // Meta's own package, built on this machine's FFmpeg, gets 74 of these 120 frames within 10 bits.
                #expect(hashed.frames.count == 120 && videoWithin >= 74, "doorknob: \(videoWithin)/\(hashed.frames.count)")
            } else {
                total += hashed.frames.count
                within10 += videoWithin
            }
        }
        print("vPDQ conformance (hashed frames): \(within10)/\(total) within 10 bits outside the doorknob clip, \(identical) identical in all")
        for line in report { print("  " + line) }
        #expect(total > 0)
        #expect(Double(within10) >= 0.99 * Double(total), "only \(within10) of \(total) frames within 10 bits")
    }
}
