import Foundation
import NCCHashing

/// One way an offender's copy of a picture can differ from the original, made in memory.
///
/// Every transform is a pure, deterministic function from a picture to a new rgb8 picture (a gray8
/// input is spread to rgb8 first); re-encoded copies go through libjpeg/libpng in memory and back
/// through `ImageDecoder.decode`, never to disk. Names (`id`) are stable: they appear in reports and
/// in `nccmatch eval --transforms`.
public enum ImageTransform: Sendable, Hashable {
    /// The picture unchanged (the "exact copy" row, and the baseline for false matches).
    case original
    /// JPEG re-encoding at `quality` (1...100, libjpeg's scale, 4:2:0), decoded again at full resolution.
    case jpeg(quality: Int)
    /// Resize to `percent` of the width and height (Lanczos-3, antialiased when shrinking).
    case resize(percent: Int)
    /// Crop `percent` of the width from the left and from the right, and of the height from the top and bottom.
    case crop(percent: Int)
    /// White padding of `percent` of the width on the left and right and of the height on the top and bottom.
    case pad(percent: Int)
    /// Black letterbox bars above and below, each `percent` of the height.
    case letterbox(percent: Int)
    /// Left-right mirror.
    case mirrorHorizontal
    /// Top-bottom mirror.
    case mirrorVertical
    /// Rotation by a multiple of 90 degrees clockwise: `degrees` is 90, 180 or 270.
    case rotateQuarter(degrees: Int)
    /// Small rotation by `degrees` counterclockwise, bilinear, same canvas, black corners.
    case rotate(degrees: Int)
    /// Brightness change by `percent` (multiply by 1 + percent / 100).
    case brightness(percent: Int)
    /// Contrast change by `percent` around the mean gray.
    case contrast(percent: Int)
    /// Gamma curve, `tenths` / 10 (7 is gamma 0.7).
    case gamma(tenths: Int)
    /// Gaussian blur, sigma `tenths` / 10 pixels.
    case blur(tenths: Int)
    /// Gaussian noise, sigma `sigma` in 0...255 units, fixed seed.
    case noise(sigma: Int)
    /// Grayscale (Pillow's luma written to three channels).
    case grayscale
    /// A white caption bar with black word-like blocks covering the top `percent` of the height.
    case captionBar(percent: Int)
    /// The same caption bar covering the bottom `percent` of the height (subtitle-like).
    case captionBarBottom(percent: Int)
    /// A screenshot-like copy: scaled to 50%, framed by a dark border (8% top, 12% bottom, 4% sides),
    /// saved as PNG in memory and decoded again.
    case screenshot
    /// A platform's upload crop: the centre of the picture cut to `width`:`height` (keeping its full height
    /// or its full width, whichever the ratio allows), as Instagram-like apps crop feed posts and stories.
    case cropAspect(width: Int, height: Int)
    /// A phone screenshot (720 x 1560) of the picture posted in a photo-sharing app, light or dark theme,
    /// saved as JPEG quality 85 (`RealWorldCopies.appScreenshot`).
    case appScreenshot(dark: Bool)
    /// A phone screenshot of the picture sent in a messenger chat, JPEG quality 85 (`RealWorldCopies.chatScreenshot`).
    case chatScreenshot
    /// A `columns` x `rows` collage with white gutters, the picture one of its cells, JPEG quality 85.
    case collage(columns: Int, rows: Int)
    /// An emoji-like sticker over 10% of the picture, near a corner or over the middle, JPEG quality 85.
    case sticker(middle: Bool)
    /// A translucent text watermark across the middle, JPEG quality 85.
    case watermark
    /// Straightened by `degrees` and cropped to remove the corners, JPEG quality 85.
    case rotateCrop(degrees: Int)
    /// A thumbnail at most `longSide` pixels on its longer side, JPEG quality 75.
    case thumbnail(longSide: Int)

    /// The platform crops of issue 14 (1:1, 4:5 and 9:16 feed and story crops, and 16:9 landscape).
    public static let platformCrops: [ImageTransform] = [
        .cropAspect(width: 1, height: 1), .cropAspect(width: 4, height: 5), .cropAspect(width: 9, height: 16), .cropAspect(width: 16, height: 9),
    ]

    /// The real-world family (issue 14): copies as apps and people make them, each re-encoded as JPEG
    /// through libjpeg; recipes in docs/robustness.md.
    public static let realWorld: [ImageTransform] = [
        .appScreenshot(dark: false), .appScreenshot(dark: true), .chatScreenshot,
        .collage(columns: 2, rows: 2), .collage(columns: 3, rows: 1),
        .sticker(middle: false), .sticker(middle: true), .watermark,
        .rotateCrop(degrees: 1), .rotateCrop(degrees: 3), .rotateCrop(degrees: 5),
        .thumbnail(longSide: 160), .thumbnail(longSide: 96),
    ]

    /// Every transform, in report order: the in-process family, the platform crops, then `realWorld`.
    public static let standard: [ImageTransform] = [
        .original,
        .jpeg(quality: 90), .jpeg(quality: 70), .jpeg(quality: 50), .jpeg(quality: 30),
        .resize(percent: 50), .resize(percent: 25), .resize(percent: 200),
        .crop(percent: 5), .crop(percent: 10), .crop(percent: 20),
        .pad(percent: 10), .pad(percent: 20), .letterbox(percent: 10), .letterbox(percent: 20),
        .mirrorHorizontal, .mirrorVertical,
        .rotateQuarter(degrees: 90), .rotateQuarter(degrees: 180), .rotateQuarter(degrees: 270),
        .rotate(degrees: 2), .rotate(degrees: 5),
        .brightness(percent: 20), .brightness(percent: -20), .contrast(percent: 20), .contrast(percent: -20),
        .gamma(tenths: 7), .gamma(tenths: 15),
        .blur(tenths: 15), .blur(tenths: 30), .noise(sigma: 10), .grayscale, .captionBar(percent: 15),
        .captionBar(percent: 25), .captionBarBottom(percent: 15), .screenshot,
    ] + platformCrops + realWorld

    /// Whether the copy shows the picture inside app chrome (a screenshot of a post or a chat), the copies
    /// whose different pictures must not match each other through the chrome they share.
    public var isScreenshot: Bool {
        switch self {
        case .appScreenshot, .chatScreenshot: true
        default: false
        }
    }

    /// Stable name, e.g. `jpeg-q30`, `resize-25`, `rotate-90`, `brightness+20`, `gamma-0.7`.
    public var id: String {
        switch self {
        case .original: "original"
        case .jpeg(let q): "jpeg-q\(q)"
        case .resize(let p): "resize-\(p)"
        case .crop(let p): "crop-\(p)"
        case .pad(let p): "pad-\(p)"
        case .letterbox(let p): "letterbox-\(p)"
        case .mirrorHorizontal: "mirror-horizontal"
        case .mirrorVertical: "mirror-vertical"
        case .rotateQuarter(let d): "rotate-\(d)"
        case .rotate(let d): "rotate-\(d)"
        case .brightness(let p): "brightness\(p >= 0 ? "+" : "")\(p)"
        case .contrast(let p): "contrast\(p >= 0 ? "+" : "")\(p)"
        case .gamma(let t): "gamma-\(Self.tenthsText(t))"
        case .blur(let t): "blur-\(Self.tenthsText(t))"
        case .noise(let s): "noise-\(s)"
        case .grayscale: "grayscale"
        case .captionBar(let p): "caption-\(p)"
        case .captionBarBottom(let p): "caption-bottom-\(p)"
        case .screenshot: "screenshot"
        case .cropAspect(let w, let h): "crop-aspect-\(w):\(h)"
        case .appScreenshot(let dark): dark ? "app-screenshot-dark" : "app-screenshot-light"
        case .chatScreenshot: "chat-screenshot"
        case .collage(let c, let r): "collage-\(c)x\(r)"
        case .sticker(let middle): middle ? "sticker-middle" : "sticker-corner"
        case .watermark: "watermark-middle"
        case .rotateCrop(let d): "rotate-crop-\(d)"
        case .thumbnail(let side): "thumbnail-\(side)"
        }
    }

    /// A short description for people, used in the HTML report.
    public var summary: String {
        switch self {
        case .original: "unchanged"
        case .jpeg(let q): "JPEG re-encoded at quality \(q)"
        case .resize(let p): "resized to \(p)% (Lanczos-3)"
        case .crop(let p): "\(p)% cropped from each side"
        case .pad(let p): "white padding, \(p)% on each side"
        case .letterbox(let p): "black bars above and below, \(p)% of the height each"
        case .mirrorHorizontal: "mirrored left-right"
        case .mirrorVertical: "mirrored top-bottom"
        case .rotateQuarter(let d): "rotated \(d) degrees clockwise"
        case .rotate(let d): "rotated \(d) degrees, same canvas, black corners"
        case .brightness(let p): "brightness \(p > 0 ? "+" : "")\(p)%"
        case .contrast(let p): "contrast \(p > 0 ? "+" : "")\(p)%"
        case .gamma(let t): "gamma \(Self.tenthsText(t))"
        case .blur(let t): "Gaussian blur, sigma \(Self.tenthsText(t)) px"
        case .noise(let s): "Gaussian noise, sigma \(s)/255, fixed seed"
        case .grayscale: "grayscale"
        case .captionBar(let p): "caption bar over the top \(p)%"
        case .captionBarBottom(let p): "caption bar over the bottom \(p)%"
        case .screenshot: "screenshot-like: 50%, dark frame, PNG"
        case .cropAspect(let w, let h): "platform centre crop to \(w):\(h)"
        case .appScreenshot(let dark): "phone screenshot of a photo app post, \(dark ? "dark" : "light") theme, JPEG 85"
        case .chatScreenshot: "phone screenshot of a chat with the picture in a bubble, JPEG 85"
        case .collage(let c, let r): "\(c)x\(r) collage with white gutters, JPEG 85"
        case .sticker(let middle): "emoji sticker over 10% of the picture, \(middle ? "in the middle" : "near a corner"), JPEG 85"
        case .watermark: "translucent text watermark across the middle, JPEG 85"
        case .rotateCrop(let d): "straightened \(d) degrees, corners cropped, JPEG 85"
        case .thumbnail(let side): "thumbnail, \(side) px on the longer side, JPEG 75"
        }
    }

    /// The transform named `id` among `standard`, or nil.
    public init?(id: String) {
        guard let found = Self.standard.first(where: { $0.id == id }) else { return nil }
        self = found
    }

    /// Parses a comma-separated list of transform names; `all` (or an empty list) means `standard`.
    /// Names may end in `*` to select a family, e.g. `jpeg-*`.
    /// - Throws: `EvaluationError` (`unknown_transform`) naming the first unknown entry and the known names.
    public static func parseList(_ text: String) throws(EvaluationError) -> [ImageTransform] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if names.isEmpty || names == ["all"] { return standard }
        var chosen: [ImageTransform] = []
        for name in names {
            let matches: [ImageTransform]
            if name.hasSuffix("*") {
                let prefix = String(name.dropLast())
                matches = standard.filter { $0.id.hasPrefix(prefix) }
            } else {
                matches = standard.filter { $0.id == name }
            }
            guard !matches.isEmpty else {
                throw EvaluationError(
                    code: "unknown_transform",
                    message: "There is no transform called \"\(name)\". Known transforms: \(standard.map(\.id).joined(separator: ", ")).")
            }
            for m in matches where !chosen.contains(m) { chosen.append(m) }
        }
        return chosen
    }

    /// Makes the transformed copy of `image`.
    /// - Throws: `EvaluationError` only for the re-encoding transforms, if encoding or decoding fails.
    public func apply(to image: DecodedImage) throws(EvaluationError) -> DecodedImage {
        switch self {
        case .original: return PixelOps.rgb(image)
        case .jpeg(let q):
            return try Self.reencode(image) { img throws(ImageEncodingError) in try InMemoryEncoder.jpeg(img, quality: q) }
        case .resize(let p):
            let w = max(1, Int((Double(image.width) * Double(p) / 100).rounded()))
            let h = max(1, Int((Double(image.height) * Double(p) / 100).rounded()))
            return LanczosResize.resize(image, width: w, height: h)
        case .crop(let p): return Geometry.cropEachSide(image, fraction: Double(p) / 100)
        case .pad(let p):
            let dx = Int((Double(image.width) * Double(p) / 100).rounded()), dy = Int((Double(image.height) * Double(p) / 100).rounded())
            return Geometry.border(image, top: dy, bottom: dy, left: dx, right: dx, color: (255, 255, 255))
        case .letterbox(let p):
            let dy = Int((Double(image.height) * Double(p) / 100).rounded())
            return Geometry.border(image, top: dy, bottom: dy, left: 0, right: 0, color: (0, 0, 0))
        case .mirrorHorizontal: return Geometry.mirror(image, horizontal: true)
        case .mirrorVertical: return Geometry.mirror(image, horizontal: false)
        case .rotateQuarter(let d): return Geometry.rotateQuarter(image, quarterTurns: d / 90)
        case .rotate(let d): return Geometry.rotate(image, degrees: Double(d))
        case .brightness(let p): return Tone.brightness(image, factor: 1 + Double(p) / 100)
        case .contrast(let p): return Tone.contrast(image, factor: 1 + Double(p) / 100)
        case .gamma(let t): return Tone.gamma(image, Double(t) / 10)
        case .blur(let t): return Tone.blur(image, sigma: Double(t) / 10)
        case .noise(let s): return Tone.noise(image, sigma: Double(s), seed: 0x5EED_0000_0000_0006)
        case .grayscale: return Tone.grayscale(image)
        case .captionBar(let p): return Overlays.captionBar(image, fraction: Double(p) / 100)
        case .captionBarBottom(let p): return Overlays.captionBar(image, fraction: Double(p) / 100, edge: .bottom)
        case .screenshot:
            let w = max(1, (image.width + 1) / 2), h = max(1, (image.height + 1) / 2)
            let small = LanczosResize.resize(image, width: w, height: h)
            let framed = Geometry.border(
                small, top: Int((Double(h) * 0.08).rounded()), bottom: Int((Double(h) * 0.12).rounded()),
                left: Int((Double(w) * 0.04).rounded()), right: Int((Double(w) * 0.04).rounded()), color: (18, 18, 18))
            return try Self.reencode(framed) { img throws(ImageEncodingError) in try InMemoryEncoder.png(img) }
        case .cropAspect(let w, let h): return Geometry.cropToAspect(image, width: w, height: h)
        case .appScreenshot(let dark): return try Self.jpeg(RealWorldCopies.appScreenshot(image, dark: dark), quality: 85)
        case .chatScreenshot: return try Self.jpeg(RealWorldCopies.chatScreenshot(image), quality: 85)
        case .collage(let c, let r): return try Self.jpeg(RealWorldCopies.collage(image, columns: c, rows: r), quality: 85)
        case .sticker(let middle): return try Self.jpeg(RealWorldCopies.sticker(image, middle: middle), quality: 85)
        case .watermark: return try Self.jpeg(RealWorldCopies.watermark(image), quality: 85)
        case .rotateCrop(let d): return try Self.jpeg(RealWorldCopies.rotateAndCrop(image, degrees: Double(d)), quality: 85)
        case .thumbnail(let side): return try Self.jpeg(RealWorldCopies.thumbnail(image, longSide: side), quality: 75)
        }
    }

    /// Encodes as JPEG at `quality` in memory and decodes again.
    static func jpeg(_ image: DecodedImage, quality: Int) throws(EvaluationError) -> DecodedImage {
        try reencode(image) { img throws(ImageEncodingError) in try InMemoryEncoder.jpeg(img, quality: quality) }
    }

    /// Encodes in memory with `encode` and decodes again at full resolution, rgb8.
    static func reencode(_ image: DecodedImage, _ encode: (DecodedImage) throws(ImageEncodingError) -> EncodedImage) throws(EvaluationError) -> DecodedImage {
        let encoded: EncodedImage
        do { encoded = try encode(PixelOps.rgb(image)) } catch {
            throw EvaluationError(code: "encode_failed", message: error.message)
        }
        let decoded: DecodedImage
        do {
            decoded = try encoded.withUnsafeBytes { raw throws(ImageDecodingError) in try ImageDecoder.decode(raw, options: DecodeOptions()) }
        } catch {
            throw EvaluationError(code: "decode_failed", message: "A re-encoded copy could not be decoded again: \(error.message)")
        }
        return PixelOps.rgb(decoded)
    }

    static func tenthsText(_ tenths: Int) -> String {
        tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(abs(tenths % 10))"
    }
}
