/// The measured robustness of every matching signal on a corpus: what `nccmatch eval` writes as JSON.
public struct RobustnessReport: Sendable, Codable {
    /// The corpus as evaluated.
    public struct CorpusSummary: Sendable, Codable {
        /// Pictures listed.
        public var images: Int
        /// Pictures evaluated (decoded, PDQ quality at least `Settings.minimumQuality`).
        public var evaluated: Int
        /// Scene groups among the evaluated pictures.
        public var sceneGroups: Int
        /// Pictures left out, with the reason (an error code, or `low_quality` for PDQ quality under
        /// `Settings.minimumQuality`; the bank refuses quality under 50).
        public var skipped: [SkippedImage]
        /// Ordered pairs (query picture, bank picture) of different scene groups compared for false matches.
        public var differentImagePairs: Int
        /// Copies that could not be made (transform failures), by transform.
        public var failedCopies: [String: Int]
    }

    /// A picture left out of the evaluation.
    public struct SkippedImage: Sendable, Codable, Hashable {
        /// Its name in the corpus.
        public var file: String
        /// Why: a decoding error code or `low_quality`.
        public var reason: String
    }

    /// Settings the evaluation ran with.
    public struct Settings: Sendable, Codable {
        /// `fast` or `exact` (how originals are decoded for the bank; see `EvaluationOptions.Mode`).
        public var mode: String
        /// Transform names, in report order.
        public var transforms: [String]
        /// Per-channel tolerance of `Unletterbox`.
        public var unletterboxThreshold: Int
        /// Central crops stored by crop augmentation, as the share cut from each side.
        public var cropAugmentation: [Double]
        /// Worker count.
        public var jobs: Int
        /// Pictures whose original's PDQ quality is below this were left out.
        public var minimumQuality: Int
    }

    /// Recall of one signal on one transform.
    public struct TransformRecall: Sendable, Codable {
        /// Transform name.
        public var transform: String
        /// Its description.
        public var summary: String
        /// Copies compared with their original.
        public var copies: Int
        /// Share matched at the signal's default distance.
        public var recallAtDefault: Double
        /// Share matched at the signal's recommended distance (0 when none is recommended).
        public var recallAtRecommended: Double
        /// Smallest distance matching at least 99% of the copies.
        public var distanceFor99: Int?
        /// Median distance between copy and original.
        public var medianDistance: Int?
        /// Largest distance between copy and original.
        public var maxDistance: Int?
        /// `histogram[d]`: copies at distance exactly `d`, up to `maxDistance` (later entries would be 0).
        public var histogram: [Int]
    }

    /// False matches of one signal between different pictures.
    public struct FalseMatches: Sendable, Codable {
        /// Comparisons made (copy of one picture against the bank entry of a different one).
        public var comparisons: Int
        /// Smallest distance seen between different pictures.
        public var smallestDistance: Int?
        /// False matches at the default distance.
        public var countAtDefault: Int
        /// False matches at the recommended distance (0 by construction unless the default is kept despite them).
        public var countAtRecommended: Int
        /// `countAtOrBelow[d]`: comparisons at distance `d` or less.
        public var countAtOrBelow: [Int]
    }

    /// Everything measured for one signal.
    public struct SignalReport: Sendable, Codable {
        /// Signal name, e.g. `pdq-dihedral`.
        public var id: String
        /// Its description.
        public var summary: String
        /// Hash size in bits.
        public var bits: Int
        /// The project's default distance for this hash.
        public var defaultDistance: Int
        /// The distance the report recommends: the default, lowered when needed so that no two different
        /// pictures of the corpus match; nil when different pictures match even at distance 0 (the signal
        /// is then not recommended).
        public var recommendedDistance: Int?
        /// Hashes the bank stores per picture.
        public var bankHashesPerImage: Int
        /// Hashes looked up per query.
        public var queryHashesPerCopy: Int
        /// Recall per transform.
        public var transforms: [TransformRecall]
        /// False matches over every copy (all transforms) against different pictures.
        public var falseMatches: FalseMatches
        /// False matches of unmodified originals against different pictures.
        public var falseMatchesOriginals: FalseMatches
        /// Recall over all transforms together, at each distance 0...bits.
        public var tradeOff: [TradeOffPoint]
        /// Bits between the closest pair of different pictures and the recommended distance (the default when
        /// none is recommended): how far a false match is from happening; nil when nothing was compared.
        public var marginBits: Int? = nil
        /// For the recommended policy: the PDQ hashes a case stored per picture, measured (mean).
        public var measuredBankHashesPerImage: Double? = nil
        /// For the recommended policy: the PDQ hashes a query sent per copy over every transform, measured (mean).
        public var measuredQueryHashesPerCopy: Double? = nil
        /// For the recommended policy: the PDQ hashes a query sent for an unmodified picture, measured (mean).
        public var measuredQueryHashesPerUpload: Double? = nil
    }

    /// Screenshots of different pictures in the same app chrome compared with each other: each screenshot's
    /// query (every hash the policy sends) against the hashes a case would store had the *other* picture's
    /// screenshot been banked, for every pair of different scenes.
    public struct SameChrome: Sendable, Codable {
        /// The screenshot transforms compared (each only with itself).
        public var transforms: [String]
        /// Pairs compared.
        public var comparisons: Int
        /// Closest pair by the screenshots' plain PDQ (what the shared chrome does to plain hashes).
        public var smallestPlainPDQ: Int?
        /// Closest pair by the recommended policy (every sent hash against every stored hash).
        public var smallestRecommended: Int?
        /// Pairs within PDQ's default distance by the recommended policy (false matches).
        public var countAtDefault: Int
        /// Pairs where the query's pHash (the whole screenshot's) lies within pHash's default distance of the pHash a
        /// case stores for the other screenshot (`MatchingPolicy.storedHash64`).
        public var phashCountAtDefault: Int = 0
        /// The same for dHash.
        public var dhashCountAtDefault: Int = 0
        /// Pairs within pHash's or dHash's default distance whose closest PDQ (sent against stored) is within the service's
        /// gate (50 bits): the only ones where a pHash or dHash match would be reported. 0 means these signals add no
        /// same-chrome false match.
        public var phashDHashPastGate: Int = 0
        /// Those pairs, closest first: which pictures, and which sent and stored kinds came closest (no hashes).
        public var pairsAtDefault: [SameChromePair] = []
    }

    /// One pair of screenshots of different pictures in the same chrome that the recommended policy matches.
    public struct SameChromePair: Sendable, Codable {
        /// The screenshot transform (the app's chrome).
        public var transform: String
        /// The corpus file whose screenshot was sent as a query.
        public var query: String
        /// The kind of the sent hash that came closest (`MatchingPolicy.queryPDQKinds`).
        public var queryKind: String
        /// The corpus file whose screenshot a case stored.
        public var stored: String
        /// The kind of the stored hash that came closest (`MatchingPolicy.storedPDQKinds`).
        public var storedKind: String
        /// Their PDQ distance, in bits.
        public var distance: Int
    }

    /// How pictures were grouped into scenes when the corpus had no MANIFEST.tsv.
    public struct Clustering: Sendable, Codable {
        /// The rule, in words.
        public var method: String
        /// Groups of two or more pictures.
        public var clusters: Int
        /// Pictures in those groups.
        public var picturesInClusters: Int
    }

    /// What the dihedral strategies cost on the victim's side, per original picture (mean over the corpus,
    /// measured while the evaluation ran on every core, so slower than on an idle machine).
    public struct Timing: Sendable, Codable {
        /// Milliseconds to hash one original for the bank in the chosen mode (PDQ with its 8 DCT-domain
        /// variants, pHash, dHash).
        public var bankHashMilliseconds: Double
        /// Milliseconds to rotate/mirror the original's pixels and hash the 8 copies with PDQ
        /// (what `pdq-dihedral-bank-pixels` adds on the victim's machine).
        public var pixelDihedralMilliseconds: Double
        /// Milliseconds to hash one unmodified picture as a plain upload (PDQ, pHash, dHash), decoded as `mode` says.
        public var plainUploadMilliseconds: Double = 0
        /// Milliseconds to hash it with everything a platform's query computes (companions, regions, tiles).
        public var queryUploadMilliseconds: Double = 0
    }

    /// The tool that wrote the report.
    public var tool: String = "nccmatch eval"
    /// Hashing cost per original picture.
    public var timing: Timing
    /// The corpus.
    public var corpus: CorpusSummary
    /// The settings.
    public var settings: Settings
    /// Wall-clock seconds of the whole run.
    public var elapsedSeconds: Double
    /// One entry per signal.
    public var signals: [SignalReport]
    /// Screenshots of different pictures in the same chrome; nil when no screenshot transform ran.
    public var sameChrome: SameChrome? = nil
    /// How scenes were found without a MANIFEST.tsv; nil when the corpus had one.
    public var clustering: Clustering? = nil
    /// What the reader must know before trusting the recommendations (no manifest, colliding signals).
    public var warnings: [String] = []
}
