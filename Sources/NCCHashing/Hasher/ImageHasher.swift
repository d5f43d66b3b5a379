import NCCHashCore

/// Computes every hash nccmatch knows from an image's bytes, in one pass over the decoded pixels.
///
/// This is the entry point for hashing: the CLI, the service's client commands and platforms'
/// pipelines all come here. Decoded pixels live only in wiped `PixelBuffer`s and are gone when
/// the call returns; nothing is written, logged or cached.
public enum ImageHasher {
    /// Decodes `bytes` (JPEG or PNG, detected from the content) and computes PDQ, pHash and dHash.
    /// - Throws: `ImageDecodingError` for unsupported, corrupt, truncated or oversized images.
    public static func hashImage(_ bytes: UnsafeRawBufferPointer, options: HashingOptions = .init()) throws(ImageDecodingError) -> ImageHashes {
        let image = try ImageDecoder.decode(bytes, options: options.decodeOptions)
        return hashes(of: image, options: options)
    }

    /// Computes PDQ, pHash and dHash of pixels that are already decoded (and, as `options` ask,
    /// the pixel-domain dihedral PDQ, the hashes with uniform borders stripped, the caption-masked, the low-passed, the centre-cropped, the straightened and the corner-masked PDQ).
    public static func hashes(of image: DecodedImage, options: HashingOptions = .init()) -> ImageHashes {
        let pdq = PDQHasher.hash(image, dihedral: options.pdqDihedral)
        let perceptual = PerceptualHasher.hashes(image)
        var hashes = ImageHashes(
            pdq: pdq, phash: perceptual.phash, dhash: perceptual.dhash,
            width: image.fullWidth, height: image.fullHeight, format: image.format
        )
        addCompanions(to: &hashes, of: image, options: options)
        addPhotoRegionCase(to: &hashes, of: image, options: options)
        return hashes
    }

    /// Digests and, when the bytes are a supported image, perceptual hashes.
    public static func hashFile(_ bytes: UnsafeRawBufferPointer, options: HashingOptions = .init()) -> FileHashResult {
        let digests = FileDigests.of(bytes)
        do {
            return FileHashResult(digests: digests, image: .success(try hashImage(bytes, options: options)))
        } catch {
            return FileHashResult(digests: digests, image: .failure(error))
        }
    }
}
