import NCCHashCore

/// Finds the picture inside an upload that shows it in something else: the photo rectangle of a screenshot
/// (an app's status bar, header, action bar and caption around it) and the tiles of a collage (cells
/// separated by flat gutters). A platform's query sends the PDQ of each as one more companion hash, so that a
/// screenshot or a collage of a banked picture matches the picture's own hash.
///
/// The searches themselves are NCCHashCore's `PictureRegionsCore` (how rows and columns are classified as app
/// chrome or gutters is described there): the same code runs for `nccmatch` and, in WebAssembly, on the person's
/// page, which stores a screenshot's photo hashes as `nccmatch case submit` does. This type gives them over
/// `DecodedImage`.
///
/// - Warning: Both are heuristics. On the query side the hashes they give are sent *beside* the plain hash,
///   never instead. On the case side only `screenshotPhoto`, a stricter test, replaces a picture's hashes with
///   its photo's. A picture with a flat band across it (a sky, a dark floor, a painted margin) loses that band
///   from its region; the companion then lands further from the original than the plain hash would.
public enum PictureRegions {
    /// Tolerance, in luma levels, around a background value of the screenshot.
    public static let chromeTolerance = PictureRegionsCore.chromeTolerance
    /// Tolerance, in luma levels, around the value a gutter is flat in (JPEG leaves a gutter within 2 or 3).
    public static let gutterTolerance = PictureRegionsCore.gutterTolerance
    /// Share of a row (or column) within `chromeTolerance` of a background value for it to count as app chrome.
    public static let chromeShare = PictureRegionsCore.chromeShare
    /// Share of a row (or column) within `gutterTolerance` of one value for it to count as a gutter.
    public static let gutterShare = PictureRegionsCore.gutterShare
    /// The least share of the upload's area the photo region must cover, and of its width (a tenth of its
    /// height at least): smaller finds are a text block or an icon, not the photo.
    public static let minimumRegionShare = PictureRegionsCore.minimumRegionShare
    /// The least share of an edge row or column that must lie within `chromeTolerance` of its most common
    /// value for that value to count as the screenshot's background (a photo's edges are rarely that flat).
    public static let backgroundEdgeShare = PictureRegionsCore.backgroundEdgeShare
    /// The least share of each side of a part a collage tile must have.
    public static let minimumTileShare = PictureRegionsCore.minimumTileShare
    /// The most lines the last trim around a found region takes from each of its edges: 2% of the side, at
    /// least 8 (a chat bubble's margin, a gutter's blurred edge); deeper flat lines are the picture's own.
    static func maximumTrimDepth(_ side: Int) -> Int { PictureRegionsCore.maximumTrimDepth(side) }
    /// Most tiles hashed per upload (the largest first): a query's cost stays bounded whatever the upload.
    public static let maximumTiles = PictureRegionsCore.maximumTiles
    /// Tolerance, in luma levels, of the last trim around a found region: edge rows and columns with
    /// `edgeShare` of their pixels within it of one value (a bubble's margin, a gutter's blurred edge) go.
    public static let edgeTolerance = PictureRegionsCore.edgeTolerance
    /// See `edgeTolerance`.
    public static let edgeShare = PictureRegionsCore.edgeShare
    /// The least height over width of a picture `screenshotPhoto` takes for a phone screenshot: phones since
    /// 16:9 (1.78) are taller than this, while photos (4:3, 3:2, square, landscape) are not. Without it, drawings on
    /// white, pictures with black corners and wallpapers with flat bands were taken for screenshots in the corpus.
    public static let screenshotMinimumAspect = PictureRegionsCore.screenshotMinimumAspect

    /// The photo rectangle inside a screenshot, or nil when none differs from the whole picture by at least
    /// 3% of its width or height (an ordinary photo: its plain hash already covers it).
    public static func photoRegion(of image: DecodedImage) -> Unletterbox.Bounds? {
        guard image.width > 0, image.height > 0 else { return nil }
        return image.withPixelView { PictureRegionsCore.photoRegion(of: $0) }.map(Unletterbox.Bounds.init)
    }

    /// The tiles of a collage, largest first (at most `maximumTiles`), or empty when the picture is not split
    /// by gutters into 2 to 6 tiles each at least `minimumTileShare` of its part.
    public static func collageTiles(of image: DecodedImage) -> [Unletterbox.Bounds] {
        guard image.width > 0, image.height > 0 else { return [] }
        return image.withPixelView { PictureRegionsCore.collageTiles(of: $0) }.map(Unletterbox.Bounds.init)
    }

    /// Whether `region` is surrounded by chrome with text or icons rather than by uniform borders only: true
    /// when stripping uniform borders (`Unletterbox`) leaves more than 2% of the height of the picture outside
    /// `region` both above and below it, or 2% of the width both left and right of it. A screenshot's plain hashes
    /// then describe the app more than the photo, and two screenshots of different pictures in one app would match
    /// through them: `screenshotPhoto` uses it so that a case stores the photo's hashes instead (a query still
    /// sends both; `ImageHashes.photoRegionInChrome` reports it).
    public static func isInChrome(_ region: Unletterbox.Bounds, of image: DecodedImage) -> Bool {
        guard image.width > 0, image.height > 0 else { return false }
        return image.withPixelView { PictureRegionsCore.isInChrome(PixelRect(region), of: $0) }
    }

    /// The photo inside a screenshot's app chrome, or nil when the picture is not confidently such a screenshot:
    /// the picture has a phone screen's shape (portrait, at least `screenshotMinimumAspect` times as tall as wide),
    /// `photoRegion` found a photo and `isInChrome` says chrome with text or icons lies on both sides of it. What
    /// a case stores the hashes of *instead of* the whole picture's (`HashingOptions.photoRegionCase`): a
    /// screenshot's own hashes describe the app, and screenshots of other pictures in the same app land near them.
    /// The person's page finds the same rectangle (`CaseHashSet.photoRegionCase`).
    /// - Warning: A picture wrongly taken for a screenshot keeps only its photo's hashes in a case; an ordinary
    ///   photo, a captioned picture or a collage is never one (tested over the corpus, docs/robustness.md).
    public static func screenshotPhoto(of image: DecodedImage) -> Unletterbox.Bounds? {
        guard image.width > 0, image.height > 0 else { return nil }
        return image.withPixelView { PictureRegionsCore.screenshotPhoto(of: $0) }.map(Unletterbox.Bounds.init)
    }

    /// The rectangle `b` of `image` as a picture of its own (for hashing).
    public static func cut(_ image: DecodedImage, _ b: Unletterbox.Bounds) -> DecodedImage {
        let full = fullSize(of: b, in: image)
        return Unletterbox.copy(image, bounds: b, fullWidth: full.width, fullHeight: full.height)
    }

    /// The size at full resolution that the rectangle `b` of `image` stands for (its share of the picture's
    /// full size, rounded): what `cut` gives the region and what its PDQ is computed for.
    public static func fullSize(of b: Unletterbox.Bounds, in image: DecodedImage) -> (width: Int, height: Int) {
        (max(1, Int((Double(b.width) * Double(image.fullWidth) / Double(image.width)).rounded())),
         max(1, Int((Double(b.height) * Double(image.fullHeight) / Double(image.height)).rounded())))
    }

    /// `photoRegion(of:)` and `collageTiles(of:)` together, from one luma plane of the picture (what a query
    /// computes: the plane is built once instead of once per search).
    public static func regions(of image: DecodedImage) -> (photo: Unletterbox.Bounds?, tiles: [Unletterbox.Bounds]) {
        guard image.width > 0, image.height > 0 else { return (nil, []) }
        let found = image.withPixelView { PictureRegionsCore.regions(of: $0) }
        return (found.photo.map(Unletterbox.Bounds.init), found.tiles.map(Unletterbox.Bounds.init))
    }
}

extension Unletterbox.Bounds {
    /// The core's rectangle as bounds.
    init(_ r: PixelRect) { self.init(x: r.x, y: r.y, width: r.width, height: r.height) }
}

extension PixelRect {
    /// The bounds as the core's rectangle.
    init(_ b: Unletterbox.Bounds) { self.init(x: b.x, y: b.y, width: b.width, height: b.height) }
}
