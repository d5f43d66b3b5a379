import Foundation
import NCCTestSupport
import NCCVideo
import Testing

/// Meta's sample videos and published vPDQ hashes in `../shared/vpdq-vectors` (see its MANIFEST.md).
enum VideoSamples {
    static func folder() throws -> URL {
        try TestPaths.requireShared().appendingPathComponent("vpdq-vectors")
    }

    /// The sample videos' names (without `.mp4`), sorted.
    static func names() throws -> [String] {
        let videos = try folder().appendingPathComponent("videos")
        let names = try FileManager.default.contentsOfDirectory(atPath: videos.path)
            .filter { $0.hasSuffix(".mp4") }.map { String($0.dropLast(4)) }.sorted()
        guard !names.isEmpty else { throw SampleError(description: "no videos in \(videos.path)") }
        return names
    }

    static func videoPath(_ name: String) throws -> String {
        try folder().appendingPathComponent("videos/\(name).mp4").path
    }

    /// The published frames of `name` (every frame, decoded size).
    static func expected(_ name: String) throws -> [VPDQFrame] {
        let text = try String(contentsOf: folder().appendingPathComponent("expected/\(name).txt"), encoding: .utf8)
        return try VPDQTextForm.parse(text)
    }
}

/// A missing sample.
struct SampleError: Error, CustomStringConvertible {
    let description: String
}
