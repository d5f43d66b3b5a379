/// What `VideoRobustnessEvaluator` measured: recall per transform (vPDQ beside MD5) and false matches between
/// different videos. Codable as the JSON `nccmatch eval-video --json` writes (snake_case keys).
public struct VideoRobustnessReport: Sendable, Hashable, Codable {
    /// How the run was set up.
    public struct Settings: Sendable, Hashable, Codable {
        /// The matching policy (pytx's defaults unless changed).
        public var policy: VPDQMatchPolicy
        /// Seconds between sampled frames of the queries (originals and copies).
        public var secondsPerSample: Double
        /// Seconds between the frames of each original hashed as a bank video (0: every frame); nil: as the
        /// service's bank keeps a video (`VPDQMatchPolicy.bankSecondsPerSample`: every frame of a short video).
        public var bankSecondsPerSample: Double?
        /// The transforms, in order.
        public var transforms: [VideoTransform]
        /// Where copies were made: always "memory" (FFmpeg writes each copy to a pipe read into memory).
        public var copies: String
    }

    /// The videos evaluated.
    public struct Videos: Sendable, Hashable, Codable {
        /// Video files found.
        public var found: Int
        /// Those hashed and with at least one frame of enough quality: the ones every figure is about.
        public var evaluated: Int
        /// Those that could not be hashed.
        public var failed: Int
        /// Those hashed whose every frame is under the quality floor (they can match nothing, so are left out).
        public var lowQuality: Int
        /// Scene groups among the evaluated videos (versions of one scene are not counted as different videos).
        public var scenes: Int
        /// Sampled frames of the evaluated originals, in total.
        public var frames: Int
    }

    /// One transform's figures, over the evaluated videos; each copy is the query, its original the bank video.
    public struct TransformResult: Sendable, Hashable, Codable {
        /// The transform.
        public var transform: VideoTransform
        /// What it does, in words.
        public var summary: String
        /// Copies made and hashed.
        public var copies: Int
        /// Copies FFmpeg could not make or nccmatch could not hash (counted as misses).
        public var failures: Int
        /// Copies matching their original at the policy's thresholds.
        public var vpdqMatches: Int
        /// `vpdqMatches` over the evaluated videos, in percent.
        public var vpdqRecallPercent: Double
        /// Copies whose MD5 equals their original's.
        public var md5Matches: Int
        /// `md5Matches` over the evaluated videos, in percent.
        public var md5RecallPercent: Double
        /// Median query share (percentage of the copy's usable frames matching the original).
        public var medianQueryPercent: Double
        /// Median bank share (percentage of the original's usable frames matching the copy).
        public var medianBankPercent: Double
        /// The lowest query share among the copies.
        public var lowestQueryPercent: Double
    }

    /// The closest a pair of different videos came to matching.
    public struct ClosestMiss: Sendable, Hashable, Codable {
        /// Query share of the pair (percent).
        public var queryPercent: Double
        /// Bank share of the pair (percent).
        public var bankPercent: Double
        /// The query: a file name and, for a copy, its transform. Present only when details were asked for.
        public var query: String?
        /// The bank video's file name. Present only when details were asked for.
        public var bank: String?
    }

    /// Comparisons of every video and every copy (as queries) with every original of another scene (as bank videos).
    public struct FalseMatches: Sendable, Hashable, Codable {
        /// Pairs compared.
        public var comparisons: Int
        /// Of which pairs between two originals.
        public var originalPairs: Int
        /// Pairs declared a match at the policy's thresholds: false matches.
        public var matches: Int
        /// The non-matching pair with the highest query share (then bank share), or nil with no comparison.
        public var closestMiss: ClosestMiss?
        /// The first false matches (at most 20), named only when details were asked for.
        public var examples: [ClosestMiss]
    }

    /// The settings.
    public var settings: Settings
    /// The videos.
    public var videos: Videos
    /// Per transform, in the settings' order.
    public var transforms: [TransformResult]
    /// False matches between different videos.
    public var falseMatches: FalseMatches
    /// Wall time of the run, in seconds.
    public var elapsedSeconds: Double
    /// Whether re-encoded, half-size and trimmed copies (those run) each match at least 95% and no different videos
    /// matched: the acceptance bar.
    public var meetsBar: Bool
}
