/// Every hash a case stores for one picture, computed from its pixels: what `nccmatch case submit` sends
/// and what the person's page computes in the browser (the WebAssembly build calls exactly this).
///
/// PDQ with its quality, pHash, dHash, PDQ of the 8 rotated and mirrored copies, the hashes of the picture
/// without uniform borders (when it has any), PDQ with the top or bottom caption band painted over, PDQ of
/// the low-passed luma, and PDQ of the centre crops to `CenterCropCore.standardAspects` the picture does not
/// already have. The companions are read through views of the same pixels: no copy of the picture is made,
/// so a 12-megapixel RGBA picture needs its own 48 MB plus one 48 MB luma plane (for the turned copies).
public struct CaseHashSet: Sendable {
    /// The hashes of the picture without its uniform borders.
    public struct Unletterboxed: Sendable, Equatable {
        /// PDQ of the stripped picture (no dihedral variants).
        public var pdq: PDQOutcome
        /// pHash of the stripped picture.
        public var phash: UInt64
        /// dHash of the stripped picture.
        public var dhash: UInt64
        /// Width of the stripped picture at full resolution, in pixels.
        public var width: Int
        /// Height of the stripped picture at full resolution, in pixels.
        public var height: Int
    }

    /// PDQ of a centre crop to one aspect ratio.
    public struct CenterCropped: Sendable, Equatable {
        /// Width term of the ratio (4 in 4:5).
        public var aspectWidth: Int
        /// Height term of the ratio (5 in 4:5).
        public var aspectHeight: Int
        /// PDQ and quality of the crop.
        public var pdq: PDQOutcome
    }

    /// Width of the picture at full resolution, in pixels.
    public var width: Int
    /// Height of the picture at full resolution, in pixels.
    public var height: Int
    /// PDQ and quality of the picture (no DCT-domain dihedral variants: a case stores the turned pixels' hashes).
    public var pdq: PDQOutcome
    /// pHash, as imagehash's bits.
    public var phash: UInt64
    /// dHash, as imagehash's bits.
    public var dhash: UInt64
    /// PDQ of the 8 rotated and mirrored copies, identity first (`PDQCore.pixelDihedralHashes`).
    public var pdqPixelDihedral: [PDQWords]
    /// The picture without uniform borders; nil when it has none.
    public var unletterboxed: Unletterboxed?
    /// PDQ with the top caption band painted over.
    public var captionMaskedTop: PDQOutcome
    /// PDQ with the bottom caption band painted over.
    public var captionMaskedBottom: PDQOutcome
    /// PDQ of the low-passed luma.
    public var lowPassed: PDQOutcome
    /// PDQ of the centre crops, in the order of `CenterCropCore.standardAspects`, skipping ratios the picture has.
    public var centerCrops: [CenterCropped]

    /// Computes the set for `view`.
    ///
    /// - Parameter axis: Where the Lanczos weights of pHash and dHash come from (a cache natively).
    /// - Warning: About 14 PDQ computations and 2 pHash/dHash passes: hundreds of milliseconds for a
    ///   12-megapixel picture. Meant for the pictures of a case, not for every upload.
    public init(_ view: PixelView, axis: PerceptualCore.AxisSource = { LanczosAxis(inputSize: $0, outputSize: $1) }) {
        width = view.fullWidth
        height = view.fullHeight
        pdq = PDQCore.hash(view, dihedral: false)
        (phash, dhash) = PerceptualCore.hashes(view, axis: axis)
        pdqPixelDihedral = PDQCore.pixelDihedralHashes(view)
        unletterboxed = UnletterboxCore.stripped(view).map { stripped in
            let perceptual = PerceptualCore.hashes(stripped, axis: axis)
            return Unletterboxed(pdq: PDQCore.hash(stripped, dihedral: false), phash: perceptual.phash, dhash: perceptual.dhash,
                                 width: stripped.fullWidth, height: stripped.fullHeight)
        }
        captionMaskedTop = PDQCore.hashCaptionMasked(view, edge: .top)
        captionMaskedBottom = PDQCore.hashCaptionMasked(view, edge: .bottom)
        let low = LowPassCore.filtered(view)
        lowPassed = PDQCore.hash(low.view, dihedral: false)
        withExtendedLifetime(low.buffer) {}
        centerCrops = CenterCropCore.standardAspects.compactMap { aspect in
            CenterCropCore.cropped(view, aspectWidth: aspect.width, aspectHeight: aspect.height).map {
                CenterCropped(aspectWidth: aspect.width, aspectHeight: aspect.height, pdq: PDQCore.hash($0, dihedral: false))
            }
        }
    }
}
