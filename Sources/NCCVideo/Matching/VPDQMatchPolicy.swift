/// When two vPDQ hashes match, as Meta defines it (pytx's vPDQ signal, whose defaults these are).
///
/// Both videos' frames are deduplicated (identical hashes count once) and frames under `minimumQuality` dropped; a
/// frame matches when some frame of the other video is within `frameDistance` bits. The query share is the percentage
/// of the query's frames that match the bank video, the bank share the percentage of the bank video's frames that
/// match the query; the videos match when both shares reach their thresholds.
public struct VPDQMatchPolicy: Sendable, Hashable, Codable {
    /// Frames of lower PDQ quality are left out on both sides. Default 50.
    public var minimumQuality: Int
    /// Largest Hamming distance at which two frames match, in bits. Default 31.
    public var frameDistance: Int
    /// Smallest query share (percent, 0...100) for a match. Default 80.
    public var queryMatchPercent: Double
    /// Smallest bank share (percent, 0...100) for a match. Default 0.
    public var bankMatchPercent: Double

    /// pytx's defaults: quality 50, distance 31, query share 80%, bank share 0%.
    public init(minimumQuality: Int = 50, frameDistance: Int = 31, queryMatchPercent: Double = 80, bankMatchPercent: Double = 0) {
        self.minimumQuality = minimumQuality
        self.frameDistance = frameDistance
        self.queryMatchPercent = queryMatchPercent
        self.bankMatchPercent = bankMatchPercent
    }

    /// The frames that take part in matching: first occurrence of each distinct hash, then those of enough quality
    /// (pytx's order).
    public func usableFrames(_ frames: [VPDQFrame]) -> [VPDQFrame] {
        var seen = Set<PDQHashKey>()
        return frames.filter { seen.insert(PDQHashKey($0.pdq)).inserted }.filter { $0.quality >= minimumQuality }
    }

    /// Whether the two shares reach the thresholds. Two videos with no usable frame on either side never match.
    public func isMatch(queryPercent: Double, bankPercent: Double, usableOnBothSides: Bool) -> Bool {
        usableOnBothSides && queryPercent >= queryMatchPercent && bankPercent >= bankMatchPercent
    }
}

import NCCHashing

/// A PDQ hash as a set key.
struct PDQHashKey: Hashable {
    let a: UInt64, b: UInt64, c: UInt64, d: UInt64
    init(_ hash: PDQHash) { (a, b, c, d) = hash.words }
}

/// How one query video compares with one bank video.
public struct VPDQMatchResult: Sendable, Hashable, Codable {
    /// Percentage (0...100) of the query's usable frames within the distance of some usable frame of the bank video.
    public var queryMatchPercent: Double
    /// Percentage (0...100) of the bank video's usable frames within the distance of some usable query frame.
    public var bankMatchPercent: Double
    /// Whether both shares reach the policy's thresholds.
    public var isMatch: Bool

    /// Makes a result.
    public init(queryMatchPercent: Double, bankMatchPercent: Double, isMatch: Bool) {
        self.queryMatchPercent = queryMatchPercent
        self.bankMatchPercent = bankMatchPercent
        self.isMatch = isMatch
    }
}

/// Compares two vPDQ hashes frame by frame (every pair): the reference the index must agree with.
public enum VPDQMatcher {
    /// The shares and verdict for `query` against `bank` under `policy`.
    ///
    /// - Warning: Costs `query.count * bank.count` distance computations; use `VPDQIndex` for a bank of many videos.
    public static func compare(query: [VPDQFrame], bank: [VPDQFrame], policy: VPDQMatchPolicy = .init()) -> VPDQMatchResult {
        let q = policy.usableFrames(query), b = policy.usableFrames(bank)
        guard !q.isEmpty, !b.isEmpty else { return VPDQMatchResult(queryMatchPercent: 0, bankMatchPercent: 0, isMatch: false) }
        let queryHits = q.filter { f in b.contains { $0.pdq.distance(to: f.pdq) <= policy.frameDistance } }.count
        let bankHits = b.filter { f in q.contains { $0.pdq.distance(to: f.pdq) <= policy.frameDistance } }.count
        let qp = Double(queryHits) * 100 / Double(q.count), bp = Double(bankHits) * 100 / Double(b.count)
        return VPDQMatchResult(queryMatchPercent: qp, bankMatchPercent: bp,
                               isMatch: policy.isMatch(queryPercent: qp, bankPercent: bp, usableOnBothSides: true))
    }
}
