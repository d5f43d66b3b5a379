import CImageCodecs

/// Decodes JPEG, PNG, HEIC/HEIF, AVIF, WebP and GIF files held in memory into upright pixels.
///
/// All libjpeg/libpng/libheif/libavif/libwebp/giflib work happens in the `CImageCodecs` C target, which catches its own errors;
/// this type maps them to `ImageDecodingError`. Nothing here writes, logs or caches image bytes or pixels.
/// Safe to call from any number of threads at once.
public enum ImageDecoder {
    /// Decodes `bytes` (a whole JPEG, PNG, HEIC/HEIF, AVIF, WebP or GIF file) into pixels.
    ///
    /// With default options the result is full resolution `rgb8`, upright, and equal pixel for pixel to Pillow's
    /// `ImageOps.exif_transpose(Image.open(f)).convert("RGB")` (one deliberate difference: 16-bit grayscale PNG
    /// keeps the high byte where Pillow clips to 255). HEIC/HEIF and AVIF come out with their own `irot`/`imir`
    /// transforms applied and EXIF orientation not applied on top, as pillow-heif, Pillow and iOS show them; of an animated
    /// WebP or GIF, the first frame is decoded. The format is found from the content, never a file name.
    /// - Parameters:
    ///   - bytes: the complete file contents; read, never retained.
    ///   - options: resolution, luma-only output, orientation and the pixel-count limit.
    /// - Returns: the decoded picture; its pixels are wiped from memory when released.
    /// - Throws: `ImageDecodingError` with a stable `code` for empty, unsupported, truncated, damaged or oversized files.
    public static func decode(_ bytes: UnsafeRawBufferPointer, options: DecodeOptions = .init()) throws(ImageDecodingError) -> DecodedImage {
        let detected = detectFormat(bytes)
        let format: ImageFormat
        switch detected {
        case .jpeg: format = .jpeg
        case .png: format = .png
        case .heic: format = .heic
        case .avif: format = .avif
        case .webp: format = .webp
        case .gif: format = .gif
        case .unsupported(let name):
            if bytes.isEmpty { throw ImageDecodingError(code: .emptyFile) }
            throw ImageDecodingError(code: .unsupportedFormat, message: unsupportedMessage(name))
        }
        guard options.maxPixels > 0 else {
            throw ImageDecodingError(code: .tooManyPixels, underlying: "maxPixels is \(options.maxPixels)")
        }

        var cOptions = ncc_decode_options()
        cOptions.min_short_side = Int32(clamping: max(options.minimumShortSide ?? 0, 0))
        cOptions.prefer_luma = options.preferLuma ? 1 : 0
        cOptions.apply_exif_orientation = options.applyEXIFOrientation ? 1 : 0
        cOptions.fast_dct = options.fastDCT ? 1 : 0
        cOptions.max_pixels = Int64(options.maxPixels)

        var result = ncc_decode_result()
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let status: Int32 = switch format {
        case .jpeg: ncc_decode_jpeg(base, bytes.count, &cOptions, &result)
        case .png: ncc_decode_png(base, bytes.count, &cOptions, &result)
        case .heic: ncc_decode_heif(base, bytes.count, &cOptions, &result)
        case .avif: ncc_decode_avif(base, bytes.count, &cOptions, &result)
        case .webp: ncc_decode_webp(base, bytes.count, &cOptions, &result)
        case .gif: ncc_decode_gif(base, bytes.count, &cOptions, &result)
        }
        guard status == Int32(NCC_STATUS_OK), let pixels = result.pixels else {
            let underlying = withUnsafeBytes(of: &result.underlying) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            let code = code(for: status, format: format)
            throw ImageDecodingError(code: code, message: message(for: code, format: format), underlying: underlying)
        }
        // From here Swift owns the malloc'ed pixels: PixelBuffer wipes and frees them.
        let buffer = PixelBuffer(adoptingMalloced: UnsafeMutableRawPointer(pixels), count: result.byte_count)
        return DecodedImage(
            width: Int(result.width), height: Int(result.height),
            layout: result.channels == 1 ? .gray8 : .rgb8, format: format,
            fullWidth: Int(result.full_width), fullHeight: Int(result.full_height),
            pixels: buffer)
    }

    /// Decodes the bytes of an array (convenience for callers holding `[UInt8]`).
    /// - Warning: The caller's array is not wiped; prefer keeping file bytes in memory you control.
    public static func decode(_ bytes: [UInt8], options: DecodeOptions = .init()) throws(ImageDecodingError) -> DecodedImage {
        // Array.withUnsafeBytes rethrows untyped errors, so the typed error travels in a Result.
        let result: Result<DecodedImage, ImageDecodingError> = bytes.withUnsafeBytes { raw in
            Result { () throws(ImageDecodingError) in try decode(raw, options: options) }
        }
        return try result.get()
    }

    private static func code(for status: Int32, format: ImageFormat) -> ImageDecodingError.Code {
        switch status {
        case Int32(NCC_STATUS_TRUNCATED): return .truncated
        case Int32(NCC_STATUS_TOO_MANY_PIXELS): return .tooManyPixels
        case Int32(NCC_STATUS_INVALID_DIMENSIONS): return .invalidDimensions
        case Int32(NCC_STATUS_PNG_CRC_MISMATCH): return .pngCRCMismatch
        case Int32(NCC_STATUS_UNSUPPORTED_JPEG): return .unsupportedJPEG
        case Int32(NCC_STATUS_OUT_OF_MEMORY): return .outOfMemory
        case Int32(NCC_STATUS_UNSUPPORTED_ENCODING): return .unsupportedEncoding
        default: return .corruptData
        }
    }

    /// The standard wording for `code`, naming the format where that helps a person (nil: the standard one).
    private static func message(for code: ImageDecodingError.Code, format: ImageFormat) -> String? {
        switch code {
        case .unsupportedEncoding:
            return "This \(format.displayName) file stores its picture in a way nccmatch cannot read. "
                + "Open it and save it again as JPEG or PNG, then hash that."
        case .truncated where format != .jpeg && format != .png:
            return "This \(format.displayName) file ends before the picture is complete. It may not have finished copying; try copying it again."
        case .corruptData where format != .jpeg && format != .png:
            return "Part of this \(format.displayName) file is damaged, so its picture cannot be read reliably. Try another copy of the file."
        default:
            return nil
        }
    }

    /// The calm message for a file nccmatch cannot decode, naming what was found.
    static func unsupportedMessage(_ name: String) -> String {
        // "an" before a vowel sound as read aloud: "an MP4 video", "an AVIF image", "a GIF image".
        let article = (name.first.map { "AEIOU".contains($0) } ?? false) || ["MP4", "MOV", "MKV"].contains { name.hasPrefix($0) } ? "an" : "a"
        switch name {
        case "not an image":
            return "This file does not look like a picture. nccmatch can hash \(supportedFormatsText) images; check that this is the file you meant."
        case let video where video.hasSuffix("video"):
            return "This file is \(article) \(video), not a still picture. nccmatch can hash \(supportedFormatsText) images; for a video, use its file hash (MD5 or SHA-256)."
        default:
            return "This file is \(article) \(name) image. nccmatch can hash \(supportedFormatsText) images; convert it to PNG first."
        }
    }

    /// The formats nccmatch decodes, as a person reads them in a sentence.
    static let supportedFormatsText = "JPEG, PNG, HEIC, AVIF, WebP and GIF"
}
