import Foundation
import NCCBank
import Synchronization

/// Watches how many uploads each bank item matches per hour, to flag an item that suddenly matches far more
/// uploads than its peers: a false positive in a third-party list (a logo, a meme, a blank frame) shows up as
/// one hash matching thousands of unrelated uploads. Flagging only tells the operator (metrics, audit log);
/// the operator decides with `nccmatch bank quarantine <bank>/<id>`.
///
/// The rule, per clock hour since the first match of the hour: an item is flagged when it has matched more than
/// `minimumUploads` (50) uploads this hour and more than `peerFactor` (20) times the median count of the items
/// that matched anything this hour. An item alone in its hour has no peers and is never flagged (the median is
/// its own count). Each item is flagged at most once while the server runs. An upload counts once per item per
/// request, whatever number of its hashes matched the item.
///
/// Memory is bounded: at most `maxItemsPerHour` items are counted in an hour (items first matched after that are
/// not counted until the hour turns), and at most `maxFlagged` flags are remembered.
///
/// - Warning: an item of the own bank (`cases`) that matches many uploads may be a victim's picture spreading,
///   not a false positive: the operator should look before quarantining it.
final class QuarantineWatch: Sendable {
    /// Uploads an item must match in an hour before it can be flagged (more than this).
    static let minimumUploads = 50
    /// How many times the median of its peers an item's count must exceed.
    static let peerFactor = 20
    /// Items counted per hour at most.
    static let maxItemsPerHour = 100_000
    /// Flags remembered at most.
    static let maxFlagged = 10_000

    private struct State {
        var hourStart: Double?
        var counts: [BankItemReference: Int] = [:]
        var flagged: Set<BankItemReference> = []
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Double

    /// A watch reading the time from `now` (seconds; the wall clock by default).
    init(now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.now = now
    }

    /// Counts one request's answered matches: for each upload, the items it matched. Returns the items flagged
    /// by this request (each at most once in the server's life).
    func record(_ uploads: [Set<BankItemReference>]) -> [BankItemReference] {
        if uploads.allSatisfy(\.isEmpty) { return [] }
        let time = now()
        return state.withLock { s in
            if let start = s.hourStart, time - start < 3_600 {} else {
                s.hourStart = time
                s.counts.removeAll(keepingCapacity: true)
            }
            var candidates: [BankItemReference] = []
            for items in uploads {
                for item in items {
                    guard let n = s.counts[item].map({ $0 + 1 }) ?? (s.counts.count < Self.maxItemsPerHour ? 1 : nil) else { continue }
                    s.counts[item] = n
                    // Judged when it first passes the minimum, then every 8 uploads more (the median costs a sort).
                    if n > Self.minimumUploads, (n - Self.minimumUploads - 1) % 8 == 0, !s.flagged.contains(item) { candidates.append(item) }
                }
            }
            if candidates.isEmpty || s.flagged.count >= Self.maxFlagged { return [] }
            let sorted = s.counts.values.sorted()
            let median = sorted[(sorted.count - 1) / 2]
            var flagged: [BankItemReference] = []
            for item in Set(candidates) where (s.counts[item] ?? 0) > Self.peerFactor * median {
                s.flagged.insert(item)
                flagged.append(item)
            }
            return flagged.sorted { ($0.bank, $0.id) < ($1.bank, $1.id) }
        }
    }

    /// Items flagged so far that the operator has not quarantined (`quarantined` is the store's list).
    func awaitingDecision(quarantined: Set<BankItemReference>) -> Int {
        state.withLock { $0.flagged.subtracting(quarantined).count }
    }
}
