import NCCHashing

/// The hashes of one picture that the evaluation compares.
public struct ImageSignature: Sendable, Hashable {
    /// PDQ hash of the picture as given.
    public var pdq: PDQHash
    /// PDQ quality 0...100.
    public var quality: Int
    /// The eight PDQ dihedral variants (original, rotate90, rotate180, rotate270, flipX, flipY, flipPlus1, flipMinus1).
    public var dihedral: [PDQHash]
    /// pHash (imagehash-compatible).
    public var phash: Hash64
    /// dHash (imagehash-compatible).
    public var dhash: Hash64

    /// Makes a signature from hashes computed elsewhere (tests, stored results).
    public init(pdq: PDQHash, quality: Int, dihedral: [PDQHash], phash: Hash64, dhash: Hash64) {
        self.pdq = pdq
        self.quality = quality
        self.dihedral = dihedral
        self.phash = phash
        self.dhash = dhash
    }

    /// Hashes `image` with PDQ (with its dihedral variants), pHash and dHash, through `ImageHasher`
    /// (the path `nccmatch hash` takes).
    public init(of image: DecodedImage) {
        let hashes = ImageHasher.hashes(of: image, options: HashingOptions(pdqDihedral: true, unletterbox: false))
        pdq = hashes.pdq.hash
        quality = hashes.pdq.quality
        dihedral = hashes.pdq.dihedral
        phash = hashes.phash
        dhash = hashes.dhash
    }
}

/// What the bank holds for one original picture.
public struct BankEntry: Sendable, Hashable {
    /// The original's hashes.
    public var original: ImageSignature
    /// PDQ hashes of the eight rotated and mirrored copies of the original's pixels (rotate 0/90/180/270,
    /// mirror left-right, top-bottom, and both diagonals), for `pdqDihedralBankPixels`.
    public var pixelDihedral: [PDQHash]
    /// PDQ hash of the original with uniform borders stripped, nil when it has none.
    public var unletterboxed: PDQHash?
    /// PDQ hashes of the crop-augmentation crops (empty when crop augmentation is off).
    public var crops: [PDQHash]
    /// PDQ hashes of the original with its top and its bottom caption band painted over (`CaptionMask`).
    public var captionMasked: [PDQHash]
    /// PDQ hash of the original's luma after `LowPass.filtered`, nil when not computed.
    public var lowPassed: PDQHash?
    /// PDQ hashes of the original's centre crops to the platform ratios it does not already have
    /// (`CenterCrop`, `HashingOptions.centerCrops`), as a case stores them.
    public var centerCrops: [PDQHash]

    /// The PDQ hashes a case stores for this picture, as `MatchingPolicy.storedPDQ` chooses them: what
    /// `pdqRecommended` compares, so that the evaluation measures the policy `nccmatch case submit` runs.
    public let storedPDQ: [PDQHash]

    /// Makes an entry.
    ///
    /// - Parameter caseHashes: the picture's hashes as a case computes them (`MatchingPolicy.caseHashingOptions`);
    ///   when nil, the policy chooses among the other arguments.
    public init(original: ImageSignature, pixelDihedral: [PDQHash] = [], unletterboxed: PDQHash? = nil, crops: [PDQHash] = [], captionMasked: [PDQHash] = [], lowPassed: PDQHash? = nil,
                centerCrops: [PDQHash] = [], caseHashes: PDQCompanions? = nil, policy: MatchingPolicy = .standard) {
        self.centerCrops = centerCrops
        self.lowPassed = lowPassed
        self.original = original
        self.pixelDihedral = pixelDihedral
        self.unletterboxed = unletterboxed
        self.crops = crops
        self.captionMasked = captionMasked
        storedPDQ = policy.storedPDQ(caseHashes ?? PDQCompanions(
            pdq: original.pdq, pixelDihedral: pixelDihedral, unletterboxed: unletterboxed, captionMasked: captionMasked,
            lowPassed: lowPassed, centerCrops: centerCrops))
    }
}

/// The hashes of one transformed copy, as a platform would compute them.
public struct QueryCopy: Sendable, Hashable {
    /// Makes a copy's hashes; `unletterboxed` defaults to `plain` (no uniform borders).
    ///
    /// - Parameter queryHashes: the copy's hashes as a platform's query computes them
    ///   (`MatchingPolicy.queryHashingOptions`); when nil, the policy chooses among the other arguments.
    public init(plain: ImageSignature, unletterboxed: ImageSignature? = nil, captionMasked: [PDQHash] = [], lowPassed: PDQHash? = nil,
                queryHashes: PDQCompanions? = nil, policy: MatchingPolicy = .standard) {
        self.lowPassed = lowPassed
        self.plain = plain
        self.unletterboxed = unletterboxed ?? plain
        self.captionMasked = captionMasked
        sentKinded = policy.queryPDQKinds(queryHashes ?? PDQCompanions(
            pdq: plain.pdq, unletterboxed: unletterboxed.flatMap { $0 == plain ? nil : $0.pdq }, captionMasked: captionMasked,
            lowPassed: lowPassed), dihedral: false)
    }

    /// The PDQ hashes a platform's query sends for this copy with their kinds, as `MatchingPolicy.queryPDQKinds`
    /// chooses them: what `pdqRecommended` compares, each reaching as its kind does.
    public let sentKinded: [KindedPDQ]

    /// `sentKinded`'s hashes.
    public var sentPDQ: [PDQHash] { sentKinded.map(\.hash) }

    /// Hashes of the copy as it is.
    public var plain: ImageSignature
    /// Hashes of the copy after `Unletterbox.crop` (equal to `plain` when nothing was stripped).
    public var unletterboxed: ImageSignature
    /// PDQ of the copy with its top and its bottom caption band painted over (`CaptionMask`).
    public var captionMasked: [PDQHash]
    /// PDQ of the copy's luma after `LowPass.filtered`, nil when not computed.
    public var lowPassed: PDQHash?
}

/// A way of matching a copy against the bank: which hashes the bank holds, which the query sends,
/// and the distance that decides a match (the smallest over the combinations compared).
public enum MatchSignal: String, Sendable, Hashable, CaseIterable, Codable {
    /// PDQ, one hash on each side.
    case pdq
    /// PDQ, the query sends its 8 dihedral variants, the bank holds 1 hash per image.
    case pdqDihedral = "pdq-dihedral"
    /// PDQ, the bank holds the 8 dihedral variants of each image, the query sends 1 hash.
    case pdqDihedralBank = "pdq-dihedral-bank"
    /// PDQ, the bank stores the hashes of the 8 rotated/mirrored copies of each image's pixels
    /// (computed on the victim's machine); the query looks up 1 hash.
    case pdqDihedralBankPixels = "pdq-dihedral-bank-pixels"
    /// PDQ with dihedral queries of the copy with uniform borders stripped *instead of* the copy as it
    /// is; the bank holds the original as it is (unletterboxing on the platform's side only, replacing).
    case pdqUnletterboxReplaceQuery = "pdq-unletterbox-replace-query"
    /// PDQ with dihedral queries of the stripped copy, against the stripped original (unletterboxing on
    /// both sides, replacing the plain hash).
    case pdqUnletterboxReplaceBoth = "pdq-unletterbox-replace-both"
    /// PDQ with dihedral queries of the copy as it is and, when it has uniform borders, of the copy
    /// with them stripped (`--unletterbox`): up to 16 hashes looked up.
    case pdqDihedralUnletterbox = "pdq-dihedral-unletterbox"
    /// As `pdqDihedralUnletterbox`, and the bank also stores the hash of each image with its own uniform
    /// borders stripped (`nccmatch hash --unletterbox` on the victim's side): up to 2 hashes per image.
    case pdqDihedralUnletterboxBoth = "pdq-dihedral-unletterbox-both"
    /// The bank stores the 8 pixel-level rotated/mirrored hashes of each image plus its hash with
    /// uniform borders stripped (when it has any); the query looks up the copy as it is and with uniform
    /// borders stripped (2 hashes): `pdqRecommended` without the caption masks.
    case pdqPixelsUnletterbox = "pdq-pixels-unletterbox"
    /// The combination the report recommends and nccmatch runs (`MatchingPolicy`): `pdqPixelsUnletterbox`,
    /// and both sides add the hashes with the top and the bottom caption band painted over (`CaptionMask`) and
    /// the low-passed hash (`LowPass`), and the bank adds the centre crops to 1:1, 4:5 and 9:16 (`CenterCrop`);
    /// every query hash is compared with every hash of the entry, as one index holding them all does.
    case pdqRecommended = "pdq-recommended"
    /// PDQ with dihedral queries, and the bank also holds PDQ hashes of central crops of each image.
    case pdqDihedralCrops = "pdq-dihedral-crops"
    /// pHash, one hash on each side.
    case phash
    /// dHash, one hash on each side.
    case dhash

    /// Hash size in bits.
    public var bits: Int { self == .phash || self == .dhash ? 64 : 256 }

    /// The project's default match distance for the underlying hash (31 for PDQ, 8 for pHash and dHash).
    public var defaultDistance: Int { self == .phash ? HashAlgorithm.phash.defaultMaxDistance : self == .dhash ? HashAlgorithm.dhash.defaultMaxDistance : HashAlgorithm.pdq.defaultMaxDistance }

    /// Hashes stored in the bank per image.
    public func bankHashesPerImage(cropCount: Int) -> Int {
        switch self {
        case .pdqDihedralBank, .pdqDihedralBankPixels: 8
        case .pdqDihedralUnletterboxBoth: 2
        case .pdqPixelsUnletterbox: 9
        case .pdqRecommended: 15
        case .pdqDihedralCrops: 1 + cropCount
        default: 1
        }
    }

    /// Hashes looked up per query.
    public var queryHashesPerCopy: Int {
        switch self {
        case .pdqDihedral, .pdqDihedralCrops: 8
        case .pdqDihedralUnletterbox, .pdqDihedralUnletterboxBoth: 16
        case .pdqUnletterboxReplaceQuery, .pdqUnletterboxReplaceBoth: 8
        case .pdqPixelsUnletterbox: 2
        case .pdqRecommended: 5
        default: 1
        }
    }

    /// A one-line description for the report.
    public var summary: String {
        switch self {
        case .pdq: "PDQ, one hash per image and per query"
        case .pdqDihedral: "PDQ, the query looks up its 8 rotated/mirrored variants; 1 hash per image in the bank"
        case .pdqDihedralBank: "PDQ, the bank stores 8 rotated/mirrored variants per image; the query looks up 1 hash"
        case .pdqUnletterboxReplaceQuery: "PDQ with dihedral queries of the copy with uniform borders stripped instead of the copy; bank: the original as it is"
        case .pdqUnletterboxReplaceBoth: "PDQ with dihedral queries of the copy with uniform borders stripped; bank: the original with uniform borders stripped"
        case .pdqPixelsUnletterbox: "PDQ, the bank stores the 8 rotated/mirrored hashes of each image plus the image with uniform borders stripped; the query looks up the copy as is and with borders stripped"
        case .pdqRecommended: "PDQ as recommended: as pdq-pixels-unletterbox, and both sides add the picture with its top and with its bottom quarter painted over (caption masks) and its low-passed luma, and the bank its centre crops to 1:1, 4:5 and 9:16; the upload and the regions found in it against the picture's own stored PDQ and its stored companions, the masked and low-passed forms against the companions only; companions within \(MatchingPolicy.companionMaxDistance) bits"
        case .pdqDihedralBankPixels: "PDQ, the bank stores the hashes of the 8 rotated/mirrored copies of each image's pixels; the query looks up 1 hash"
        case .pdqDihedralUnletterboxBoth: "as pdq-dihedral-unletterbox, and the bank also stores each image with its own uniform borders stripped"
        case .pdqDihedralUnletterbox: "PDQ with dihedral queries of the copy and of the copy with uniform borders stripped (--unletterbox)"
        case .pdqDihedralCrops: "PDQ with dihedral queries; the bank also stores hashes of central crops of each image"
        case .phash: "pHash (imagehash), one hash per image and per query"
        case .dhash: "dHash (imagehash), one hash per image and per query"
        }
    }

    /// The matching distance between a copy and a bank entry: the smallest over the hashes compared.
    public func distance(_ query: QueryCopy, _ bank: BankEntry) -> Int {
        switch self {
        case .pdq:
            return query.plain.pdq.distance(to: bank.original.pdq)
        case .pdqDihedral:
            return Self.minimum(query.plain.dihedral, bank.original.pdq)
        case .pdqDihedralBank:
            return Self.minimum(bank.original.dihedral, query.plain.pdq)
        case .pdqDihedralUnletterbox:
            let plain = Self.minimum(query.plain.dihedral, bank.original.pdq)
            return query.unletterboxed == query.plain ? plain : min(plain, Self.minimum(query.unletterboxed.dihedral, bank.original.pdq))
        case .pdqDihedralBankPixels:
            return Self.minimum(bank.pixelDihedral, query.plain.pdq)
        case .pdqUnletterboxReplaceQuery:
            return Self.minimum(query.unletterboxed.dihedral, bank.original.pdq)
        case .pdqUnletterboxReplaceBoth:
            return Self.minimum(query.unletterboxed.dihedral, bank.unletterboxed ?? bank.original.pdq)
        case .pdqDihedralUnletterboxBoth:
            var best = Self.minimum(query.plain.dihedral, bank.original.pdq)
            if query.unletterboxed != query.plain { best = min(best, Self.minimum(query.unletterboxed.dihedral, bank.original.pdq)) }
            if let stripped = bank.unletterboxed {
                best = min(best, Self.minimum(query.plain.dihedral, stripped))
                if query.unletterboxed != query.plain { best = min(best, Self.minimum(query.unletterboxed.dihedral, stripped)) }
            }
            return best
        case .pdqRecommended:
            // What runs: every hash the policy has a query send against every hash it has a case store, each
            // reaching as its kind does (`MatchingPolicy.reach(ofSentKind:)`), as the service's index compares them.
            return MatchingPolicy.standard.matchDistance(sent: query.sentKinded, stored: bank.storedPDQ)
        case .pdqPixelsUnletterbox:
            var best = Self.minimum(bank.pixelDihedral, query.plain.pdq)
            let strippedQuery = query.unletterboxed != query.plain
            if strippedQuery { best = min(best, Self.minimum(bank.pixelDihedral, query.unletterboxed.pdq)) }
            if let stripped = bank.unletterboxed {
                best = min(best, stripped.distance(to: query.plain.pdq))
                if strippedQuery { best = min(best, stripped.distance(to: query.unletterboxed.pdq)) }
            }
            return best
        case .pdqDihedralCrops:
            var best = Self.minimum(query.plain.dihedral, bank.original.pdq)
            for crop in bank.crops where best > 0 { best = min(best, Self.minimum(query.plain.dihedral, crop)) }
            return best
        case .phash:
            return query.plain.phash.distance(to: bank.original.phash)
        case .dhash:
            return query.plain.dhash.distance(to: bank.original.dhash)
        }
    }

    @inline(__always)
    static func minimum(_ hashes: [PDQHash], _ other: PDQHash) -> Int {
        var best = 256
        for h in hashes { best = min(best, h.distance(to: other)) }
        return best
    }
}
