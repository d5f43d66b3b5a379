import Foundation

/// A substring of the code covered by one multi-index table: bits [start, start + bits), bit 0 being the
/// most significant bit of the first word.
struct Substring: Sendable, Hashable {
    var start: Int
    var bits: Int
}

/// Cost model and layout choice for multi-index hashing (Norouzi, Punjani, Fleet).
///
/// With m substrings and a query distance d = m*r + a (0 <= a < m), any code within d of the query
/// has, by the pigeonhole principle, at least one of some a+1 substrings within r of the query's
/// substring or one of the other m-a-1 within r-1. So a+1 tables are probed at radius r and the rest
/// at r-1 (not at all when r = 0). Which tables get the larger radius is free: the cheapest are chosen.
enum Planner {
    /// Widest substring a table indexes (its rank directory has 2^bits / 64 words of 16 bytes).
    static let maxSubstringBits = 24
    /// Narrowest substring (one rank word covers 64 keys).
    static let minSubstringBits = 6

    // Rough costs in nanoseconds, measured on x86-64 with AVX-512; only their ratios matter.
    static let emptyProbeCost = 1.5     // one bit test in the rank directory, mostly cached
    static let probeCost = 15.0         // a non-empty key: starts and positions, two dependent misses
    static let candidateCost = 6.0      // one candidate check, code prefetched
    static func scanCost(words: Int) -> Double { words == 4 ? 0.35 : 0.1 }
    static let queryOverhead = 300.0

    /// Splits `totalBits` into m near-equal contiguous substrings, widest first.
    static func substrings(totalBits: Int, count m: Int) -> [Substring] {
        let base = totalBits / m, extra = totalBits % m
        var start = 0
        return (0..<m).map { t in
            let bits = base + (t < extra ? 1 : 0)
            defer { start += bits }
            return Substring(start: start, bits: bits)
        }
    }

    /// Number of keys within Hamming distance `radius` of a `bits`-bit key.
    static func ballSize(bits: Int, radius: Int) -> Double {
        guard radius >= 0 else { return 0 }
        var total = 0.0, term = 1.0
        for r in 0...min(radius, bits) {
            if r > 0 { term = term * Double(bits - r + 1) / Double(r) }
            total += term
        }
        return total
    }

    static func tableCost(bits: Int, radius: Int, entries: Int) -> Double {
        guard radius >= 0 else { return 0 }
        let probes = ballSize(bits: bits, radius: radius)
        let load = Double(entries) / Double(1 << bits)
        let nonEmpty = 1 - exp(-load)
        return probes * (emptyProbeCost + nonEmpty * probeCost + candidateCost * load)
    }

    /// Radius per table (-1: not probed) for a query distance, and the estimated cost in ns.
    static func radii(for substrings: [Substring], distance d: Int, entries: Int) -> (radii: [Int], cost: Double) {
        let m = substrings.count
        let r = d / m, a = d % m
        // Tables ordered by how much the larger radius adds; the a+1 cheapest get it.
        let order = substrings.indices.sorted { x, y in
            let dx = tableCost(bits: substrings[x].bits, radius: r, entries: entries)
                - tableCost(bits: substrings[x].bits, radius: r - 1, entries: entries)
            let dy = tableCost(bits: substrings[y].bits, radius: r, entries: entries)
                - tableCost(bits: substrings[y].bits, radius: r - 1, entries: entries)
            return dx < dy || (dx == dy && x < y)
        }
        var radii = [Int](repeating: r - 1, count: m)
        for t in order.prefix(a + 1) { radii[t] = r }
        var cost = queryOverhead
        for t in 0..<m { cost += tableCost(bits: substrings[t].bits, radius: radii[t], entries: entries) }
        return (radii, cost)
    }

    static func flatCost(words: Int, entries: Int) -> Double {
        queryOverhead + scanCost(words: words) * Double(entries)
    }


    /// The layout for `entries` codes of `words` words, tuned for `designDistance`; nil when a flat scan is cheaper.
    static func chooseLayout(words: Int, entries: Int, designDistance: Int) -> [Substring]? {
        let totalBits = words * 64
        guard entries >= 2048 else { return nil }
        // Directories and starts may cost 64 bytes an entry or 96 MiB, whichever is more, but never more than
        // 512 bytes an entry, so the small segments that inserts create stay small. 64 bytes lets a bank of
        // 2 to 18 million PDQ codes keep the 11 tables of 23-24 bits that suit it (1.5-2.2 times the queries a
        // second of the 12-13 narrower tables a 16-byte budget forced, for 15-30% more memory: at 17.8 million
        // codes 112 bytes an entry all told instead of 96; `nccmatch bench`, docs/robustness.md).
        let directoryBudget = min(max(64 * entries, 96 << 20), 512 * entries)
        var best: (layout: [Substring], cost: Double)?
        let minimum = (totalBits + maxSubstringBits - 1) / maxSubstringBits
        for m in minimum...max(minimum, totalBits / 8) {
            let layout = substrings(totalBits: totalBits, count: m)
            guard layout.allSatisfy({ $0.bits >= minSubstringBits }) else { continue }
            let directories = layout.reduce(0) {
                $0 + SegmentLayout.directoryBytes(bits: $1.bits) + SegmentLayout.startsCount(bits: $1.bits, count: entries) * 4
            }
            guard directories <= directoryBudget else { continue }
            let cost = radii(for: layout, distance: designDistance, entries: entries).cost
            if best == nil || cost < best!.cost { best = (layout, cost) }
        }
        guard let best, best.cost < flatCost(words: words, entries: entries) else { return nil }
        return best.layout
    }
}
