/// Counts of Hamming distances 0...bits: how many compared pairs ended at each distance.
public struct DistanceHistogram: Sendable, Hashable, Codable {
    /// `counts[d]` is the number of pairs at distance exactly `d`.
    public private(set) var counts: [Int]

    /// An empty histogram for hashes of `bits` bits (distances 0...bits).
    public init(bits: Int) { counts = Array(repeating: 0, count: bits + 1) }

    /// Total number of pairs counted.
    public var total: Int { counts.reduce(0, +) }

    /// Largest distance the histogram can hold.
    public var bits: Int { counts.count - 1 }

    /// Counts one pair at `distance` (clamped to 0...bits).
    public mutating func add(_ distance: Int) { counts[min(max(distance, 0), bits)] += 1 }

    /// Adds every count of `other` (same bit count).
    public mutating func merge(_ other: DistanceHistogram) {
        precondition(other.counts.count == counts.count, "histograms of different hash sizes")
        for i in counts.indices { counts[i] += other.counts[i] }
    }

    /// Pairs at distance `distance` or less.
    public func countAtOrBelow(_ distance: Int) -> Int {
        guard distance >= 0 else { return 0 }
        return counts[...min(distance, bits)].reduce(0, +)
    }

    /// Cumulative counts: element `d` is `countAtOrBelow(d)`.
    public var cumulative: [Int] {
        var running = 0
        return counts.map { running += $0; return running }
    }

    /// Share of pairs at `distance` or less (0 when empty).
    public func rateAtOrBelow(_ distance: Int) -> Double {
        let n = total
        return n == 0 ? 0 : Double(countAtOrBelow(distance)) / Double(n)
    }

    /// The smallest distance at which at least `share` (0...1) of the pairs are counted, or nil when empty.
    ///
    /// Exact in integers: the first `d` with `countAtOrBelow(d) * 10_000 >= share * 10_000 * total`.
    public func distance(forShare share: Double) -> Int? {
        let n = total
        guard n > 0 else { return nil }
        let needed = Int((share * 10_000).rounded())
        var running = 0
        for (d, c) in counts.enumerated() {
            running += c
            if running * 10_000 >= needed * n { return d }
        }
        return bits
    }

    /// The smallest distance with a pair, or nil when empty.
    public var smallest: Int? { counts.firstIndex { $0 > 0 } }

    /// The largest distance with a pair, or nil when empty.
    public var largest: Int? { counts.lastIndex { $0 > 0 } }

    /// The median distance (lower median), or nil when empty.
    public var median: Int? {
        let n = total
        guard n > 0 else { return nil }
        var running = 0
        for (d, c) in counts.enumerated() {
            running += c
            if running * 2 >= n { return d }
        }
        return bits
    }
}

/// One point of the precision/recall trade-off at a match distance.
public struct TradeOffPoint: Sendable, Hashable, Codable {
    /// The match distance (inclusive).
    public var distance: Int
    /// Share of transformed copies matched to their own original.
    public var recall: Double
    /// Share of comparisons between different images that match.
    public var falseMatchRate: Double
    /// Matched copies / (matched copies + false matches), with copies and different-image pairs counted
    /// as the evaluation sampled them (so it depends on that ratio; 1 when nothing matches).
    public var precision: Double

    /// Computes the point at `distance` from the positive (copy vs own original) and negative
    /// (different images) histograms.
    public init(distance: Int, positives: DistanceHistogram, negatives: DistanceHistogram) {
        self.distance = distance
        let tp = positives.countAtOrBelow(distance), fp = negatives.countAtOrBelow(distance)
        recall = positives.total == 0 ? 0 : Double(tp) / Double(positives.total)
        falseMatchRate = negatives.total == 0 ? 0 : Double(fp) / Double(negatives.total)
        precision = tp + fp == 0 ? 1 : Double(tp) / Double(tp + fp)
    }
}
