import Foundation
import NCCIndex
import Synchronization

/// Watches each platform's matches for the patterns of someone reading the bank back out, in bounded memory.
///
/// Two limits, per platform, over a rolling day:
/// - a budget of distinct bank pictures matched (`budgetPerDay`): a platform that matches more pictures
///   than any real upload stream would is refused further new pictures until the day turns;
/// - probing: more than `bandLimit` distinct query values near one bank picture but not close to it. A
///   boundary walk reads a stored PDQ from the yes/no answers of queries one bit either side of the match
///   distance (about 150 answers for one hash): the ones inside match at `MatchPolicy.probeBand` bits or more,
///   the ones outside match nothing but lie within a few bits of those that did. So a value counts when it
///   matches a picture at `probeBand` or more, or lies within `anchorRadius` bits of a value that did (an
///   anchor). Copies of one picture rarely give more than a few dozen different hashes that far out. From the
///   batch that crosses the limit on, the picture's outer-band matches are withheld from the platform for the
///   rest of the day (so a walk's answers carry nothing), its key is slowed for `slowSeconds`, and the caller
///   writes the audit log and counts it in metrics.
///
/// Trusted platforms (an operator's grant) are watched and reported but never withheld from.
final class ProbeGuard: Sendable {
    /// One match about to be answered.
    struct Candidate {
        var item: Int
        var image: Int64
        /// At or past the picture's probe band (evidence of probing when repeated).
        var outerBand: Bool
        /// A digest of the query value (for counting distinct values only).
        var valueDigest: UInt64
        /// The query value's words when it is a PDQ hash (it may become an anchor); nil for other algorithms.
        var pdqWords: [UInt64]?
    }

    /// One PDQ value of the batch, to be compared with the platform's anchors.
    struct Value {
        var words: [UInt64]
        var valueDigest: UInt64
    }

    /// What to do with a batch of candidates.
    struct Verdict {
        /// Candidates (by position in the input) not to answer.
        var withheld: Set<Int> = []
        /// Pictures over the daily budget (the request is refused when non-zero).
        var overBudget = 0
        /// Pictures that crossed the probing limit with this batch.
        var newlyProbed = 0
    }

    private struct Anchor {
        var words: [UInt64]
        var image: Int64
    }

    private struct PlatformState {
        var dayStart: Double
        var pictures: Set<Int64> = []
        var band: [Int64: Set<UInt64>] = [:]
        /// Outer-band values that matched, oldest first (at most `maxAnchors`).
        var anchors: [Anchor] = []
        /// Pictures past the probing limit today: their outer-band matches are withheld.
        var probed: Set<Int64> = []
        var slowUntil: Double = 0
    }

    /// A platform's hit rate: this hour's items and hits, and the rate of the hours before (moving average).
    private struct HitRate {
        var hourStart: Double
        var items = 0
        var hits = 0
        var usual: Double?
        var flaggedThisHour = false
    }

    private let state = Mutex([Int64: PlatformState]())
    private let rates = Mutex([Int64: HitRate]())
    let budgetPerDay: Int
    let bandLimit: Int
    let slowSeconds: Double
    /// A value this near an anchor counts as near the anchor's picture.
    static let anchorRadius = 8
    /// Most anchors kept per platform (each 32 bytes of words).
    static let maxAnchors = 2_048
    static let day: Double = 86_400

    /// The period over which hit rates are compared (an hour; shorter only in tests).
    let hitRateWindow: Double

    /// A guard with these limits (see the type's documentation).
    init(budgetPerDay: Int, bandLimit: Int, slowSeconds: Double = 3_600, hitRateWindow: Double = 3_600) {
        self.budgetPerDay = budgetPerDay
        self.bandLimit = bandLimit
        self.slowSeconds = slowSeconds
        self.hitRateWindow = hitRateWindow
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Whether the platform's key is being slowed for probing, and for how many more seconds.
    func slowedSeconds(platform: Int64) -> Int? {
        let now = Self.now()
        return state.withLock { states in
            guard let until = states[platform]?.slowUntil, until > now else { return nil }
            return Int((until - now).rounded(.up))
        }
    }

    /// Counts a batch's items and the items that matched; true (once an hour) when this hour's hit rate is
    /// far above the platform's usual one: at least 1,000 items, at least 5% of them matched, and at least
    /// ten times the moving average of its earlier hours. Uploads of a platform match rarely; a key that
    /// matches often is being fed bank-derived values. The caller audits it and counts it in metrics.
    func recordHitRate(platform: Int64, items: Int, hits: Int) -> Bool {
        let now = Self.now()
        return rates.withLock { rates in
            var r = rates[platform] ?? HitRate(hourStart: now)
            if now - r.hourStart >= hitRateWindow {
                if r.items > 0 {
                    let rate = Double(r.hits) / Double(r.items)
                    r.usual = r.usual.map { $0 * 0.9 + rate * 0.1 } ?? rate
                }
                r = HitRate(hourStart: now, usual: r.usual)
            }
            r.items += items
            r.hits += hits
            let rate = Double(r.hits) / Double(max(1, r.items))
            var flag = false
            if !r.flaggedThisHour, r.items >= 1_000, rate >= 0.05, let usual = r.usual, rate >= 10 * max(usual, 0.001) {
                r.flaggedThisHour = true
                flag = true
            }
            rates[platform] = r
            return flag
        }
    }

    /// Judges a batch before it is answered: `candidates` are its matches, `pdqValues` gives every PDQ value it
    /// sent (asked for only when the platform has anchors, which ordinary traffic rarely makes). A batch
    /// refused for the budget changes nothing.
    func judge(platform: Int64, trusted: Bool, candidates: [Candidate], pdqValues: () -> [Value]) -> Verdict {
        let now = Self.now()
        // Values near an anchor, found outside the lock with the index's own scan.
        let anchors = state.withLock { $0[platform]?.anchors ?? [] }
        var nearAnchors: [(image: Int64, digest: UInt64)] = []
        let pdqValues = anchors.isEmpty ? [] : pdqValues()
        if !pdqValues.isEmpty {
            let index = PDQIndex(ids: anchors.indices.map { UInt64($0) }, words: anchors.flatMap(\.words))
            let found = index.search(queryWords: pdqValues.flatMap(\.words), within: Self.anchorRadius)
            for (k, matches) in found.enumerated() {
                for image in Set(matches.map { anchors[Int($0.id)].image }) { nearAnchors.append((image, pdqValues[k].valueDigest)) }
            }
        }
        return state.withLock { states in
            var s = states[platform] ?? PlatformState(dayStart: now)
            if now - s.dayStart >= Self.day { s = PlatformState(dayStart: now, slowUntil: s.slowUntil) }
            var verdict = Verdict()
            let newPictures = Set(candidates.map(\.image)).subtracting(s.pictures)
            if !trusted && s.pictures.count + newPictures.count > budgetPerDay {
                verdict.overBudget = s.pictures.count + newPictures.count - budgetPerDay
                states[platform] = s
                return verdict
            }
            s.pictures.formUnion(newPictures)
            // Count the whole batch first, then judge it, so its order cannot decide which answers get through.
            let evidence = candidates.filter(\.outerBand).map { (image: $0.image, digest: $0.valueDigest) } + nearAnchors
            for e in evidence where !s.probed.contains(e.image) {
                var values = s.band[e.image, default: []]
                values.insert(e.digest)
                if values.count > bandLimit {
                    s.probed.insert(e.image)
                    s.band[e.image] = nil
                    s.anchors.removeAll { $0.image == e.image }
                    verdict.newlyProbed += 1
                    s.slowUntil = now + slowSeconds
                } else {
                    s.band[e.image] = values
                }
            }
            for (position, c) in candidates.enumerated() where c.outerBand {
                if s.probed.contains(c.image) {
                    if !trusted { verdict.withheld.insert(position) }
                } else if let words = c.pdqWords {
                    s.anchors.append(Anchor(words: words, image: c.image))
                }
            }
            if s.anchors.count > Self.maxAnchors { s.anchors.removeFirst(s.anchors.count - Self.maxAnchors) }
            states[platform] = s
            return verdict
        }
    }
}
