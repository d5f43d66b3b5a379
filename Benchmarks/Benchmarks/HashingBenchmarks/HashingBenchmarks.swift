import Benchmark
import Foundation
import NCCHashing

/// Decode + hash of a JPEG in both modes, and in fast mode with every companion hash a match sends: `Samples/images` holds a 1.4-megapixel photograph;
/// the 12-megapixel one is ThreatExchange's `exif-rotn-1.jpg` (4032x3024) from `../shared`.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .peakMemoryResident, .mallocCountTotal],
        maxDuration: .seconds(5),
        maxIterations: 200
    )

    let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let inputs: [(name: String, path: String)] = [
        ("1MP", root.appendingPathComponent("Samples/images/lomiri-wallpapers-16.04__seeding_by_Clements_Engelhardt.jpg").path),
        ("12MP", root.deletingLastPathComponent()
            .appendingPathComponent("shared/pdq-vectors/pdq/data/reg-test-input/exif-rotn/exif-rotn-1.jpg").path),
    ]
    for input in inputs {
        guard let bytes = FileManager.default.contents(atPath: input.path) else {
            print("note: \(input.path) is not present; skipping the \(input.name) hashing benchmarks")
            continue
        }
        for mode in HashingMode.allCases {
            let options = HashingOptions(mode: mode)
            Benchmark("DecodeAndHash.\(mode.rawValue).\(input.name)") { benchmark in
                for _ in benchmark.scaledIterations {
                    bytes.withUnsafeBytes { raw in
                        blackHole(try? ImageHasher.hashImage(raw, options: options))
                    }
                }
            }
        }
        // What a platform's upload costs with every hash `nccmatch match` sends (unletterboxed,
        // caption-masked, low-passed), beside the plain fast hash above.
        let variants = HashingOptions(mode: .fast, unletterbox: true, captionMask: true, lowPass: true)
        Benchmark("DecodeAndHash.fast-match-variants.\(input.name)") { benchmark in
            for _ in benchmark.scaledIterations {
                bytes.withUnsafeBytes { raw in
                    blackHole(try? ImageHasher.hashImage(raw, options: variants))
                }
            }
        }
    }
}
