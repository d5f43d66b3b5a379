import NCCHashCore

/// Blurs a picture's luma by a fixed share of its size before hashing, so that blurred, re-brightened
/// and heavily re-encoded copies land near the original.
///
/// PDQ keeps the signs of 256 low-frequency DCT coefficients of a 64x64 reduction. On fine textures
/// (bricks, grass) those coefficients are small and a Gaussian blur of a few pixels, clipped highlights or
/// strong JPEG artefacts flip many of them: the copy lands 32 to 54 bits away (see `docs/robustness.md`).
/// Blurring both sides first with a Gaussian of `relativeSigma` times the shorter side removes the
/// detail those edits change, while keeping what tells pictures apart (measured: the closest different
/// pictures stay as far apart as without it). The filter is NCCHashCore's `LowPassCore`.
///
/// The result is a gray picture (PDQ's luma, rounded to bytes) of less than 512 pixels on its shorter
/// side: larger pictures are first averaged over whole blocks (PDQ reduces every picture to 64x64 anyway,
/// and a blur this wide leaves nothing finer), which bounds time and memory (about 9 bytes per output pixel).
///
/// - Warning: A low-passed hash is a *companion* to the plain hash: store and query it beside the
///   plain one, never instead of it.
public enum LowPass {
    /// Standard deviation of the blur as a share of the shorter side (2 pixels at 256).
    public static let relativeSigma = LowPassCore.relativeSigma

    /// The luma of `image`, blurred by `relativeSigma` of its shorter side, as a gray picture.
    ///
    /// Deterministic: the same pixels give the same bytes on every machine (integer-sized boxes, `Float`
    /// sums in a fixed order).
    public static func filtered(_ image: DecodedImage) -> DecodedImage {
        let (w, h) = LowPassCore.outputSize(width: image.width, height: image.height)
        let out = PixelBuffer(count: w * h)
        out.withUnsafeMutableBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self).baseAddress!
            image.withPixelView { LowPassCore.filter($0, into: bytes) }
        }
        return DecodedImage(width: w, height: h, layout: .gray8, format: image.format, fullWidth: w, fullHeight: h, pixels: out)
    }
}
