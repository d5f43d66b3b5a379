/// Why a video could not be hashed: a stable code, a message saying what to do, and the cause when there is one.
public struct VideoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable error codes. Their `rawValue`s are a public contract (`error.code` in `nccmatch hash --format jsonl`).
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// The file could not be opened or read.
        case unreadable = "video_unreadable"
        /// The first bytes are not a video container nccmatch reads.
        case notAVideo = "not_a_video"
        /// The container's structure is damaged or cut short, so its streams cannot be found.
        case corruptContainer = "video_corrupt_container"
        /// The file holds no video stream (only sound, or subtitles).
        case noVideoStream = "no_video_stream"
        /// The video is compressed with a codec nccmatch cannot decode.
        case unsupportedCodec = "unsupported_video_codec"
        /// The frame size is impossible or over the limit.
        case tooLarge = "video_too_large"
        /// The video runs longer (or holds more frames) than the limit.
        case tooLong = "video_too_long"
        /// No frame of the video could be decoded.
        case corruptStream = "video_corrupt_stream"
        /// Memory ran out.
        case outOfMemory = "out_of_memory"
        /// The options are out of range (for example a negative sampling interval).
        case invalidOptions = "invalid_video_options"
    }

    /// What went wrong, as a stable code.
    public let code: Code
    /// A plain sentence saying what happened and how to fix it.
    public let message: String
    /// The cause in technical terms (never file contents), or nil.
    public let underlying: String?

    /// Makes an error; `message` defaults to the standard wording for `code`.
    public init(code: Code, message: String? = nil, underlying: String? = nil) {
        self.code = code
        self.message = message ?? Self.standardMessage(for: code)
        self.underlying = (underlying?.isEmpty ?? true) ? nil : underlying
    }

    /// `code: message` plus the underlying cause in parentheses when there is one.
    public var description: String {
        if let underlying { return "\(code.rawValue): \(message) (\(underlying))" }
        return "\(code.rawValue): \(message)"
    }

    /// The standard wording for each code.
    public static func standardMessage(for code: Code) -> String {
        switch code {
        case .unreadable:
            return "The video file could not be read. Check that it exists and that you may read it, then try again."
        case .notAVideo:
            return "This file is not a video nccmatch can read. nccmatch reads MP4, MOV, M4V, 3GP, WebM, MKV and AVI videos."
        case .corruptContainer:
            return "The video file is damaged or incomplete, so its contents cannot be found. It may not have finished copying; try another copy."
        case .noVideoStream:
            return "This file holds no picture track (it may be sound only), so there is nothing to hash as video."
        case .unsupportedCodec:
            return "This video is compressed in a way nccmatch cannot decode. Convert it to H.264 MP4 (for example with a video editor) and hash that."
        case .tooLarge:
            return "The video's frame size is impossible or larger than nccmatch accepts. Save a smaller copy (for example 1920x1080) and hash that."
        case .tooLong:
            return "The video is longer than nccmatch hashes in one go. Cut it into shorter parts (or raise the duration limit) and hash each."
        case .corruptStream:
            return "No picture in this video could be decoded: the video data is damaged. Try another copy of the file."
        case .outOfMemory:
            return "There was not enough memory to decode this video. Close other programs and try again."
        case .invalidOptions:
            return "The video hashing options are out of range: the sampling interval must be 0 or more seconds and every limit positive."
        }
    }
}
