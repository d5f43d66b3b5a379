/// The perceptual hashes of one decoded picture.
public struct ImageHashes: Sendable, Hashable {
    /// PDQ hash, quality (0...100) and, when requested, the 8 dihedral variants (identity first).
    public var pdq: PDQResult
    /// DCT perceptual hash, equal to `str(imagehash.phash(img))` in `exact` mode.
    public var phash: Hash64
    /// Difference hash, equal to `str(imagehash.dhash(img))` in `exact` mode.
    public var dhash: Hash64
    /// Upright width of the picture at full resolution, in pixels.
    public var width: Int
    /// Upright height of the picture at full resolution, in pixels.
    public var height: Int
    /// The container format that was decoded.
    public var format: ImageFormat
    /// PDQ of the 8 rotated and mirrored copies of the pixels (identity first, the order of
    /// `pdq.dihedral`); empty unless `HashingOptions.pixelDihedral` asked for them.
    public var pdqPixelDihedral: [PDQHash] = []
    /// The hashes of the picture with its uniform borders stripped; nil unless
    /// `HashingOptions.unletterbox` asked for them and the picture has such borders.
    public var unletterboxed: Unletterboxed?
    /// PDQ of the picture with a caption band painted over, one per edge; nil unless
    /// `HashingOptions.captionMask` asked for them.
    public var captionMasked: CaptionMasked?
    /// PDQ (without dihedral variants) of the picture's luma after `LowPass.filtered`; nil unless
    /// `HashingOptions.lowPass` asked for it.
    public var lowPassed: PDQResult?
    /// PDQ (without dihedral variants) of the picture's centre crops to the ratios of `CenterCrop.Aspect.standard`
    /// that it does not already have, in that order; empty unless `HashingOptions.centerCrops` asked for them.
    public var centerCrops: [CenterCropped] = []
    /// PDQ (without dihedral variants) of the photo rectangle `PictureRegions.photoRegion` found inside the
    /// picture (a screenshot's photo); nil unless `HashingOptions.pictureRegions` asked for it and one was found.
    public var photoRegion: PDQResult?
    /// Whether the photo region sits in chrome with text or icons (not only in uniform borders, which
    /// `unletterboxed` already strips): the upload is a screenshot, and its other hashes describe the app.
    public var photoRegionInChrome: Bool = false
    /// PDQ of that photo rectangle with its bottom-right quarter painted over (`CornerMaskCore`), where a chat app
    /// writes the time over a photo; nil unless `HashingOptions.pictureRegions` and `cornerMask` asked for it and a
    /// photo region was found.
    public var photoRegionCornerMasked: PDQResult?
    /// PDQ (without dihedral variants) of the tiles `PictureRegions.collageTiles` found in the picture, largest
    /// first; empty unless `HashingOptions.pictureRegions` asked for them and the picture is a collage.
    public var collageTiles: [PDQResult] = []
    /// PDQ (without dihedral variants) of the picture straightened by each of `StraightenCore.standardDegrees` and
    /// cropped, in that order; empty unless `HashingOptions.straightenedCrops` asked for them.
    public var straightened: [Straightened] = []
    /// PDQ (without dihedral variants) of the picture with its bottom-right quarter painted over (`CornerMaskCore`);
    /// nil unless `HashingOptions.cornerMask` asked for it.
    public var cornerMasked: PDQResult?
    /// The hashes of the photo inside a screenshot's app chrome (`PictureRegions.screenshotPhoto`), computed with
    /// the same options on the photo alone: at most one element; empty unless `HashingOptions.photoRegionCase`
    /// asked for it and the picture is such a screenshot.
    public var photoRegionCase: [ImageHashes] = []

    /// PDQ of a picture straightened by a few degrees and cropped (`StraightenCore`).
    public struct Straightened: Sendable, Hashable {
        /// The angle, in degrees counterclockwise.
        public var degrees: Int
        /// PDQ hash and quality of the straightened crop (without DCT-domain dihedral variants).
        public var pdq: PDQResult

        /// Makes a value from its parts.
        public init(degrees: Int, pdq: PDQResult) {
            self.degrees = degrees
            self.pdq = pdq
        }
    }

    /// PDQ of a picture's centre crop to one aspect ratio (`CenterCrop.cropped`).
    public struct CenterCropped: Sendable, Hashable {
        /// The ratio the picture was cropped to.
        public var aspect: CenterCrop.Aspect
        /// PDQ hash and quality of the crop (without DCT-domain dihedral variants).
        public var pdq: PDQResult

        /// Makes a value from its parts.
        public init(aspect: CenterCrop.Aspect, pdq: PDQResult) {
            self.aspect = aspect
            self.pdq = pdq
        }
    }

    /// PDQ of a picture with its top or its bottom `CaptionMask.defaultFraction` of rows painted over.
    public struct CaptionMasked: Sendable, Hashable {
        /// The top band painted over (without DCT-domain dihedral variants).
        public var top: PDQResult
        /// The bottom band painted over (without DCT-domain dihedral variants).
        public var bottom: PDQResult
    }

    /// Hashes of a picture after `Unletterbox.crop` removed its uniform borders.
    public struct Unletterboxed: Sendable, Hashable {
        /// PDQ (with its DCT-domain dihedral variants when asked for) of the stripped picture.
        public var pdq: PDQResult
        /// pHash of the stripped picture.
        public var phash: Hash64
        /// dHash of the stripped picture.
        public var dhash: Hash64
        /// Width of the stripped picture at full resolution, in pixels.
        public var width: Int
        /// Height of the stripped picture at full resolution, in pixels.
        public var height: Int
    }

    /// Makes a value from its parts.
    public init(pdq: PDQResult, phash: Hash64, dhash: Hash64, width: Int, height: Int, format: ImageFormat) {
        self.pdq = pdq
        self.phash = phash
        self.dhash = dhash
        self.width = width
        self.height = height
        self.format = format
    }
}

/// What hashing one file produced: its digests always, and its perceptual hashes or the reason there are none.
public struct FileHashResult: Sendable {
    /// MD5 and SHA-256 of the file's bytes: computed for every file, images or not (videos match by MD5).
    public var digests: FileDigests
    /// The perceptual hashes, or why the file could not be decoded as an image.
    public var image: Result<ImageHashes, ImageDecodingError>

    /// Makes a value from its parts.
    public init(digests: FileDigests, image: Result<ImageHashes, ImageDecodingError>) {
        self.digests = digests
        self.image = image
    }
}
