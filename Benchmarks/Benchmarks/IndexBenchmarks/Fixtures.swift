import Foundation
import NCCHashing
import NCCIndex

/// A thread-safe counter for ids handed out across benchmark iterations.
final class Counter: @unchecked Sendable {
    // `value` is only touched with `lock` held.
    private let lock = NSLock()
    private var value: UInt64
    init(start: UInt64) { value = start }
    func next() -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        value &+= 1
        return value
    }
}

/// A built index and the workload it was built from.
final class Fixture<Code: BinaryCode>: Sendable {
    let workload: SyntheticWorkload
    let index: HammingIndex<Code>
    let counter: Counter
    let removals: Counter

    init(entries: Int, distance: Int) {
        workload = SyntheticWorkload(entries: entries, queries: 1000, wordsPerCode: Code.wordCount, plantedShare: 0.1,
                                     plantDistance: distance, seed: 42)
        index = HammingIndex<Code>(ids: workload.ids, words: workload.bankWords)
        counter = Counter(start: UInt64(entries) + 1_000_000_000)
        removals = Counter(start: 0)
    }
}

/// Fixtures, built lazily (global `let`s are initialised once, on first use) so a run builds only what it measures.
enum Fixtures {
    enum Size {
        case oneMillion, tenMillion
        var entries: Int { self == .oneMillion ? 1_000_000 : 10_000_000 }
        var name: String { self == .oneMillion ? "1M" : "10M" }
    }

    static let small = SyntheticWorkload(entries: 4096, queries: 1000, wordsPerCode: 4, plantedShare: 0.1, plantDistance: 31, seed: 7)

    static func pdq(_ size: Size) -> Fixture<PDQHash> { size == .oneMillion ? pdq1M : pdq10M }
    static func hash64(_ size: Size) -> Fixture<Hash64> { size == .oneMillion ? hash64_1M : hash64_10M }
}

private let pdq1M = Fixture<PDQHash>(entries: 1_000_000, distance: 31)
private let pdq10M = Fixture<PDQHash>(entries: 10_000_000, distance: 31)
private let hash64_1M = Fixture<Hash64>(entries: 1_000_000, distance: 8)
private let hash64_10M = Fixture<Hash64>(entries: 10_000_000, distance: 8)
