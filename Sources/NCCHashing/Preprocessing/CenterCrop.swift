import NCCHashCore

/// Cuts the centre of a picture to a platform's aspect ratio before hashing, so that the crop a platform
/// makes on upload matches.
///
/// Instagram-like apps centre-crop uploads to 1:1, 4:5 or 9:16. PDQ sees the whole frame, so a crop that
/// removes a fifth or more of the picture lands far from the original: plain PDQ matches only 1 to 15% of
/// such copies (issue 14, `docs/robustness.md`). A case therefore also stores the hash of the picture's own
/// centre crop to each of `Aspect.standard`; the platform's crop of the same picture is nearly the same
/// pixels and lands within a few bits of it. The platform sends nothing more: its upload already *is* the crop.
///
/// The crop is taken from the upright picture (after the EXIF orientation) and keeps its full width or its
/// full height, whichever the ratio allows; pictures whose shape is within `minimumDifference` of a ratio
/// get no crop to it (a square picture has no 1:1 crop: its plain hash already covers that copy). The
/// geometry is NCCHashCore's `CenterCropCore`, shared with the person's page.
///
/// - Warning: A centre-cropped hash describes only part of a picture. Store it *beside* the plain hash,
///   never instead of it.
public enum CenterCrop {
    /// A width-to-height ratio a platform crops uploads to.
    public struct Aspect: Sendable, Hashable, Codable, CustomStringConvertible {
        /// Width term of the ratio (4 in 4:5).
        public var width: Int
        /// Height term of the ratio (5 in 4:5).
        public var height: Int

        /// Makes a ratio `width`:`height`; both must be positive.
        public init(width: Int, height: Int) {
            precondition(width > 0 && height > 0, "an aspect ratio needs positive terms")
            self.width = width
            self.height = height
        }

        /// Square (Instagram's classic feed crop).
        public static let square = Aspect(width: 1, height: 1)
        /// Portrait 4:5 (the tallest feed post Instagram-like apps keep).
        public static let portrait4x5 = Aspect(width: 4, height: 5)
        /// Portrait 9:16 (stories, reels, full-screen phone posts).
        public static let story9x16 = Aspect(width: 9, height: 16)
        /// Landscape 16:9 (link previews and timeline crops of tall pictures).
        public static let landscape16x9 = Aspect(width: 16, height: 9)
        /// The ratios a case stores crops to, in this order (`CenterCropCore.standardAspects`: 1:1, 4:5, 9:16, 16:9).
        public static let standard: [Aspect] = CenterCropCore.standardAspects.map { Aspect(width: $0.width, height: $0.height) }

        /// "4:5".
        public var description: String { "\(width):\(height)" }

        /// Width divided by height.
        public var ratio: Double { Double(width) / Double(height) }
    }

    /// Pictures whose width-to-height ratio is within this share of a target ratio get no crop to it
    /// (a crop removing less than about 5% of a side changes PDQ by only a few bits).
    public static let minimumDifference = CenterCropCore.minimumDifference

    /// The centred rectangle of a `width` x `height` picture that has `aspect`'s shape, or nil when the
    /// picture is already within `minimumDifference` of it (or too small to crop).
    public static func bounds(width: Int, height: Int, aspect: Aspect) -> Unletterbox.Bounds? {
        CenterCropCore.bounds(width: width, height: height, aspectWidth: aspect.width, aspectHeight: aspect.height)
            .map { Unletterbox.Bounds(x: $0.x, y: $0.y, width: $0.width, height: $0.height) }
    }

    /// The centre of `image` cropped to `aspect`, or nil when the picture already has about that shape.
    ///
    /// The shape is decided on `fullWidth` x `fullHeight` (the picture as stored, whatever size it was decoded
    /// at), and the same share is cut from the decoded pixels, so `fast` and `exact` crop the same region.
    /// The result has the same layout (so PDQ reads the same luma as the plain hash) and format.
    public static func cropped(_ image: DecodedImage, to aspect: Aspect) -> DecodedImage? {
        guard image.width > 0, image.height > 0,
              let crop = image.withPixelView({ CenterCropCore.crop(of: $0, aspectWidth: aspect.width, aspectHeight: aspect.height) })
        else { return nil }
        let b = Unletterbox.Bounds(x: crop.rect.x, y: crop.rect.y, width: crop.rect.width, height: crop.rect.height)
        return Unletterbox.copy(image, bounds: b, fullWidth: crop.fullWidth, fullHeight: crop.fullHeight)
    }
}
