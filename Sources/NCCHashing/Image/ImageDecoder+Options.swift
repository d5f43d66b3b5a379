/// How `ImageDecoder.decode` turns a file into pixels.
///
/// The defaults are the "exact" mode: full resolution RGB, upright, the same pixels as Pillow's
/// `ImageOps.exif_transpose(Image.open(f)).convert("RGB")`.
public struct DecodeOptions: Sendable, Hashable {
    /// nil = full resolution (the "exact" mode). Otherwise, for JPEG, libjpeg DCT scaling (scale 1/1, 1/2, 1/4, 1/8)
    /// picks the strongest reduction whose shorter side is still at least this many pixels; PNG is always full resolution.
    /// - Warning: Scaled pixels differ from the full-resolution ones; hashes made from them match only within a distance.
    public var minimumShortSide: Int?
    /// true: for JPEG whose color space is YCbCr or grayscale (and for grayscale PNG, and 8-bit 4:2:0 HEIC decoded by
    /// FFmpeg's HEVC decoder), output only luma (`PixelLayout.gray8`), which skips chroma upsampling and color conversion.
    /// Other files still give `rgb8`. Used by the "fast" mode.
    public var preferLuma: Bool
    /// Apply EXIF orientation 1...8 (default true) so the pixels are upright as a person sees them.
    /// Read where Pillow's `ImageOps.exif_transpose` reads it: JPEG APP1 Exif, PNG eXIf or ImageMagick's
    /// "Raw profile type exif" text, and XMP `tiff:Orientation` when the EXIF data has no orientation tag.
    public var applyEXIFOrientation: Bool
    /// Refuse images with more pixels (width times height, at full resolution) than this, before any pixel buffer exists.
    /// Default 100,000,000.
    public var maxPixels: Int
    /// Faster, slightly less exact JPEG settings (JDCT_IFAST, no fancy upsampling); the "fast" mode may use it.
    /// - Warning: Pixels then differ slightly from Pillow's; exact-mode conformance needs false.
    public var fastDCT: Bool

    /// Makes options; the defaults are the exact mode.
    public init(minimumShortSide: Int? = nil, preferLuma: Bool = false, applyEXIFOrientation: Bool = true, maxPixels: Int = 100_000_000, fastDCT: Bool = false) {
        self.minimumShortSide = minimumShortSide
        self.preferLuma = preferLuma
        self.applyEXIFOrientation = applyEXIFOrientation
        self.maxPixels = maxPixels
        self.fastDCT = fastDCT
    }
}
