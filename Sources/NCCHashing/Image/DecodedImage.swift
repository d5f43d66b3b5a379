/// The file formats nccmatch can decode.
public enum ImageFormat: String, Sendable, Hashable, Codable {
    /// JPEG (JFIF/EXIF), decoded with libjpeg-turbo.
    case jpeg
    /// PNG, decoded with libpng.
    case png
    /// HEIC/HEIF (HEVC in an ISO container, as iPhones save photos), decoded with libheif: the primary image,
    /// its `irot`/`imir`/`clap` transforms applied.
    case heic
    /// AVIF (AV1 in a HEIF container), decoded with libavif as Pillow decodes it: `irot`/`imir` applied.
    case avif
    /// WebP (lossy, lossless, with alpha; of an animation, the first frame), decoded with libwebp.
    case webp
    /// GIF (of an animation, the first frame), decoded with giflib.
    case gif

    /// The name people know the format by ("JPEG", "PNG", "HEIC", "AVIF", "WebP", "GIF").
    public var displayName: String {
        switch self {
        case .jpeg: "JPEG"
        case .png: "PNG"
        case .heic: "HEIC"
        case .avif: "AVIF"
        case .webp: "WebP"
        case .gif: "GIF"
        }
    }
}

/// How the bytes of a `DecodedImage` are laid out.
public enum PixelLayout: Sendable, Hashable {
    /// One byte per pixel: luma (a JPEG's Y channel or a grayscale file's value).
    case gray8
    /// Three bytes per pixel, red, green, blue, as Pillow's `convert("RGB")` gives them.
    case rgb8

    /// Bytes per pixel.
    public var bytesPerPixel: Int { self == .gray8 ? 1 : 3 }
}

/// Decoded pixels, upright (EXIF orientation applied unless turned off), row-major, no padding.
public struct DecodedImage: Sendable {
    /// Width in pixels of `pixels` (after DCT scaling and orientation).
    public let width: Int
    /// Height in pixels of `pixels` (after DCT scaling and orientation).
    public let height: Int
    /// Byte layout of `pixels`.
    public let layout: PixelLayout
    /// Container format the pixels came from.
    public let format: ImageFormat
    /// Width of the picture at full resolution, upright, in pixels.
    public let fullWidth: Int
    /// Height of the picture at full resolution, upright, in pixels.
    public let fullHeight: Int
    /// The pixel bytes: `width * height * layout.bytesPerPixel` of them; wiped when released.
    public let pixels: PixelBuffer

    /// Makes an image over an existing buffer.
    public init(width: Int, height: Int, layout: PixelLayout, format: ImageFormat, fullWidth: Int, fullHeight: Int, pixels: PixelBuffer) {
        precondition(pixels.count >= width * height * layout.bytesPerPixel, "pixel buffer too small for the image")
        self.width = width
        self.height = height
        self.layout = layout
        self.format = format
        self.fullWidth = fullWidth
        self.fullHeight = fullHeight
        self.pixels = pixels
    }
}
