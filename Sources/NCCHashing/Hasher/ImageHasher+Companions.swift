import NCCHashCore

extension ImageHasher {
    /// Whether `options` asks for any hash besides the plain PDQ, pHash and dHash.
    static func wantsCompanions(_ options: HashingOptions) -> Bool {
        options.pixelDihedral || options.unletterbox || options.captionMask || options.lowPass || options.centerCrops
            || options.straightenedCrops || options.cornerMask || options.pictureRegions
    }

    /// Adds to `hashes` every companion hash `options` asks for (the pixel-level dihedral variants, the picture
    /// without uniform borders, caption-masked, low-passed, centre-cropped, straightened, corner-masked, and the
    /// photo region and collage tiles found inside it).
    ///
    /// PDQ's float luma of the picture is computed once, into one plane, and every companion that keeps the
    /// picture's axes reads it: cuts (borders stripped, centre crops, the photo region, collage tiles) as
    /// rectangles of the plane, masks as rows of it with a band painted over, the low-pass filter as its input.
    /// No copy of the picture's pixels is made. Each hash is bit for bit the one `PDQHasher.hash` gives for a
    /// copy cut, masked or filtered from the pixels (the rows PDQ reads are the same floats), as NCCHashCore's
    /// `CaseHashSet` does for the person's page.
    /// - Warning: Memory: one luma plane of 4 bytes a pixel beside the decoded pixels while the companions are
    ///   computed (then, with `pixelDihedral`, the transposed plane in its place).
    static func addCompanions(to hashes: inout ImageHashes, of image: DecodedImage, options: HashingOptions) {
        guard wantsCompanions(options) else { return }
        let regions = options.pictureRegions ? PictureRegions.regions(of: image) : (photo: nil, tiles: [])
        image.withPixelView { view in
            var turned = Array(repeating: PDQWords.zero, count: 8)
            let minimum = PDQCore.minimumDimension
            let large = view.width >= minimum && view.height >= minimum
            let plane = PDQCore.lumaPlane(of: view)
            let luma = UnsafePointer(plane.pointer(to: Float.self))
            let w = view.width
            let whole = PDQPlaneRows(base: luma, width: w, height: view.height)
            // PDQ of a rectangle of the plane standing for `fullWidth` x `fullHeight` pixels: what `PDQHasher.hash`
            // gives for a copy of the same rectangle.
            func hash(_ r: PixelRect, fullWidth: Int, fullHeight: Int, dihedral: Bool = false) -> PDQResult {
                guard r.width >= minimum, r.height >= minimum else { return PDQResult(PDQCore.degenerate(dihedral: dihedral)) }
                let rows = PDQPlaneRows(base: luma + r.y * w + r.x, width: r.width, height: r.height, rowStride: w)
                let scaled = r.width < fullWidth || r.height < fullHeight
                return PDQResult(PDQCore.hash(rows: rows, fullSize: scaled ? (width: fullWidth, height: fullHeight) : nil, dihedral: dihedral))
            }
            func rect(_ b: Unletterbox.Bounds) -> PixelRect { PixelRect(x: b.x, y: b.y, width: b.width, height: b.height) }

            if options.pixelDihedral && large {
                PDQCore.pixelDihedralHashes(view, plane: luma, transposed: false, into: &turned)
            }
            let kept = options.unletterbox ? UnletterboxCore.bounds(of: view) : PixelRect(x: 0, y: 0, width: w, height: view.height)
            if kept.width < w || kept.height < view.height {
                // `UnletterboxCore.stripped(view)`, from the bounds found once.
                let full = UnletterboxCore.fullSize(of: kept, in: view)
                let stripped = view.cropped(to: kept, fullWidth: full.width, fullHeight: full.height)
                let perceptual = PerceptualCore.hashes(stripped, axis: LanczosAxisCache.shared.axis)
                hashes.unletterboxed = ImageHashes.Unletterboxed(
                    pdq: hash(kept, fullWidth: stripped.fullWidth, fullHeight: stripped.fullHeight, dihedral: options.pdqDihedral),
                    phash: Hash64(perceptual.phash), dhash: Hash64(perceptual.dhash),
                    width: stripped.fullWidth, height: stripped.fullHeight)
            }
            // The query and the case both paint the caption bands and the corner: their fills come from one pass.
            let masks = options.captionMask && options.cornerMask && large ? PDQCore.hashCaptionAndCornerMasked(view, rows: whole) : nil
            if let masks {
                hashes.captionMasked = ImageHashes.CaptionMasked(top: PDQResult(masks.top), bottom: PDQResult(masks.bottom))
                hashes.cornerMasked = PDQResult(masks.corner)
            } else if options.captionMask {
                func masked(_ edge: CaptionMaskCore.Edge) -> PDQResult {
                    guard large else { return PDQResult(PDQCore.degenerate(dihedral: false)) }
                    let band = CaptionMaskCore.band(height: view.height, edge: edge)
                    return PDQResult(PDQCore.hashCaptionMasked(view, rows: whole, painted: band.painted, kept: band.kept))
                }
                hashes.captionMasked = ImageHashes.CaptionMasked(top: masked(.top), bottom: masked(.bottom))
            }
            if options.lowPass {
                let low = LowPassCore.filtered(whole)
                hashes.lowPassed = PDQResult(PDQCore.hash(low.view, dihedral: false))
                withExtendedLifetime(low.buffer) {}
            }
            if options.centerCrops {
                hashes.centerCrops = CenterCrop.Aspect.standard.compactMap { aspect in
                    CenterCropCore.crop(of: view, aspectWidth: aspect.width, aspectHeight: aspect.height).map {
                        ImageHashes.CenterCropped(aspect: aspect, pdq: hash($0.rect, fullWidth: $0.fullWidth, fullHeight: $0.fullHeight))
                    }
                }
            }
            if options.straightenedCrops {
                let straight = large
                    ? PDQCore.hashStraightened(view, plane: luma, degrees: StraightenCore.standardDegrees)
                    : StraightenCore.standardDegrees.map { _ in PDQCore.degenerate(dihedral: false) }
                hashes.straightened = zip(StraightenCore.standardDegrees, straight).map { ImageHashes.Straightened(degrees: $0, pdq: PDQResult($1)) }
            }
            if options.cornerMask && masks == nil {
                hashes.cornerMasked = PDQResult(large ? PDQCore.hashCornerMasked(view, rows: whole) : PDQCore.degenerate(dihedral: false))
            }
            if let region = regions.photo {
                let full = PictureRegions.fullSize(of: region, in: image)
                hashes.photoRegion = hash(rect(region), fullWidth: full.width, fullHeight: full.height)
                hashes.photoRegionInChrome = PictureRegions.isInChrome(region, of: image)
                if options.cornerMask {
                    hashes.photoRegionCornerMasked = PDQResult(PDQCore.hashCornerMasked(view.cropped(to: rect(region), fullWidth: full.width, fullHeight: full.height)))
                }
            }
            hashes.collageTiles = regions.tiles.map { tile in
                let full = PictureRegions.fullSize(of: tile, in: image)
                return hash(rect(tile), fullWidth: full.width, fullHeight: full.height)
            }
            withExtendedLifetime(plane) {}
            if options.pixelDihedral {
                if large {
                    // The first plane is released; the transposed one takes its place for the quarter turns.
                    let transposed = PDQCore.transposedLumaPlane(of: view)
                    PDQCore.pixelDihedralHashes(view, plane: UnsafePointer(transposed.pointer(to: Float.self)), transposed: true, into: &turned)
                    withExtendedLifetime(transposed) {}
                }
                hashes.pdqPixelDihedral = turned.map(PDQHash.init)
            }
        }
    }
}
