import Foundation
import NCCHashing

/// Meta's text form of a vPDQ hash, as its `vpdq` tools write and read it: one line per frame,
/// `frame_number,quality,pdq_hex,timestamp_seconds` with the timestamp to three decimals.
public enum VPDQTextForm {
    /// A line that does not parse, with its 1-based line number.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// 1-based line number.
        public let line: Int
        /// What is wrong with it.
        public let reason: String
        /// `line N: reason`.
        public var description: String { "line \(line): \(reason)" }
    }

    /// One frame's line (no newline).
    public static func line(_ frame: VPDQFrame) -> String {
        "\(frame.frameNumber),\(frame.quality),\(frame.pdq.hex),\(String(format: "%.3f", frame.timestamp))"
    }

    /// Every frame's line, each ending in a newline.
    public static func render(_ frames: [VPDQFrame]) -> String {
        frames.map { line($0) + "\n" }.joined()
    }

    /// Parses the text form; empty lines are skipped.
    ///
    /// - Throws: `ParseError` naming the first line that is not `int,0...100,64 hex digits,non-negative number`.
    public static func parse(_ text: String) throws(ParseError) -> [VPDQFrame] {
        var frames: [VPDQFrame] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let parts = line.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 4 else { throw ParseError(line: index + 1, reason: "expected 4 comma-separated fields, found \(parts.count)") }
            guard let number = Int(parts[0]), number >= 0 else { throw ParseError(line: index + 1, reason: "the frame number is not a non-negative integer") }
            guard let quality = Int(parts[1]), (0...100).contains(quality) else { throw ParseError(line: index + 1, reason: "the quality is not an integer 0...100") }
            guard let pdq = try? PDQHash(hex: parts[2]) else { throw ParseError(line: index + 1, reason: "the PDQ hash is not 64 hex digits") }
            guard let timestamp = Double(parts[3]), timestamp.isFinite, timestamp >= 0 else { throw ParseError(line: index + 1, reason: "the timestamp is not a non-negative number") }
            frames.append(VPDQFrame(frameNumber: number, pdq: pdq, quality: quality, timestamp: timestamp))
        }
        return frames
    }
}
