/// Every hash a case stores for one picture, computed from its pixels: what `nccmatch case submit` sends
/// and what the person's page computes in the browser (the WebAssembly build calls exactly this).
///
/// PDQ with its quality, pHash, dHash, PDQ of the 8 rotated and mirrored copies, the hashes of the picture
/// without uniform borders (when it has any), PDQ with the top or bottom caption band painted over, PDQ of
/// the low-passed luma, PDQ of the centre crops to `CenterCropCore.standardAspects` the picture does not
/// already have, PDQ of the picture straightened by each of `StraightenCore.standardDegrees` and cropped, and PDQ
/// with its bottom-right quarter painted over (`CornerMaskCore`). The companions are read through views of the same pixels: no copy of the picture is made,
/// so a 12-megapixel RGBA picture needs its own 48 MB plus one 48 MB luma plane (for the turned copies).
///
/// For a phone screenshot with its photo inside app chrome (`PictureRegionsCore.screenshotPhoto`), the same set is
/// also computed on the photo rectangle (`photoRegionCase`), and a case stores that set's hashes *instead of* the
/// screenshot's, as `MatchingPolicy.storedPDQKinds` and `storedHash64` do for `nccmatch case submit`.
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

    /// PDQ of the picture straightened by one angle and cropped (`StraightenCore`).
    public struct Straightened: Sendable, Equatable {
        /// The angle, in degrees counterclockwise.
        public var degrees: Int
        /// PDQ and quality of the straightened crop.
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
    /// PDQ of the picture straightened and cropped, in the order of `StraightenCore.standardDegrees`.
    public var straightened: [Straightened]
    /// PDQ with the bottom-right quarter painted over (`CornerMaskCore`).
    public var cornerMasked: PDQOutcome
    /// The photo rectangle inside the picture's app chrome, in its pixels (`PictureRegionsCore.screenshotPhoto`);
    /// nil when the picture is not such a screenshot or when the search was not asked for.
    public var photoRegion: PixelRect?
    /// The same set computed on `photoRegion` (at most one, itself without a `photoRegionCase`): what a case stores
    /// for the screenshot in place of its own PDQs, pHash and dHash; its MD5 and SHA-256 stay the file's, and its
    /// PDQs are sent with the screenshot's own quality (`pdq.quality`), as `nccmatch case submit` sends them.
    public var photoRegionCase: [CaseHashSet]

    /// Computes the set for `view`.
    ///
    /// One luma plane of the picture is computed and every PDQ that keeps the picture's axes reads it (the
    /// plain hash, which is also the identity of the turned copies, three flips, the caption masks, the
    /// centre crops, the unletterboxed picture, the low-pass filter's input); it is then released and the
    /// transposed plane built for the four quarter turns. Each value is the one the separate functions
    /// (`PDQCore.hash`, `PDQCore.pixelDihedralHashes`, `PDQCore.hashCaptionMasked`, `LowPassCore.filtered`)
    /// give, bit for bit; only the luma is computed once instead of once per hash.
    ///
    /// - Parameters:
    ///   - axis: Where the Lanczos weights of pHash and dHash come from (a cache natively).
    ///   - screenshotPhoto: Also look for a screenshot's photo and compute `photoRegionCase` (what a case does;
    ///     false for the photo's own set, as `HashingOptions.photoRegionCase` is turned off inside it).
    /// - Warning: About 17 PDQ computations and 2 pHash/dHash passes: about a second for a 12-megapixel
    ///   picture, and as much again on the photo of a screenshot. Memory: one luma plane (4 bytes a pixel) at a
    ///   time beside the caller's pixels (the screenshot search's 1-byte plane first, released before the rest).
    public init(_ view: PixelView, axis: PerceptualCore.AxisSource = { LanczosAxis(inputSize: $0, outputSize: $1) },
                screenshotPhoto: Bool = true) {
        width = view.fullWidth
        height = view.fullHeight
        // The photo's set first: its planes are released before the screenshot's own are made.
        photoRegion = screenshotPhoto ? PictureRegionsCore.screenshotPhoto(of: view) : nil
        photoRegionCase = photoRegion.map { [CaseHashSet(PictureRegionsCore.cut(view, $0), axis: axis, screenshotPhoto: false)] } ?? []
        (phash, dhash) = PerceptualCore.hashes(view, axis: axis)
        let strippedRect: PixelRect? = UnletterboxCore.stripped(view).map { _ in UnletterboxCore.bounds(of: view) }
        let crops = CenterCropCore.standardAspects.compactMap { aspect in
            CenterCropCore.crop(of: view, aspectWidth: aspect.width, aspectHeight: aspect.height).map { (aspect, $0) }
        }
        let minimum = PDQCore.minimumDimension
        guard view.width >= minimum, view.height >= minimum else {
            // Too small for PDQ: every PDQ is the reference's zero hash, computed as the separate functions do.
            pdq = PDQCore.hash(view, dihedral: false)
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
            centerCrops = crops.map { aspect, crop in
                let cropView = view.cropped(to: crop.rect, fullWidth: crop.fullWidth, fullHeight: crop.fullHeight)
                return CenterCropped(aspectWidth: aspect.width, aspectHeight: aspect.height, pdq: PDQCore.hash(cropView, dihedral: false))
            }
            straightened = StraightenCore.standardDegrees.map { Straightened(degrees: $0, pdq: PDQCore.hashStraightened(view, degrees: $0)) }
            cornerMasked = PDQCore.hashCornerMasked(view)
            return
        }

        var turned = Array(repeating: PDQWords.zero, count: 8)
        do {
            let plane = PDQCore.lumaPlane(of: view)
            let luma = UnsafePointer(plane.pointer(to: Float.self))
            let w = view.width
            // PDQ of a rectangle of the plane standing for `fullWidth` x `fullHeight` pixels, as `PDQCore.hash`
            // gives it for a view of the same rectangle.
            func hash(_ r: PixelRect, fullWidth: Int, fullHeight: Int) -> PDQOutcome {
                guard r.width >= minimum, r.height >= minimum else { return PDQCore.degenerate(dihedral: false) }
                let rows = PDQPlaneRows(base: luma + r.y * w + r.x, width: r.width, height: r.height, rowStride: w)
                let scaled = r.width < fullWidth || r.height < fullHeight
                return PDQCore.hash(rows: rows, fullSize: scaled ? (width: fullWidth, height: fullHeight) : nil, dihedral: false)
            }
            let whole = PDQPlaneRows(base: luma, width: w, height: view.height)
            pdq = hash(PixelRect(x: 0, y: 0, width: w, height: view.height), fullWidth: view.fullWidth, fullHeight: view.fullHeight)
            turned[0] = pdq.hash
            PDQCore.pixelDihedralHashes(view, plane: luma, transposed: false, skipIdentity: true, into: &turned)
            unletterboxed = strippedRect.map { rect in
                let full = UnletterboxCore.fullSize(of: rect, in: view)
                let perceptual = PerceptualCore.hashes(view.cropped(to: rect, fullWidth: full.width, fullHeight: full.height), axis: axis)
                return Unletterboxed(pdq: hash(rect, fullWidth: full.width, fullHeight: full.height), phash: perceptual.phash,
                                     dhash: perceptual.dhash, width: full.width, height: full.height)
            }
            let top = CaptionMaskCore.band(height: view.height, edge: .top)
            captionMaskedTop = PDQCore.hashCaptionMasked(view, rows: whole, painted: top.painted, kept: top.kept)
            let bottom = CaptionMaskCore.band(height: view.height, edge: .bottom)
            captionMaskedBottom = PDQCore.hashCaptionMasked(view, rows: whole, painted: bottom.painted, kept: bottom.kept)
            let low = LowPassCore.filtered(whole)
            lowPassed = PDQCore.hash(low.view, dihedral: false)
            withExtendedLifetime(low.buffer) {}
            centerCrops = crops.map { aspect, crop in
                CenterCropped(aspectWidth: aspect.width, aspectHeight: aspect.height,
                              pdq: hash(crop.rect, fullWidth: crop.fullWidth, fullHeight: crop.fullHeight))
            }
            straightened = zip(StraightenCore.standardDegrees, PDQCore.hashStraightened(view, plane: luma, degrees: StraightenCore.standardDegrees))
                .map { Straightened(degrees: $0, pdq: $1) }
            cornerMasked = PDQCore.hashCornerMasked(view, rows: whole)
            withExtendedLifetime(plane) {}
        }
        // The first plane is released; the transposed one takes its place for the quarter turns.
        let transposed = PDQCore.transposedLumaPlane(of: view)
        PDQCore.pixelDihedralHashes(view, plane: UnsafePointer(transposed.pointer(to: Float.self)), transposed: true, into: &turned)
        withExtendedLifetime(transposed) {}
        pdqPixelDihedral = turned
    }
}
