/// Why the video robustness evaluation could not run or could not make a copy.
public struct VideoEvaluationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable codes.
    public enum Code: String, Sendable, Hashable, Codable {
        /// A transform name that is not known.
        case unknownTransform = "unknown_transform"
        /// The `ffmpeg` program, which makes the copies, was not found.
        case ffmpegMissing = "ffmpeg_missing"
        /// FFmpeg failed to make a copy (its own message is the underlying cause).
        case copyFailed = "copy_failed"
        /// A copy grew past the in-memory limit.
        case copyTooLarge = "copy_too_large"
        /// The folder holds no video that could be hashed.
        case noVideos = "no_videos"
    }

    /// What went wrong, as a stable code.
    public let code: Code
    /// A plain sentence saying what happened and what to do.
    public let message: String
    /// The cause in technical terms (FFmpeg's own message), or nil.
    public let underlying: String?

    /// Makes an error.
    public init(code: Code, message: String, underlying: String? = nil) {
        self.code = code
        self.message = message
        self.underlying = (underlying?.isEmpty ?? true) ? nil : underlying
    }

    /// `code: message` plus the underlying cause in parentheses when there is one.
    public var description: String {
        if let underlying { return "\(code.rawValue): \(message) (\(underlying))" }
        return "\(code.rawValue): \(message)"
    }
}
