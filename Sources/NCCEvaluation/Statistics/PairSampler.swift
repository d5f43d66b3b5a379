import NCCHashing

/// Chooses the pairs of *different* images whose hashes are compared for false matches.
///
/// Images that share a scene group (the same scene shot twice, a picture and its crop, one artwork
/// in two sizes) are near-duplicates, not different images: such pairs are never returned. Pairs are
/// ordered (query image, bank image): a copy of the first is looked up against the second's bank
/// entry. When there are more pairs than `limit`, a deterministic sample (seeded) of `limit` is taken.
public struct PairSampler: Sendable {
    /// Scene group of each image (images without a group get their own).
    public let groups: [String]
    /// Most pairs returned.
    public let limit: Int
    /// Seed of the sample when there are more pairs than `limit`.
    public let seed: UInt64

    /// Makes a sampler over images with the given scene groups.
    public init(groups: [String], limit: Int = 5_000_000, seed: UInt64 = 0x9A1E_5EED) {
        self.groups = groups
        self.limit = max(0, limit)
        self.seed = seed
    }

    /// Number of ordered pairs of images in different scene groups.
    public var eligibleCount: Int {
        var sizes: [String: Int] = [:]
        for g in groups { sizes[g, default: 0] += 1 }
        let n = groups.count
        return sizes.values.reduce(0) { $0 + $1 * (n - $1) }
    }

    /// The ordered pairs (query, bank) of images in different scene groups, all of them or a sample.
    public func pairs() -> [(query: Int, bank: Int)] {
        let n = groups.count
        var all: [(query: Int, bank: Int)] = []
        if eligibleCount <= limit {
            all.reserveCapacity(eligibleCount)
            for i in 0..<n { for j in 0..<n where groups[i] != groups[j] { all.append((i, j)) } }
            return all
        }
        // Sample with replacement-free rejection: draw random ordered pairs until `limit` distinct ones.
        var generator = SplitMix64(seed: seed)
        var seen = Set<Int>()
        seen.reserveCapacity(limit)
        while all.count < limit {
            let i = Int(generator.next() % UInt64(n)), j = Int(generator.next() % UInt64(n))
            guard groups[i] != groups[j], seen.insert(i * n + j).inserted else { continue }
            all.append((i, j))
        }
        return all.sorted { ($0.query, $0.bank) < ($1.query, $1.bank) }
    }
}
