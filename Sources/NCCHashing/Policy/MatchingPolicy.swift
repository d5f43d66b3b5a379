/// Which hashes a case stores for a picture and which hashes a platform's query sends: the one decision
/// that `nccmatch case submit`, `nccmatch match`, `nccmatch hash --match-variants` and the robustness
/// evaluation (`nccmatch eval`) all take from here, so that what is measured is what runs.
///
/// A case stores, besides the picture's PDQ, pHash, dHash, MD5 and SHA-256: PDQ of the 8 rotated and
/// mirrored copies of its pixels, of the picture without uniform borders, with its top and with its
/// bottom caption band painted over, of its low-passed luma, of its centre crops to 1:1, 4:5 and 9:16, of the
/// picture straightened by +3 and -3 degrees and cropped (`StraightenCore`), and with its bottom-right quarter
/// painted over (`CornerMaskCore`). For a screenshot whose photo sits inside app chrome
/// (`PictureRegions.screenshotPhoto`), a case stores all of these computed on the photo alone *instead of* on the
/// screenshot: the screenshot's own hashes describe the app, and screenshots of other pictures in the same app
/// would match them.
/// A query sends its PDQ, the PDQ without uniform borders, the two caption-masked PDQs, the low-passed
/// PDQ and the PDQ with the bottom-right quarter painted over (with `dihedral`, also the DCT-domain rotations
/// and mirrors of the first two), and, when the upload
/// shows the picture inside something else, the PDQ of the photo rectangle of a screenshot and of each tile of
/// a collage (`PictureRegions`). How far each sent hash reaches depends on its kind (`reach(ofSentKind:)`): the
/// upload as it is and the regions found in it are compared with the picture's own stored PDQ at the full
/// distance and with its stored companions within `companionMaxDistance`; the masked and low-passed forms only
/// with the stored companions, within `companionMaxDistance` (`matchDistance`; docs/robustness.md gives the
/// measurements behind these choices).
public struct MatchingPolicy: Sendable, Hashable {
    /// The policy nccmatch uses everywhere.
    public static let standard = MatchingPolicy()

    /// PDQ quality (0-100) below which a picture cannot be matched reliably by its look: a case sends only
    /// its MD5 and SHA-256, and the bank refuses such a PDQ.
    public let minimumQuality: Int

    /// How near (PDQ bits) a PDQ of the same upload must come to a bank picture for a pHash or dHash match with
    /// that picture to count: 64-bit hashes at distance 8 are reachable by random search, 256-bit PDQ hashes are
    /// not. Different pictures of the shared corpus are at least 70 bits apart (docs/robustness.md); 50 leaves room
    /// for copies whose PDQ drifted past 31 while their pHash stayed close. The service applies it to every match
    /// (`/v1/match`), `nccmatch eval` counts against it.
    public static let pdqGateDistance = 50

    /// How near (PDQ bits) a query hash must come to one of a picture's stored *companions* (every PDQ a case
    /// stores for it but the first, the picture's own: `storedPDQ`'s order) for the match to count; the picture's
    /// own PDQ matches at the full distance (31 by default). A platform's copy that only a companion catches (a
    /// crop, a turn, a masked or low-passed form) lies within this of it far more often than not, while a
    /// different picture's 17 companions would otherwise give it 17 chances at 31 bits: on the shared corpus the
    /// closest different pictures move from 52 to 72 bits apart. It also keeps the index's cost near a bank of the
    /// pictures' own hashes alone: the companions, 16 of every 17.8 stored hashes, are searched within this
    /// distance, a fraction of the work at 31 (docs/robustness.md, "Companions within 21 bits").
    /// The service (`BankIndex`), `nccmatch eval` and `matchDistance` apply it; a narrower `max_distance` wins.
    public static let companionMaxDistance = 21

    /// Makes the policy; `standard` is the only one nccmatch uses.
    public init(minimumQuality: Int = 50) {
        self.minimumQuality = minimumQuality
    }

    /// The hashing a case needs for a picture: every companion it stores, without the DCT-domain dihedral
    /// variants (the stored pixel-level ones replace them).
    public func caseHashingOptions(mode: HashingMode = .fast) -> HashingOptions {
        var options = HashingOptions(mode: mode, pdqDihedral: false, unletterbox: true, pixelDihedral: true, captionMask: true, lowPass: true, centerCrops: true)
        options.straightenedCrops = true
        options.cornerMask = true
        options.photoRegionCase = true
        return options
    }

    /// The hashing a query needs for a picture.
    ///
    /// - Parameters:
    ///   - dihedral: also compute the DCT-domain rotations and mirrors (`nccmatch match --dihedral`).
    ///   - companions: compute the companion hashes a PDQ query sends; false for a query matched by pHash or
    ///     dHash alone, which needs only the plain hashes.
    public func queryHashingOptions(dihedral: Bool, companions: Bool = true, mode: HashingMode = .fast) -> HashingOptions {
        addingQueryCompanions(HashingOptions(mode: mode, pdqDihedral: dihedral), when: companions)
    }

    /// `options` with the companion hashes a query sends turned on (`nccmatch hash --match-variants`):
    /// the picture without uniform borders, caption-masked, low-passed and corner-masked, and the regions found
    /// inside it. Other settings are kept.
    public func addingQueryCompanions(_ options: HashingOptions, when enabled: Bool = true) -> HashingOptions {
        guard enabled else { return options }
        var options = options
        options.unletterbox = true
        options.captionMask = true
        options.lowPass = true
        options.pictureRegions = true
        options.cornerMask = true
        return options
    }

    /// The PDQ hashes a case stores for a picture, each once, the picture's own PDQ first.
    ///
    /// The companions are stored with the picture's own quality: stripping, masking or blurring lowers PDQ's
    /// score without making the picture plainer, and the evaluation measured no false match at distance 31
    /// between different pictures with them.
    public func storedPDQ(_ picture: PDQCompanions) -> [PDQHash] {
        storedPDQKinds(picture).map(\.hash)
    }

    /// The distance at which a query sending `sent` matches a picture whose case stores `stored` (in
    /// `storedPDQ`'s order, the picture's own PDQ first), as the service's index measures it: the smallest
    /// distance from a sent hash to a stored one that `counts` allows (each sent hash reaching as its kind
    /// does, `reach(ofSentKind:)`); 256 when none. A match counts at a distance `d` when this is `d` or less.
    public func matchDistance(sent: [KindedPDQ], stored: [PDQHash]) -> Int {
        var best = 256
        for q in sent where best > 0 {
            let reach = Self.reach(ofSentKind: q.kind)
            for (k, s) in stored.enumerated() {
                let d = q.hash.distance(to: s)
                if d < best && reach.counts(distance: d, storedAt: k) { best = d }
            }
        }
        return best
    }

    /// `matchDistance` for hashes sent as the upload as it is (kind `pdq`, as a platform that sends no kinds).
    public func matchDistance(sent: [PDQHash], stored: [PDQHash]) -> Int {
        matchDistance(sent: sent.map { KindedPDQ(kind: "pdq", hash: $0) }, stored: stored)
    }

    /// The kinds whose hashes a query sends only to meet a case's companion of the same making: the caption
    /// masks, the low-passed form and the corner masks (the upload's and its photo region's). Compared with a
    /// picture's own PDQ as well they found nothing more on the shared corpus at 21 bits and little at 31 (one
    /// picture in 87 on 96-pixel thumbnails and on brightness +20), at the cost of a search of every picture's own
    /// hash for each (docs/robustness.md, "What each sent kind is compared with").
    public static let companionOnlyKinds: Set<String> = [
        "caption-masked-top", "caption-masked-bottom", "low-passed", "corner-masked-bottom-right", "photo-region-corner-masked",
    ]

    /// How far a hash a query sends reaches, by its kind (`queryPDQKinds`' names; nil, as a platform that sends
    /// no kinds, is `pdq`, the upload as it is): `companionOnlyKinds` only the stored companions, within
    /// `companionMaxDistance`; every other kind (the upload, its unletterboxed form, its DCT-domain variants, the
    /// photo region and collage tiles found in it) the picture's own stored PDQ at the full distance too.
    /// A narrower distance asked for still wins.
    public static func reach(ofSentKind kind: String?) -> SentReach {
        guard let kind, companionOnlyKinds.contains(kind) else { return .full }
        return .companionsOnly
    }

    /// Whether `kind` is a name `queryPDQKinds` gives (the service refuses other kinds on a match item).
    public static func isQueryKind(_ kind: String) -> Bool {
        if kind == "pdq" || kind == "unletterboxed" || kind == "photo-region" || companionOnlyKinds.contains(kind) { return true }
        for prefix in ["dct-", "unletterboxed-dct-"] where kind.hasPrefix(prefix) {
            return PDQCompanions.dihedralNames.dropFirst().contains(String(kind.dropFirst(prefix.count)))
        }
        if kind.hasPrefix("collage-tile-"), let n = Int(kind.dropFirst("collage-tile-".count)), n >= 1, n <= 16 { return true }
        return false
    }

    /// `storedPDQ` with the kind of each hash (`nccmatch hash --set case`): `pdq`, `pixel-rotate90` and the
    /// other pixel-level variants, `unletterboxed`, `caption-masked-top`, `caption-masked-bottom`, `low-passed`,
    /// `center-crop-1:1` and the other ratios, `straightened+3`, `straightened-3`, `corner-masked-bottom-right`.
    /// A hash equal to an earlier one is listed once, under the first kind.
    ///
    /// For a screenshot with its photo in app chrome (`PDQCompanions.photoRegionCase`), the same list computed on
    /// the photo alone *replaces* the screenshot's, each kind prefixed `photo-region` (`photo-region`,
    /// `photo-region-pixel-rotate90`, ...): a re-shared screenshot still matches through the photo region its
    /// query sends, and screenshots of other pictures in the same app do not match the chrome.
    public func storedPDQKinds(_ picture: PDQCompanions) -> [KindedPDQ] {
        if let photo = picture.photoRegionCase.first {
            return storedPDQKinds(photo).map { KindedPDQ(kind: $0.kind == "pdq" ? "photo-region" : "photo-region-" + $0.kind, hash: $0.hash) }
        }
        var all = [KindedPDQ(kind: "pdq", hash: picture.pdq)]
        all += picture.pixelDihedral.enumerated().map { KindedPDQ(kind: "pixel-" + PDQCompanions.dihedralNames[min($0.offset, 7)], hash: $0.element) }
        if let stripped = picture.unletterboxed { all.append(KindedPDQ(kind: "unletterboxed", hash: stripped)) }
        all += picture.captionMasked.enumerated().map { KindedPDQ(kind: $0.offset == 0 ? "caption-masked-top" : "caption-masked-bottom", hash: $0.element) }
        if let lowPassed = picture.lowPassed { all.append(KindedPDQ(kind: "low-passed", hash: lowPassed)) }
        all += picture.centerCrops.enumerated().map { i, hash in
            KindedPDQ(kind: i < picture.centerCropAspects.count ? "center-crop-\(picture.centerCropAspects[i])" : "center-crop", hash: hash)
        }
        all += picture.straightened.enumerated().map { i, hash in
            guard i < picture.straightenedDegrees.count else { return KindedPDQ(kind: "straightened", hash: hash) }
            let degrees = picture.straightenedDegrees[i]
            return KindedPDQ(kind: "straightened" + (degrees < 0 ? "\(degrees)" : "+\(degrees)"), hash: hash)
        }
        if let corner = picture.cornerMasked { all.append(KindedPDQ(kind: "corner-masked-bottom-right", hash: corner)) }
        var seen: Set<PDQHash> = []
        return all.filter { seen.insert($0.hash).inserted }
    }

    /// The pHash and dHash a case stores for a picture hashed with `caseHashingOptions`: its own, or for a
    /// screenshot whose photo sits in app chrome (`ImageHashes.photoRegionCase`) the photo's, as its PDQ set is
    /// (`photoRegion` true): screenshots of different pictures in one app have their whole-screen pHash within 8
    /// far more often than their PDQ within 31 (`nccmatch eval`'s same-chrome figures, docs/robustness.md).
    public func storedHash64(_ hashes: ImageHashes) -> (phash: Hash64, dhash: Hash64, photoRegion: Bool) {
        if let photo = hashes.photoRegionCase.first { return (photo.phash, photo.dhash, true) }
        return (hashes.phash, hashes.dhash, false)
    }

    /// The PDQ hashes a query sends for a picture, in this order: its PDQ; with `dihedral` its other seven
    /// DCT-domain variants; its PDQ without uniform borders (when it has such borders) and with `dihedral`
    /// that one's other seven variants; its caption-masked top and bottom; its low-passed PDQ; its PDQ with the
    /// bottom-right quarter painted over; the PDQ of the
    /// photo rectangle found inside it (a screenshot), of that rectangle with its bottom-right quarter painted over
    /// (where a chat app writes the time), and of its collage tiles, largest first, each hash once.
    ///
    /// Centre crops, straightened crops and pixel-level rotations are stored by a case and never sent by a query; collage tiles
    /// are sent by a query and never stored; a photo region is sent by a query, and a case stores the hashes of a
    /// screenshot's photo in place of the screenshot's (`storedPDQKinds`; the person's page does the same, `CaseHashSet.photoRegionCase`).
    public func queryPDQ(_ picture: PDQCompanions, dihedral: Bool) -> [PDQHash] {
        queryPDQKinds(picture, dihedral: dihedral).map(\.hash)
    }

    /// `queryPDQ` with the kind of each hash (`nccmatch hash --set query`): `pdq`, `dct-rotate90` and the other
    /// DCT-domain variants, `unletterboxed` (and `unletterboxed-dct-...`), `caption-masked-top`,
    /// `caption-masked-bottom`, `low-passed`, `corner-masked-bottom-right`, `photo-region`,
    /// `photo-region-corner-masked`, `collage-tile-1` and the other tiles.
    public func queryPDQKinds(_ picture: PDQCompanions, dihedral: Bool) -> [KindedPDQ] {
        func variants(_ list: [PDQHash], prefix: String) -> [KindedPDQ] {
            list.enumerated().dropFirst().map { KindedPDQ(kind: prefix + PDQCompanions.dihedralNames[min($0.offset, 7)], hash: $0.element) }
        }
        let regions = (picture.photoRegion.map { [KindedPDQ(kind: "photo-region", hash: $0)] } ?? [])
            + (picture.photoRegionCornerMasked.map { [KindedPDQ(kind: "photo-region-corner-masked", hash: $0)] } ?? [])
            + picture.collageTiles.enumerated().map { KindedPDQ(kind: "collage-tile-\($0.offset + 1)", hash: $0.element) }
        var sent = [KindedPDQ(kind: "pdq", hash: picture.pdq)]
        if dihedral { sent += variants(picture.dihedral, prefix: "dct-") }
        if let stripped = picture.unletterboxed {
            sent.append(KindedPDQ(kind: "unletterboxed", hash: stripped))
            if dihedral { sent += variants(picture.unletterboxedDihedral, prefix: "unletterboxed-dct-") }
        }
        sent += picture.captionMasked.enumerated().map { KindedPDQ(kind: $0.offset == 0 ? "caption-masked-top" : "caption-masked-bottom", hash: $0.element) }
        if let lowPassed = picture.lowPassed { sent.append(KindedPDQ(kind: "low-passed", hash: lowPassed)) }
        if let corner = picture.cornerMasked { sent.append(KindedPDQ(kind: "corner-masked-bottom-right", hash: corner)) }
        for region in regions where !sent.contains(where: { $0.hash == region.hash }) { sent.append(region) }
        return sent
    }
}

/// How far a hash a query sends reaches into a picture's stored PDQ (`MatchingPolicy.reach(ofSentKind:)`).
public struct SentReach: Sendable, Hashable {
    /// Whether it is compared with a picture's own stored PDQ (and with imported hashes), at the full distance.
    public var own: Bool
    /// How near (bits) it must come to a stored companion: `MatchingPolicy.companionMaxDistance`.
    public var companions: Int

    /// The upload as it is, and the regions found in it: the own PDQ at the full distance, companions within 21.
    public static let full = SentReach(own: true, companions: MatchingPolicy.companionMaxDistance)
    /// Masked and low-passed forms: the stored companions only, within 21.
    public static let companionsOnly = SentReach(own: false, companions: MatchingPolicy.companionMaxDistance)

    /// Makes a value from its parts.
    public init(own: Bool, companions: Int) {
        self.own = own
        self.companions = companions
    }

    /// Whether a sent hash `distance` bits from the stored hash at `position` of a picture's stored list (the
    /// picture's own PDQ first) can count as a match.
    public func counts(distance: Int, storedAt position: Int) -> Bool {
        position == 0 ? own : distance <= companions
    }
}

/// One PDQ hash the policy stores or sends, with what it is a hash of (`nccmatch hash --set`).
public struct KindedPDQ: Sendable, Hashable {
    /// What the hash is of: `pdq` (the picture as it is), or the companion's name.
    public var kind: String
    /// The hash.
    public var hash: PDQHash

    /// Makes a value from its parts.
    public init(kind: String, hash: PDQHash) {
        self.kind = kind
        self.hash = hash
    }
}

/// The PDQ hashes of one picture that the matching policy chooses from, however they were obtained: hashed
/// now (`init(_:)`) or read back from a hash list that `nccmatch hash` wrote.
public struct PDQCompanions: Sendable, Hashable {
    /// PDQ of the picture as it is.
    public var pdq: PDQHash
    /// Its DCT-domain rotations and mirrors, the identity first; empty when not computed.
    public var dihedral: [PDQHash]
    /// PDQ of the 8 rotated and mirrored copies of its pixels, the identity first; empty when not computed.
    public var pixelDihedral: [PDQHash]
    /// PDQ of the picture without its uniform borders; nil when it has none or when not computed.
    public var unletterboxed: PDQHash?
    /// The DCT-domain rotations and mirrors of `unletterboxed`, the identity first; empty when not computed.
    public var unletterboxedDihedral: [PDQHash]
    /// PDQ with the top, then the bottom caption band painted over; empty when not computed.
    public var captionMasked: [PDQHash]
    /// PDQ of the low-passed luma; nil when not computed.
    public var lowPassed: PDQHash?
    /// PDQ of the centre crops to the platform ratios the picture does not already have; empty when not computed.
    public var centerCrops: [PDQHash]
    /// The ratios of `centerCrops`, in their order, when known (names them in `nccmatch hash --set case`).
    public var centerCropAspects: [CenterCrop.Aspect] = []
    /// PDQ of the photo rectangle found inside the picture (a screenshot's photo); nil when none or not computed.
    public var photoRegion: PDQHash?
    /// PDQ of that photo rectangle with its bottom-right quarter painted over (a chat app's time stamp); nil when
    /// there is no photo region or when not computed.
    public var photoRegionCornerMasked: PDQHash?
    /// Whether that photo sits in app chrome with text or icons (`PictureRegions.isInChrome`); reported, not
    /// yet used: sending only the regions for such uploads lost captioned copies (docs/robustness.md).
    public var photoRegionInChrome: Bool = false
    /// PDQ of the picture's collage tiles, largest first; empty when it is not a collage or when not computed.
    public var collageTiles: [PDQHash]
    /// PDQ of the picture straightened by a few degrees and cropped (`StraightenCore`); empty when not computed.
    public var straightened: [PDQHash] = []
    /// The angles of `straightened` in degrees counterclockwise, in their order, when known (names them in
    /// `nccmatch hash --set case`).
    public var straightenedDegrees: [Int] = []
    /// PDQ with the bottom-right quarter painted over (`CornerMaskCore`); nil when not computed.
    public var cornerMasked: PDQHash?
    /// The same hashes of the photo inside a screenshot's app chrome (`PictureRegions.screenshotPhoto`), at most
    /// one; a case stores them instead of the screenshot's (`MatchingPolicy.storedPDQKinds`). Empty when the
    /// picture is not such a screenshot or when not computed.
    public var photoRegionCase: [PDQCompanions] = []

    /// Makes a value from its parts (a hash list's fields); what is not given was not computed.
    public init(pdq: PDQHash, dihedral: [PDQHash] = [], pixelDihedral: [PDQHash] = [], unletterboxed: PDQHash? = nil,
                unletterboxedDihedral: [PDQHash] = [], captionMasked: [PDQHash] = [], lowPassed: PDQHash? = nil, centerCrops: [PDQHash] = [],
                photoRegion: PDQHash? = nil, collageTiles: [PDQHash] = []) {
        self.photoRegion = photoRegion
        self.collageTiles = collageTiles
        self.pdq = pdq
        self.dihedral = dihedral
        self.pixelDihedral = pixelDihedral
        self.unletterboxed = unletterboxed
        self.unletterboxedDihedral = unletterboxedDihedral
        self.captionMasked = captionMasked
        self.lowPassed = lowPassed
        self.centerCrops = centerCrops
    }

    /// The PDQ hashes of a picture hashed by `ImageHasher`.
    public init(_ hashes: ImageHashes) {
        self.init(
            pdq: hashes.pdq.hash, dihedral: hashes.pdq.dihedral, pixelDihedral: hashes.pdqPixelDihedral,
            unletterboxed: hashes.unletterboxed?.pdq.hash, unletterboxedDihedral: hashes.unletterboxed?.pdq.dihedral ?? [],
            captionMasked: hashes.captionMasked.map { [$0.top.hash, $0.bottom.hash] } ?? [],
            lowPassed: hashes.lowPassed?.hash, centerCrops: hashes.centerCrops.map(\.pdq.hash),
            photoRegion: hashes.photoRegion?.hash, collageTiles: hashes.collageTiles.map(\.hash))
        centerCropAspects = hashes.centerCrops.map(\.aspect)
        photoRegionInChrome = hashes.photoRegionInChrome
        photoRegionCornerMasked = hashes.photoRegionCornerMasked?.hash
        straightened = hashes.straightened.map(\.pdq.hash)
        straightenedDegrees = hashes.straightened.map(\.degrees)
        cornerMasked = hashes.cornerMasked?.hash
        photoRegionCase = hashes.photoRegionCase.map(PDQCompanions.init)
    }

    /// Names of the 8 dihedral variants in the order of `dihedral` and `pixelDihedral`.
    public static let dihedralNames = ["identity", "rotate90", "rotate180", "rotate270", "flip-x", "flip-y", "flip-plus1", "flip-minus1"]
}
