/// Cuts the centre of a picture to a platform's aspect ratio before hashing, so that the crop a platform
/// makes on upload matches.
///
/// Instagram-like apps centre-crop uploads to 1:1, 4:5 or 9:16, link previews to 16:9. PDQ sees the whole
/// frame, so a crop that removes a fifth or more of the picture lands far from the original. A case
/// therefore also stores the hash of the picture's own centre crop to each of `standardAspects`; the
/// platform's crop of the same picture is nearly the same pixels and lands within a few bits of it.
///
/// The crop keeps the full width or the full height, whichever the ratio allows; pictures whose shape is
/// within `minimumDifference` of a ratio get no crop to it (a square picture has no 1:1 crop: its plain hash
/// already covers that copy).
///
/// - Warning: A centre-cropped hash describes only part of a picture. Store it *beside* the plain hash,
///   never instead of it.
public enum CenterCropCore {
    /// The width:height ratios a case stores crops to, in this order: 1:1, 4:5, 9:16, 16:9.
    public static let standardAspects: [(width: Int, height: Int)] = [(1, 1), (4, 5), (9, 16), (16, 9)]

    /// Pictures whose width-to-height ratio is within this share of a target ratio get no crop to it
    /// (a crop removing less than about 5% of a side changes PDQ by only a few bits).
    public static let minimumDifference = 0.05

    /// The centred rectangle of a `width` x `height` picture that has the shape `aspectWidth`:`aspectHeight`
    /// (both positive), or nil when the picture is already within `minimumDifference` of it (or too small to crop).
    public static func bounds(width: Int, height: Int, aspectWidth: Int, aspectHeight: Int) -> PixelRect? {
        guard width > 1, height > 1 else { return nil }
        let target = Double(aspectWidth) / Double(aspectHeight)
        let own = Double(width) / Double(height)
        let change = own > target ? own / target : target / own
        guard change - 1 > minimumDifference else { return nil }
        if own > target {
            // Wider than the target: keep the full height, cut the sides.
            let keptW = max(1, min(width, Int((Double(height) * target).rounded())))
            return PixelRect(x: (width - keptW) / 2, y: 0, width: keptW, height: height)
        } else {
            // Taller than the target: keep the full width, cut the top and bottom.
            let keptH = max(1, min(height, Int((Double(width) / target).rounded())))
            return PixelRect(x: 0, y: (height - keptH) / 2, width: width, height: keptH)
        }
    }

    /// Where to cut `view` for the crop to `aspectWidth`:`aspectHeight`: the rectangle in its pixels and the
    /// crop's size at full resolution, or nil when the picture already has about that shape.
    ///
    /// The shape is decided on `fullWidth` x `fullHeight` (the picture as stored, whatever size it was decoded
    /// at), and the same share is cut from the decoded pixels, so `fast` and `exact` crop the same region.
    public static func crop(
        of view: PixelView, aspectWidth: Int, aspectHeight: Int
    ) -> (rect: PixelRect, fullWidth: Int, fullHeight: Int)? {
        guard let full = bounds(width: view.fullWidth, height: view.fullHeight, aspectWidth: aspectWidth, aspectHeight: aspectHeight) else {
            return nil
        }
        let b: PixelRect
        if full.width < view.fullWidth {
            let keptW = max(1, min(view.width, Int((Double(view.width) * Double(full.width) / Double(view.fullWidth)).rounded())))
            b = PixelRect(x: (view.width - keptW) / 2, y: 0, width: keptW, height: view.height)
        } else {
            let keptH = max(1, min(view.height, Int((Double(view.height) * Double(full.height) / Double(view.fullHeight)).rounded())))
            b = PixelRect(x: 0, y: (view.height - keptH) / 2, width: view.width, height: keptH)
        }
        return (b, full.width, full.height)
    }

    /// The centre of `view` cropped to `aspectWidth`:`aspectHeight` (a view of the same bytes), or nil when the
    /// picture already has about that shape.
    public static func cropped(_ view: PixelView, aspectWidth: Int, aspectHeight: Int) -> PixelView? {
        crop(of: view, aspectWidth: aspectWidth, aspectHeight: aspectHeight)
            .map { view.cropped(to: $0.rect, fullWidth: $0.fullWidth, fullHeight: $0.fullHeight) }
    }
}
