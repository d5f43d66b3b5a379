extension ImageHasher {
    /// With `options.photoRegionCase`, adds to `hashes` the hashes of the photo inside the picture's app chrome
    /// (`PictureRegions.screenshotPhoto`), computed with the same options on a copy of that rectangle: what a
    /// case stores for a screenshot instead of the screenshot's own hashes (`MatchingPolicy.storedPDQKinds`).
    /// Nothing is added for a picture that is not such a screenshot. The person's page computes the same set in
    /// WebAssembly (NCCHashCore's `CaseHashSet.photoRegionCase`, over the same `PictureRegionsCore` search).
    static func addPhotoRegionCase(to hashes: inout ImageHashes, of image: DecodedImage, options: HashingOptions) {
        guard options.photoRegionCase, let region = PictureRegions.screenshotPhoto(of: image) else { return }
        var inner = options
        inner.photoRegionCase = false
        inner.pictureRegions = false
        hashes.photoRegionCase = [ImageHasher.hashes(of: PictureRegions.cut(image, region), options: inner)]
    }
}
