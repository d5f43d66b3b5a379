import Foundation
import NCCTestSupport
import NCCVideo
import Testing

/// How far hashing a smaller luma plane (`VideoDecodingOptions.maxHashedSide`) moves vPDQ from the decoded size:
/// the figures behind the default (decoded size) in docs/video.md. Smaller planes move hashes too far for the
/// conformance bar, so they are an option, not the default.
@Suite("vPDQ of downscaled luma")
struct VPDQDownscaleTests {
    @Test("luma scaled to 512 pixels keeps the frames and a median within 10 bits", .needsShared)
    func downscaledStaysClose() throws {
        // One clip of each scene (the suite runs beside the others; the whole set's figures, at 512, 256 and
        // 128 px, are in docs/video.md).
        for side in [512] {
            var distances: [Int] = []
            for name in ["chair-orig-22-sd-bar", "doorknob-hd-no-bar", "pattern-hd-no-bar", "test-padded-dimensions"] {
                let path = try VideoSamples.videoPath(name)
                let full = try VPDQHasher.hash(path: path).frames
                let small = try VPDQHasher.hash(path: path, options: VideoDecodingOptions(maxHashedSide: side)).frames
                #expect(full.count == small.count, "\(name)")
                distances += zip(full, small).map { $0.pdq.distance(to: $1.pdq) }
            }
            distances.sort()
            let within10 = Double(distances.filter { $0 <= 10 }.count) / Double(max(distances.count, 1))
            print("vPDQ luma at most \(side) px: \(distances.count) frames, median \(distances[distances.count / 2]) bits, 90th percentile \(distances[distances.count * 9 / 10]), identical \(distances.filter { $0 == 0 }.count), within 10 bits \(String(format: "%.1f", within10 * 100))%")
            if side == 512 { #expect(distances[distances.count / 2] <= 10) }
        }
    }
}
