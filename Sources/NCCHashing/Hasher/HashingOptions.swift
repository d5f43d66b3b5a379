/// How thoroughly an image is decoded before hashing.
public enum HashingMode: String, Sendable, Hashable, CaseIterable, Codable {
    /// Decodes JPEGs DCT-scaled to the size the hashes need and reads only their luma:
    /// several times faster, within a few bits of `exact` (see README for the measured difference).
    case fast
    /// Decodes at full resolution in RGB: bit-identical to the `pdqhash` PyPI package and to
    /// Python `imagehash` fed the pixels Pillow decodes.
    case exact
}

/// Settings for `ImageHasher`.
public struct HashingOptions: Sendable, Hashable {
    /// Decoding thoroughness; `fast` by default.
    public var mode: HashingMode
    /// Apply the EXIF orientation so the hash is of the picture as a person sees it (default true).
    public var applyEXIFOrientation: Bool
    /// Refuse images with more pixels than this before any pixel memory is allocated (default 100 megapixels).
    public var maxPixels: Int
    /// Compute the 8 dihedral PDQ variants (rotations and mirrors) too (default true; costs about 2% of the PDQ time).
    public var pdqDihedral: Bool
    /// Also hash the picture with uniform borders (letterbox and pillarbox bars, padding) stripped,
    /// when it has any (default false). The plain hashes are always kept: replacing them makes
    /// unmodified pictures with a flat edge band stop matching (see `docs/robustness.md`).
    public var unletterbox: Bool
    /// Also compute PDQ of the 8 rotated and mirrored copies of the pixels (default false): what a
    /// case stores so that mirrored and quarter-turned re-posts match. About 8 times the PDQ work.
    public var pixelDihedral: Bool
    /// Also compute PDQ of the picture with its top and then its bottom `CaptionMask.defaultFraction` of
    /// rows painted over (default false): what a case stores and a match sends so that copies with a
    /// caption bar match. Two more PDQ computations.
    public var captionMask: Bool
    /// Also compute PDQ of the picture's luma blurred by `LowPass.relativeSigma` of its shorter side
    /// (default false): what a case stores and a match sends so that blurred and re-brightened copies of
    /// finely textured pictures match. One more PDQ computation on a picture of less than 512 pixels on its shorter side.
    public var lowPass: Bool
    /// Also compute PDQ of the picture's centre crops to `CenterCrop.Aspect.standard` (1:1, 4:5, 9:16), skipping
    /// ratios the picture already has (default false): what a case stores so that a platform's aspect-ratio
    /// crop of the picture matches. Up to three more PDQ computations, each on part of the picture.
    public var centerCrops: Bool
    /// Also compute PDQ of the photo rectangle inside a screenshot and of the tiles of a collage, when the
    /// picture has them (`PictureRegions`; default false): what a platform's query sends so that screenshots
    /// of posts and chats and collages match. Luma statistics over rows and columns, then one more PDQ for the
    /// photo and up to `PictureRegions.maximumTiles` for the tiles, each on part of the picture.
    public var pictureRegions: Bool = false
    /// Also compute PDQ of the picture straightened by each of `StraightenCore.standardDegrees` (+3 and -3) and
    /// cropped to the largest centred rectangle of its shape (default false): what a case stores so that a copy
    /// straightened in a photo editor matches. Two more PDQ computations and one luma plane (4 bytes a pixel).
    public var straightenedCrops: Bool = false
    /// Also compute PDQ of the picture with its bottom-right quarter painted over (`CornerMaskCore`; default
    /// false): what a case stores and a match sends so that copies with a sticker or emoji in that corner match.
    /// One more PDQ computation.
    public var cornerMask: Bool = false
    /// When the picture is a screenshot with its photo inside app chrome (`PictureRegions.screenshotPhoto`), also
    /// compute every hash these options ask for on that photo alone (`ImageHashes.photoRegionCase`; default false):
    /// what a case stores *instead of* the screenshot's own hashes, which the app's chrome dominates. The region
    /// search, and for a screenshot one more set of hashes on part of the picture.
    public var photoRegionCase: Bool = false

    /// The shorter side, in pixels, that `fast` mode decodes a JPEG down to at least.
    ///
    /// PDQ reduces every image to 64x64 and pHash to 32x32 with wide box and Lanczos filters;
    /// four source pixels per output pixel keep both within a few bits of full resolution.
    public static let fastMinimumShortSide = 256

    /// Makes options; the defaults suit hashing uploads and victims' pictures alike.
    public init(mode: HashingMode = .fast, applyEXIFOrientation: Bool = true, maxPixels: Int = 100_000_000, pdqDihedral: Bool = true, unletterbox: Bool = false,
        pixelDihedral: Bool = false, captionMask: Bool = false, lowPass: Bool = false, centerCrops: Bool = false
    ) {
        self.mode = mode
        self.applyEXIFOrientation = applyEXIFOrientation
        self.maxPixels = maxPixels
        self.pdqDihedral = pdqDihedral
        self.unletterbox = unletterbox
        self.pixelDihedral = pixelDihedral
        self.captionMask = captionMask
        self.lowPass = lowPass
        self.centerCrops = centerCrops
    }

    /// The decoder settings this mode implies.
    public var decodeOptions: DecodeOptions {
        switch mode {
        case .exact:
            DecodeOptions(minimumShortSide: nil, preferLuma: false, applyEXIFOrientation: applyEXIFOrientation, maxPixels: maxPixels)
        case .fast:
            DecodeOptions(
                minimumShortSide: Self.fastMinimumShortSide, preferLuma: true,
                applyEXIFOrientation: applyEXIFOrientation, maxPixels: maxPixels
            )
        }
    }
}
