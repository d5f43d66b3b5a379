import NCCHashing

/// The container formats nccmatch decodes video from, detected from a file's first bytes (never its name).
public enum VideoContainer: String, Sendable, Hashable, Codable, CaseIterable {
    /// ISO base media files: MP4, M4V, MOV (QuickTime) and 3GP/3G2.
    case isoMedia = "mp4"
    /// Matroska and WebM (EBML).
    case matroska = "mkv"
    /// AVI (RIFF).
    case avi = "avi"

    /// The FFmpeg demuxer that reads this container; decoding never lets FFmpeg guess the format itself.
    var demuxerName: String {
        switch self {
        case .isoMedia: return "mov"
        case .matroska: return "matroska"
        case .avi: return "avi"
        }
    }

    /// How many leading bytes `detect(_:)` needs to recognise every container it knows.
    public static let detectionPrefixLength = 64

    /// The container the first bytes of a file say it is, or nil when they are not a video nccmatch reads.
    ///
    /// Asks NCCHashing's picture detection first, so a HEIC or AVIF still picture (also an ISO base media file) is
    /// never taken for a video; then recognises QuickTime files that begin with a box other than `ftyp`.
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> VideoContainer? {
        switch ImageDecoder.detectFormat(bytes) {
        case .unsupported(name: "MP4 video"), .unsupported(name: "MOV video"), .unsupported(name: "3GP video"):
            return .isoMedia
        case .unsupported(name: "WebM/MKV video"):
            return .matroska
        case .unsupported(name: "AVI video"):
            return .avi
        case .unsupported:
            // Old QuickTime files start with a moov, mdat, wide, free or skip box instead of ftyp.
            guard bytes.count >= 8 else { return nil }
            let size = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
            let type = String(decoding: bytes[4..<8], as: UTF8.self)
            return ["moov", "mdat", "wide", "free", "skip"].contains(type) && (size == 1 || size >= 8) ? .isoMedia : nil
        default:
            return nil
        }
    }

    /// `detect(_:)` over a byte array.
    public static func detect(_ bytes: [UInt8]) -> VideoContainer? {
        bytes.withUnsafeBytes { detect($0) }
    }
}
