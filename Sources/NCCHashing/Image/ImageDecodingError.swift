/// Why an image could not be decoded: a stable code, plain words for a person, and the decoder's own message.
///
/// The messages are read by people who may be frightened: they say calmly what is wrong with the file and
/// what to try, never blame anyone, and never include file names or pixel data.
public struct ImageDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable error codes. Their `rawValue`s are a public contract (`error.code` in `nccmatch hash --format jsonl`).
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// The file has no bytes at all.
        case emptyFile = "empty_file"
        /// The file is not a JPEG, PNG, HEIC/HEIF, AVIF, WebP or GIF (e.g. BMP, TIFF, a video, or not an image).
        case unsupportedFormat = "unsupported_format"
        /// The data ends before the picture is complete (e.g. an interrupted copy or download).
        case truncated = "truncated"
        /// The compressed picture data or the file structure is damaged.
        case corruptData = "corrupt_data"
        /// The picture has more pixels than `DecodeOptions.maxPixels` allows.
        case tooManyPixels = "too_many_pixels"
        /// The header gives a width or height of zero or beyond what the format allows.
        case invalidDimensions = "invalid_dimensions"
        /// A critical PNG chunk fails its checksum: the file was damaged.
        case pngCRCMismatch = "png_crc_mismatch"
        /// A valid JPEG that uses a feature the decoder does not support (e.g. 12-bit samples).
        case unsupportedJPEG = "unsupported_jpeg"
        /// Memory ran out while decoding.
        case outOfMemory = "out_of_memory"
        /// The file is larger than nccmatch reads to decode a picture (what the pixel limit allows, at most
        /// `ImageHasher.maximumDecodableFileSize`, 256 MiB); it still gets its digests.
        case fileTooLarge = "file_too_large"
        /// A HEIC/HEIF, AVIF, WebP or GIF file whose picture is stored with a codec or feature the decoder cannot read
        /// (e.g. a HEIF holding JPEG 2000 or uncompressed data, or a file needing a decoder this build lacks).
        case unsupportedEncoding = "unsupported_encoding"
        /// An animation (GIF or WebP) holds more frames, or more pixels over all its frames, than nccmatch reads
        /// (`AnimationLimits`); its first frame is still hashed as a picture.
        case tooManyFrames = "too_many_frames"
    }

    /// The stable code.
    public let code: Code
    /// Plain words saying what is wrong and what to do; never file names or pixel data.
    public let message: String
    /// The decoding library's own message (libjpeg, libpng, libheif, libavif, libwebp, giflib), if any (technical; for logs and bug reports).
    public let underlying: String?

    /// Makes an error; `message` defaults to the standard wording for `code`.
    public init(code: Code, message: String? = nil, underlying: String? = nil) {
        self.code = code
        self.message = message ?? Self.standardMessage(for: code)
        self.underlying = (underlying?.isEmpty ?? true) ? nil : underlying
    }

    /// `code: message` plus the underlying message in parentheses when there is one.
    public var description: String {
        if let underlying { return "\(code.rawValue): \(message) (\(underlying))" }
        return "\(code.rawValue): \(message)"
    }

    /// The standard wording for each code.
    public static func standardMessage(for code: Code) -> String {
        switch code {
        case .emptyFile:
            return "The file is empty: it contains no picture. It may not have finished copying; try copying it again."
        case .unsupportedFormat:
            return "This file is not a picture nccmatch can read. nccmatch can hash JPEG, PNG, HEIC, AVIF, WebP and GIF images; convert it to PNG first."
        case .truncated:
            return "The file ends before the picture is complete. It may not have finished copying; try copying it again."
        case .corruptData:
            return "Part of the picture data is damaged, so it cannot be read reliably. Try another copy of the file."
        case .tooManyPixels:
            return "The picture is larger than nccmatch accepts. Save a smaller copy (for example 4000 pixels wide) and hash that."
        case .invalidDimensions:
            return "The file says the picture has an impossible size, so it cannot be read. Try another copy of the file."
        case .pngCRCMismatch:
            return "The PNG file was damaged (a checksum does not match). Try another copy of the file."
        case .unsupportedJPEG:
            return "This JPEG uses a rare kind of encoding that nccmatch cannot read. Open it and save it again as PNG, then hash that."
        case .outOfMemory:
            return "There was not enough memory to read this picture. Close other programs and try again."
        case .fileTooLarge:
            return "The file is larger than nccmatch reads to decode a picture (at most 256 MiB, less under a lower pixel limit). Save a smaller copy and hash that."
        case .unsupportedEncoding:
            return "This file stores its picture in a way nccmatch cannot read. Open it and save it again as JPEG or PNG, then hash that."
        case .tooManyFrames:
            return "This animation has more frames than nccmatch reads, so only its first frame was hashed. Cut it into shorter parts and hash each to cover the rest."
        }
    }
}
