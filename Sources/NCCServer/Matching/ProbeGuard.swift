import Foundation
import Synchronization

/// Watches each platform's matches for the patterns of someone reading the bank back out, in bounded memory.
///
/// Two limits, per platform, over a rolling day:
/// - a budget of distinct bank pictures matched (`budgetPerDay`): a platform that matches more pictures
///   than any real upload stream would is refused further new pictures until the day turns;
/// - probing: more than `bandLimit` distinct query values matching one bank picture in its outer band
///   (`MatchPolicy.probeBand`). Walking a stored hash bit by bit needs hundreds of such queries; copies of
///   one picture rarely produce more than a few dozen different hashes that far out. Past the limit, those
///   matches of that picture are withheld from the platform, its key is slowed for `slowSeconds`, and the
///   caller writes the audit log and counts it in metrics.
///
/// Trusted platforms (an operator's grant) are watched and reported but never withheld from.
final class ProbeGuard: Sendable {
    /// One match about to be answered.
    struct Candidate {
        var item: Int
        var image: Int64
        var outerBand: Bool
        /// A digest of the query value (for counting distinct values only).
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

    private struct PlatformState {
        var dayStart: Double
        var pictures: Set<Int64> = []
        var band: [Int64: Set<UInt64>] = [:]
        var slowUntil: Double = 0
    }

    private let state = Mutex([Int64: PlatformState]())
    let budgetPerDay: Int
    let bandLimit: Int
    let slowSeconds: Double
    static let day: Double = 86_400

    /// A guard with these limits (see the type's documentation).
    init(budgetPerDay: Int, bandLimit: Int, slowSeconds: Double = 3_600) {
        self.budgetPerDay = budgetPerDay
        self.bandLimit = bandLimit
        self.slowSeconds = slowSeconds
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

    /// Judges a batch before it is answered; the counts only move when the batch is answered in full
    /// (a refused batch, over budget, changes nothing).
    func judge(platform: Int64, trusted: Bool, candidates: [Candidate]) -> Verdict {
        let now = Self.now()
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
            for (position, c) in candidates.enumerated() where c.outerBand {
                var values = s.band[c.image] ?? []
                if values.contains(c.valueDigest) { continue }
                if values.count >= bandLimit {
                    if !trusted { verdict.withheld.insert(position) }
                    continue
                }
                values.insert(c.valueDigest)
                s.band[c.image] = values
                if values.count == bandLimit {
                    verdict.newlyProbed += 1
                    s.slowUntil = now + slowSeconds
                }
            }
            states[platform] = s
            return verdict
        }
    }
}
