import CImageEncoding
import NCCHashing

/// Why an in-memory encoding failed: a stable code and an actionable message.
public struct ImageEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable machine-readable code: `encode_invalid_argument`, `encode_out_of_memory` or `encode_library_error`.
    public let code: String
    /// What went wrong and what to do; never contains pixel data.
    public let message: String

    /// Makes an error from a C status and the library's own message.
    init(status: Int32, underlying: String) {
        switch status {
        case Int32(NCC_ENCODE_INVALID_ARGUMENT):
            code = "encode_invalid_argument"
            message = "The picture cannot be encoded: its size, channel count or the quality is out of range."
        case Int32(NCC_ENCODE_OUT_OF_MEMORY):
            code = "encode_out_of_memory"
            message = "Memory ran out while encoding a copy of the picture; try fewer --jobs."
        default:
            code = "encode_library_error"
            message = "The image library could not encode a copy of the picture" + (underlying.isEmpty ? "." : " (\(underlying)).")
        }
    }

    public var description: String { "\(code): \(message)" }
}

/// Encoded file bytes held in memory, wiped and freed when released.
///
/// - Warning: Never copy the bytes into an `Array` or `Data`, and never write them to disk:
///   they are a picture, and copies are not wiped.
public final class EncodedImage: @unchecked Sendable {
    private var result: ncc_encode_result

    init(result: ncc_encode_result) { self.result = result }

    deinit { ncc_encoded_free(&result) }

    /// Number of encoded bytes.
    public var count: Int { result.size }

    /// Calls `body` with read access to the encoded bytes.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: result.data, count: result.size))
    }
}

/// In-memory JPEG and PNG encoding (libjpeg-turbo and libpng, the same libraries nccmatch decodes with).
///
/// Used by the robustness evaluation to make re-encoded copies of a picture: the bytes stay in
/// memory and go straight back through `ImageDecoder.decode`; nothing touches the disk.
public enum InMemoryEncoder {
    /// Encodes `image` as a baseline JPEG at `quality` (1...100), 4:2:0 chroma subsampling for RGB.
    /// - Throws: `ImageEncodingError` when the size or quality is out of range or libjpeg fails.
    public static func jpeg(_ image: DecodedImage, quality: Int) throws(ImageEncodingError) -> EncodedImage {
        try encode(image) { pixels, result in
            ncc_encode_jpeg(pixels, Int32(clamping: image.width), Int32(clamping: image.height),
                            Int32(image.layout.bytesPerPixel), Int32(clamping: quality), result)
        }
    }

    /// Encodes `image` as a PNG at zlib `compression` level 0...9 (lossless at every level; 1 is fastest).
    /// - Throws: `ImageEncodingError` when the size is out of range or libpng fails.
    public static func png(_ image: DecodedImage, compression: Int = 1) throws(ImageEncodingError) -> EncodedImage {
        try encode(image) { pixels, result in
            ncc_encode_png(pixels, Int32(clamping: image.width), Int32(clamping: image.height),
                           Int32(image.layout.bytesPerPixel), Int32(clamping: compression), result)
        }
    }

    private static func encode(
        _ image: DecodedImage,
        _ call: (UnsafePointer<UInt8>, UnsafeMutablePointer<ncc_encode_result>) -> Int32
    ) throws(ImageEncodingError) -> EncodedImage {
        guard image.width > 0, image.height > 0 else {
            throw ImageEncodingError(status: Int32(NCC_ENCODE_INVALID_ARGUMENT), underlying: "")
        }
        var result = ncc_encode_result()
        let status = image.pixels.withUnsafeBytes { raw in
            call(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), &result)
        }
        guard status == Int32(NCC_ENCODE_OK), result.data != nil else {
            let underlying = withUnsafeBytes(of: &result.underlying) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            ncc_encoded_free(&result)
            throw ImageEncodingError(status: status, underlying: underlying)
        }
        return EncodedImage(result: result)
    }
}
