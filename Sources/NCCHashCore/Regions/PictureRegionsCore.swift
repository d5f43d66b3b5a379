/// Finds the picture inside an upload that shows it in something else: the photo rectangle of a screenshot
/// (an app's status bar, header, action bar and caption around it) and the tiles of a collage (cells
/// separated by flat gutters). The one implementation of these searches: NCCHashing's `PictureRegions` calls it
/// for `nccmatch`, and `CaseHashSet` (the person's page, in WebAssembly) for `screenshotPhoto`.
///
/// Both searches read the picture's luma (Pillow's weights for RGB and RGBA, the bytes of a gray picture) and
/// classify whole rows and columns:
///
/// - **Chrome** (`photoRegion`): the screenshot's background values are the most common luma of its top
///   row, bottom row, left column and right column (a status bar, a navigation bar, a chat's wallpaper and
///   header touch the screen's edges). A row is chrome when at least `chromeShare` of its pixels lie within
///   `chromeTolerance` levels of one of them: app text and icons cover a third of a row or less, while a
///   photograph's rows are mostly other values, however smooth. The photo is the longest run of non-chrome
///   rows (gaps of up to 0.5% of the height closed), then the longest run of non-chrome columns over those
///   rows, then the rows again over those columns (a chat bubble is narrower than the screen); uniform
///   borders left inside it (a bubble's margin) are stripped as `UnletterboxCore` strips them. When that finds
///   nothing, the search runs once more with only the left and right columns' values as background: a photo
///   with wide areas near the header's colour (a dark sky under a teal chat header) has those rows taken for
///   chrome, while the colour beside it (the wallpaper) is what truly surrounds it.
/// - **Gutters** (`collageTiles`): a row or column is a gutter when `gutterShare` of it is within
///   `gutterTolerance` of one value. Runs of gutters across the whole of a part split it; a part is split across,
///   then each piece down (or the other way round), one level each: 2x2, 3x1 and 1x3 grids and their mixes.
///
/// - Warning: Both are heuristics. On the query side the hashes they give are sent *beside* the plain hash,
///   never instead. On the case side only `screenshotPhoto`, a stricter test, replaces a picture's hashes with
///   its photo's. A picture with a flat band across it (a sky, a dark floor, a painted margin) loses that band
///   from its region; the companion then lands further from the original than the plain hash would.
public enum PictureRegionsCore {
    /// Tolerance, in luma levels, around a background value of the screenshot.
    public static let chromeTolerance = 5
    /// Tolerance, in luma levels, around the value a gutter is flat in (JPEG leaves a gutter within 2 or 3).
    public static let gutterTolerance = 3
    /// Share of a row (or column) within `chromeTolerance` of a background value for it to count as app chrome.
    public static let chromeShare = 0.6
    /// Share of a row (or column) within `gutterTolerance` of one value for it to count as a gutter.
    public static let gutterShare = 0.98
    /// The least share of the upload's area the photo region must cover, and of its width (a tenth of its
    /// height at least): smaller finds are a text block or an icon, not the photo.
    public static let minimumRegionShare = 0.2
    /// The least share of an edge row or column that must lie within `chromeTolerance` of its most common
    /// value for that value to count as the screenshot's background (a photo's edges are rarely that flat).
    public static let backgroundEdgeShare = 0.6
    /// The least share of each side of a part a collage tile must have.
    public static let minimumTileShare = 0.15
    /// Most tiles hashed per upload (the largest first): a query's cost stays bounded whatever the upload.
    public static let maximumTiles = 4
    /// Tolerance, in luma levels, of the last trim around a found region: edge rows and columns with
    /// `edgeShare` of their pixels within it of one value (a bubble's margin, a gutter's blurred edge) go.
    public static let edgeTolerance = 6
    /// See `edgeTolerance`.
    public static let edgeShare = 0.9
    /// The least height over width of a picture `screenshotPhoto` takes for a phone screenshot: phones since
    /// 16:9 (1.78) are taller than this, while photos (4:3, 3:2, square, landscape) are not. Without it, drawings on
    /// white, pictures with black corners and wallpapers with flat bands were taken for screenshots in the corpus.
    public static let screenshotMinimumAspect = 1.7
    /// The least width and height, in pixels, of a picture the searches look into.
    public static let minimumSide = 16

    /// The most lines the last trim around a found region takes from each of its edges: 2% of the side, at
    /// least 8 (a chat bubble's margin, a gutter's blurred edge); deeper flat lines are the picture's own.
    public static func maximumTrimDepth(_ side: Int) -> Int { max(8, side / 50) }

    /// The photo rectangle inside a screenshot, in `view`'s pixels, or nil when none differs from the whole
    /// picture by at least 3% of its width or height (an ordinary photo: its plain hash already covers it).
    /// - Complexity: One luma plane of the picture (1 byte a pixel, none for a packed gray picture) and a few
    ///   passes over it.
    public static func photoRegion(of view: PixelView) -> PixelRect? {
        guard view.width >= minimumSide, view.height >= minimumSide else { return nil }
        return photoRegion(in: RegionLumaPlane(view))
    }

    /// The tiles of a collage, largest first (at most `maximumTiles`), or empty when the picture is not split
    /// by gutters into 2 to 6 tiles each at least `minimumTileShare` of its part.
    public static func collageTiles(of view: PixelView) -> [PixelRect] {
        guard view.width >= minimumSide, view.height >= minimumSide else { return [] }
        return collageTiles(in: RegionLumaPlane(view))
    }

    /// `photoRegion(of:)` and `collageTiles(of:)` together, from one luma plane of the picture (what a query
    /// computes: the plane is built once instead of once per search).
    public static func regions(of view: PixelView) -> (photo: PixelRect?, tiles: [PixelRect]) {
        guard view.width >= minimumSide, view.height >= minimumSide else { return (nil, []) }
        let plane = RegionLumaPlane(view)
        return (photoRegion(in: plane), collageTiles(in: plane))
    }

    static func photoRegion(in plane: RegionLumaPlane) -> PixelRect? {
        guard let found = plane.photoRegion() else { return nil }
        // A margin of one colour left around the photo (a chat bubble's, with its rounded corners) is trimmed.
        let b = plane.trimmed(found, tolerance: edgeTolerance, share: edgeShare)
        guard Double(plane.height - b.height) >= 0.03 * Double(plane.height) || Double(plane.width - b.width) >= 0.03 * Double(plane.width)
        else { return nil }
        return b
    }

    static func collageTiles(in plane: RegionLumaPlane) -> [PixelRect] {
        plane.collageTiles().map { plane.trimmed($0, tolerance: edgeTolerance, share: edgeShare) }
    }

    /// Whether `region` is surrounded by chrome with text or icons rather than by uniform borders only: true
    /// when stripping uniform borders (`UnletterboxCore`) leaves more than 2% of the height of the picture outside
    /// `region` both above and below it, or 2% of the width both left and right of it. A screenshot's plain hashes
    /// then describe the app more than the photo, and two screenshots of different pictures in one app would match
    /// through them: `screenshotPhoto` uses it so that a case stores the photo's hashes instead.
    public static func isInChrome(_ region: PixelRect, of view: PixelView) -> Bool {
        let b = UnletterboxCore.bounds(of: view)
        let dx = Double(view.width) * 0.02, dy = Double(view.height) * 0.02
        // Chrome with ink on both sides (above and below, or left and right): a caption bar on one side and a
        // flat band on the other is a captioned picture, which keeps every hash.
        return (Double(region.x - b.x) > dx && Double((b.x + b.width) - (region.x + region.width)) > dx)
            || (Double(region.y - b.y) > dy && Double((b.y + b.height) - (region.y + region.height)) > dy)
    }

    /// The photo inside a screenshot's app chrome, or nil when the picture is not confidently such a screenshot:
    /// the picture has a phone screen's shape (portrait, at least `screenshotMinimumAspect` times as tall as wide),
    /// `photoRegion` found a photo and `isInChrome` says chrome with text or icons lies on both sides of it. What
    /// a case stores the hashes of *instead of* the whole picture's (`CaseHashSet.photoRegionCase`): a screenshot's
    /// own hashes describe the app, and screenshots of other pictures in the same app land near them.
    /// - Warning: A picture wrongly taken for a screenshot keeps only its photo's hashes in a case; an ordinary
    ///   photo, a captioned picture or a collage is never one (tested over the corpus, docs/robustness.md).
    public static func screenshotPhoto(of view: PixelView) -> PixelRect? {
        guard Double(view.height) >= screenshotMinimumAspect * Double(view.width) else { return nil }
        guard let region = photoRegion(of: view), isInChrome(region, of: view) else { return nil }
        return region
    }

    /// The size at full resolution that the rectangle `rect` of `view` stands for (its share of the picture's
    /// full size, rounded): the size a region's hashes are computed for.
    public static func fullSize(of rect: PixelRect, in view: PixelView) -> (width: Int, height: Int) {
        (max(1, Int((Double(rect.width) * Double(view.fullWidth) / Double(view.width)).rounded())),
         max(1, Int((Double(rect.height) * Double(view.fullHeight) / Double(view.height)).rounded())))
    }

    /// The rectangle `rect` of `view` as a view of its own (no copy), standing for its `fullSize`.
    public static func cut(_ view: PixelView, _ rect: PixelRect) -> PixelView {
        let full = fullSize(of: rect, in: view)
        return view.cropped(to: rect, fullWidth: full.width, fullHeight: full.height)
    }
}
