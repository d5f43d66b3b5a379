import Foundation

/// A Hamming-distance index over PDQ hashes (256 bits).
public typealias PDQIndex = HammingIndex<PDQHash>
/// A Hamming-distance index over pHash or dHash values (64 bits).
public typealias Hash64Index = HammingIndex<Hash64>

import NCCHashing
import Synchronization

/// Settings of a `HammingIndex`.
public struct IndexOptions: Sendable {
    /// How the base segment is organised.
    public enum Layout: Sendable, Hashable {
        /// Flat scan or multi-index hashing, whichever the cost model expects to be faster at `designDistance`.
        case automatic
        /// Always a flat SIMD scan.
        case flat
        /// Multi-index hashing with this many substrings (clamped to 11...42 for 256-bit codes, 3...10 for 64-bit codes).
        case multiIndex(substrings: Int)
    }

    /// The query distance the layout is tuned for; nil means the code's default (31 for PDQ, 8 for 64-bit hashes).
    /// Any distance can still be queried: the index switches to a scan when tables would be slower.
    public var designDistance: Int?
    /// Layout of segments with 2,048 entries or more.
    public var layout: Layout
    /// Kernel family; nil means `CPUPath.active` (the fastest, or `NCCMATCH_CPU`). An unsupported path falls back to the fastest.
    public var cpuPath: CPUPath?
    /// Inserts collected before they are sealed into a segment (each query scans them one by one).
    public var recentLimit: Int

    /// Options; the defaults suit a bank matched at the code's default distance.
    public init(designDistance: Int? = nil, layout: Layout = .automatic, cpuPath: CPUPath? = nil, recentLimit: Int = 256) {
        self.designDistance = designDistance
        self.layout = layout
        self.cpuPath = cpuPath
        self.recentLimit = max(1, recentLimit)
    }
}

/// Figures describing an index at one moment.
public struct IndexStatistics: Sendable, Hashable {
    /// Live entries (inserted and not removed).
    public var count: Int
    /// Immutable segments (the base plus sealed inserts).
    public var segments: Int
    /// Inserts not yet sealed into a segment.
    public var recentEntries: Int
    /// Removed ids still masked rather than physically dropped.
    public var tombstones: Int
    /// Bytes of codes, ids and tables held by the index (mapped snapshot bytes included).
    public var bytes: Int
    /// Strategy of the largest segment at the design distance.
    public var strategy: SearchStrategy
}

/// What readers see: immutable once published. Writers build a new one and swap it in.
struct IndexState: Sendable {
    var segments: [Segment] = []
    var recentWords: [UInt64] = []
    var recentIDs: [UInt64] = []
    /// id -> generation bound: the id's entries in segments of generation <= bound are removed.
    var tombstones: [UInt64: UInt64] = [:]
    /// Latest tombstones, folded into `tombstones` in groups so a remove does not copy the whole table.
    var tombstoneLog: [(id: UInt64, bound: UInt64)] = []
    var liveCount = 0
    var nextGeneration: UInt64 = 1

    func isHidden(_ id: UInt64, generation: UInt64) -> Bool {
        if tombstones.isEmpty && tombstoneLog.isEmpty { return false }
        for entry in tombstoneLog.reversed() where entry.id == id { return generation <= entry.bound }
        if let bound = tombstones[id] { return generation <= bound }
        return false
    }

    var tombstoneCount: Int { tombstones.count + tombstoneLog.count }
}

/// An exact Hamming-distance index: every entry within the distance is returned and nothing beyond it.
///
/// Small banks are scanned with the SIMD kernel; large ones use multi-index hashing (Norouzi, Punjani,
/// Fleet) with compact counting-sorted tables; `strategy(forDistance:)` says which a query gets.
///
/// Concurrency: searches run in parallel from any number of threads and never block on writers. Writers
/// (`insert`, `remove`, `compact`) are serialised; each publishes a new immutable state in one swap, so a
/// search sees either all or none of a write.
///
/// Ids are stable 64-bit values chosen by the caller. Inserting an id twice keeps both entries; `remove`
/// drops every entry with the id.
public final class HammingIndex<Code: BinaryCode>: Sendable {
    /// The published state: readers copy it out under the mutex, writers replace it whole.
    let state: Mutex<IndexState>
    /// Serialises writers; readers never take it.
    private let writeLock = NSLock()
    /// The options the index was made with.
    public let options: IndexOptions

    var words: Int { Code.wordCount }
    var designDistance: Int { options.designDistance ?? Code.defaultMaxDistance }

    /// An empty index.
    public convenience init(options: IndexOptions = IndexOptions()) {
        self.init(ids: [], words: [], options: options)
    }

    /// An index over the given entries, built in one pass.
    public convenience init(entries: some Sequence<(id: UInt64, code: Code)>, options: IndexOptions = IndexOptions()) {
        var ids: [UInt64] = [], words: [UInt64] = []
        for entry in entries {
            ids.append(entry.id)
            words.append(contentsOf: entry.code.codeWords)
        }
        self.init(ids: ids, words: words, options: options)
    }

    /// An index over `ids.count` entries whose codes are given flat: `Code.wordCount` words each, most significant first.
    ///
    /// The fastest way to build a large index: no per-entry values are made.
    /// - Precondition: `words.count == ids.count * Code.wordCount` and fewer than 2^32 entries.
    public init(ids: [UInt64], words: [UInt64], options: IndexOptions = IndexOptions()) {
        precondition(words.count == ids.count * Code.wordCount, "words must hold Code.wordCount words per id")
        precondition(ids.count < Int(UInt32.max), "an index holds fewer than 2^32 entries")
        self.options = options
        var initial = IndexState()
        if !ids.isEmpty {
            initial.segments = [Self.makeSegment(words: words, ids: ids, generation: 0, options: options)]
            initial.liveCount = ids.count
        }
        state = Mutex(initial)
    }

    init(state: IndexState, options: IndexOptions) {
        self.options = options
        self.state = Mutex(state)
    }

    static func makeSegment(words: [UInt64], ids: [UInt64], generation: UInt64, options: IndexOptions) -> Segment {
        let design = options.designDistance ?? Code.defaultMaxDistance
        var forced: [Substring]?
        switch options.layout {
        case .automatic: forced = nil
        case .flat: forced = []
        case let .multiIndex(m):
            let clamped = min(max(m, (Code.bitCount + Planner.maxSubstringBits - 1) / Planner.maxSubstringBits), Code.bitCount / Planner.minSubstringBits)
            forced = ids.count >= 2048 ? Planner.substrings(totalBits: Code.bitCount, count: clamped) : []
        }
        return words.withUnsafeBufferPointer { w in
            ids.withUnsafeBufferPointer { i in
                Segment(codes: w, ids: i, words: Code.wordCount, generation: generation, designDistance: design, forceLayout: forced)
            }
        }
    }

    // MARK: - Reading

    /// Number of live entries.
    public var count: Int { state.withLock { $0 }.liveCount }

    /// How a query at `distance` is answered by the largest segment (flat scan or multi-index hashing).
    public func strategy(forDistance distance: Int) -> SearchStrategy {
        let s = state.withLock { $0 }
        guard let largest = s.segments.max(by: { $0.count < $1.count }) else { return .flat }
        return largest.strategy(distance: distance)
    }

    /// Current figures: entries, segments, pending inserts and removals, bytes.
    public var statistics: IndexStatistics {
        let s = state.withLock { $0 }
        let largest = s.segments.max(by: { $0.count < $1.count })
        return IndexStatistics(
            count: s.liveCount, segments: s.segments.count, recentEntries: s.recentIDs.count, tombstones: s.tombstoneCount,
            bytes: s.segments.reduce(0) { $0 + $1.byteCount } + s.recentWords.count * 8 + s.recentIDs.count * 8
                + s.tombstoneCount * 24,
            strategy: largest?.strategy(distance: designDistance) ?? .flat)
    }

    /// Every entry within `maxDistance` bits of `query` (inclusive), sorted by distance then id.
    ///
    /// `maxDistance` is clamped to 0...`Code.bitCount`.
    /// - Warning: at large distances (for PDQ above ~60) the index scans everything and results can be huge.
    public func search(_ query: Code, within maxDistance: Int) -> [IndexMatch] {
        let s = state.withLock { $0 }
        let scratch = QueryScratch()
        return Self.search(state: s, query: query.codeWords, maxDistance: maxDistance, path: options.cpuPath, scratch: scratch)
    }

    /// Range search for many queries at once; result `i` belongs to `queries[i]`.
    ///
    /// Prefer this for batches: flat segments are scanned once for the whole batch, block by block,
    /// instead of once per query. All queries see the same state of the index.
    public func search(_ queries: [Code], within maxDistance: Int) -> [[IndexMatch]] {
        var flatWords: [UInt64] = []
        flatWords.reserveCapacity(queries.count * words)
        for query in queries { flatWords.append(contentsOf: query.codeWords) }
        return search(queryWords: flatWords, within: maxDistance)
    }

    /// Batched range search with queries given flat (`Code.wordCount` words each, most significant first).
    public func search(queryWords: [UInt64], within maxDistance: Int) -> [[IndexMatch]] {
        let s = state.withLock { $0 }
        let nq = queryWords.count / words
        let d = min(max(maxDistance, 0), Code.bitCount)
        var results = [[IndexMatch]](repeating: [], count: nq)
        let scratch = QueryScratch()
        var hits: [(position: Int, distance: Int)] = []
        queryWords.withUnsafeBufferPointer { q in
            for segment in s.segments {
                if segment.plans[d].useTables {
                    for qi in 0..<nq {
                        hits.removeAll(keepingCapacity: true)
                        segment.search(query: q.baseAddress! + qi * words, maxDistance: d, path: options.cpuPath,
                                       scratch: scratch, into: &hits)
                        for hit in hits {
                            let id = segment.id(at: hit.position)
                            if !s.isHidden(id, generation: segment.generation) {
                                results[qi].append(IndexMatch(id: id, distance: hit.distance))
                            }
                        }
                    }
                } else {
                    segment.scanBatch(queries: queryWords, maxDistance: d, path: options.cpuPath) { qi, position, distance in
                        let id = segment.id(at: position)
                        if !s.isHidden(id, generation: segment.generation) {
                            results[qi].append(IndexMatch(id: id, distance: distance))
                        }
                    }
                }
            }
            if !s.recentIDs.isEmpty {
                for qi in 0..<nq {
                    Self.scanRecent(s, query: q.baseAddress! + qi * words, words: words, maxDistance: d) {
                        results[qi].append($0)
                    }
                }
            }
        }
        for qi in 0..<nq where results[qi].count > 1 { results[qi].sort() }
        return results
    }

    static func scanRecent(_ s: IndexState, query: UnsafePointer<UInt64>, words: Int, maxDistance: Int, _ body: (IndexMatch) -> Void) {
        for i in 0..<s.recentIDs.count {
            var d = 0
            for w in 0..<words { d += (query[w] ^ s.recentWords[i * words + w]).nonzeroBitCount }
            if d <= maxDistance { body(IndexMatch(id: s.recentIDs[i], distance: d)) }
        }
    }

    static func search(state s: IndexState, query: [UInt64], maxDistance: Int, path: CPUPath?, scratch: QueryScratch) -> [IndexMatch] {
        let d = min(max(maxDistance, 0), Code.bitCount)
        var results: [IndexMatch] = []
        var hits: [(position: Int, distance: Int)] = []
        query.withUnsafeBufferPointer { q in
            for segment in s.segments {
                hits.removeAll(keepingCapacity: true)
                segment.search(query: q.baseAddress!, maxDistance: d, path: path, scratch: scratch, into: &hits)
                for hit in hits {
                    let id = segment.id(at: hit.position)
                    if !s.isHidden(id, generation: segment.generation) {
                        results.append(IndexMatch(id: id, distance: hit.distance))
                    }
                }
            }
            scanRecent(s, query: q.baseAddress!, words: Code.wordCount, maxDistance: d) { results.append($0) }
        }
        results.sort()
        return results
    }

    /// The `k` entries nearest to `query` within `maxDistance` (inclusive), sorted by distance then id.
    ///
    /// Exact: the radius grows until at least `k` entries are inside it, so no closer entry is missed.
    /// Ties at the k-th distance are broken by the smaller id.
    public func nearest(to query: Code, count k: Int, within maxDistance: Int = Code.bitCount) -> [IndexMatch] {
        guard k > 0 else { return [] }
        let s = state.withLock { $0 }
        let scratch = QueryScratch()
        let limit = min(max(maxDistance, 0), Code.bitCount)
        let words = query.codeWords
        var radius = min(limit, Code.defaultMaxDistance / 2)
        while true {
            let found = Self.search(state: s, query: words, maxDistance: radius, path: options.cpuPath, scratch: scratch)
            if found.count >= k || radius >= limit { return Array(found.prefix(k)) }
            radius = min(limit, radius * 2 + 1)
        }
    }

    /// Whether an entry with `id` is live.
    public func contains(id: UInt64) -> Bool {
        let s = state.withLock { $0 }
        if s.recentIDs.contains(id) { return true }
        for segment in s.segments where !segment.positions(of: id).isEmpty {
            if !s.isHidden(id, generation: segment.generation) { return true }
        }
        return false
    }

    // MARK: - Writing

    /// Adds one entry. Searches see it as soon as this returns.
    public func insert(id: UInt64, code: Code) {
        insert(ids: [id], words: code.codeWords)
    }

    /// Adds entries. Searches see all of them or none.
    public func insert(contentsOf entries: some Sequence<(id: UInt64, code: Code)>) {
        var ids: [UInt64] = [], words: [UInt64] = []
        for entry in entries {
            ids.append(entry.id)
            words.append(contentsOf: entry.code.codeWords)
        }
        insert(ids: ids, words: words)
    }

    /// Adds entries given flat (`Code.wordCount` words each). A large batch becomes one new segment.
    public func insert(ids: [UInt64], words: [UInt64]) {
        precondition(words.count == ids.count * Code.wordCount, "words must hold Code.wordCount words per id")
        guard !ids.isEmpty else { return }
        writeLock.lock()
        defer { writeLock.unlock() }
        var s = state.withLock { $0 }
        if ids.count >= options.recentLimit {
            seal(&s)
            s.segments.append(Self.makeSegment(words: words, ids: ids, generation: s.nextGeneration, options: options))
            s.nextGeneration += 1
        } else {
            s.recentIDs.append(contentsOf: ids)
            s.recentWords.append(contentsOf: words)
            if s.recentIDs.count >= options.recentLimit { seal(&s) }
        }
        s.liveCount += ids.count
        maintain(&s)
        state.withLock { $0 = s }
    }

    /// Removes every entry with `id`; returns whether there was one. Searches stop returning it at once.
    @discardableResult
    public func remove(id: UInt64) -> Bool {
        writeLock.lock()
        defer { writeLock.unlock() }
        var s = state.withLock { $0 }
        var removed = 0
        if s.recentIDs.contains(id) {
            var ids: [UInt64] = [], words: [UInt64] = []
            for (i, other) in s.recentIDs.enumerated() where other != id {
                ids.append(other)
                words.append(contentsOf: s.recentWords[(i * self.words)..<((i + 1) * self.words)])
            }
            removed += s.recentIDs.count - ids.count
            s.recentIDs = ids
            s.recentWords = words
        }
        var inSegments = 0
        for segment in s.segments where !s.isHidden(id, generation: segment.generation) {
            inSegments += segment.positions(of: id).count
        }
        if inSegments > 0 {
            s.tombstoneLog.append((id, s.nextGeneration - 1))
            if s.tombstoneLog.count >= 64 {
                for entry in s.tombstoneLog { s.tombstones[entry.id] = entry.bound }
                s.tombstoneLog.removeAll()
            }
        }
        removed += inSegments
        guard removed > 0 else { return false }
        s.liveCount -= removed
        maintain(&s)
        state.withLock { $0 = s }
        return true
    }

    /// Merges every segment, pending insert and removal into one freshly built segment.
    ///
    /// - Warning: costs a full build (about 2-3 s for 10 million PDQ codes). Searches keep running meanwhile.
    public func compact() {
        writeLock.lock()
        defer { writeLock.unlock() }
        var s = state.withLock { $0 }
        seal(&s)
        merge(&s, from: 0)
        state.withLock { $0 = s }
    }

    private func seal(_ s: inout IndexState) {
        guard !s.recentIDs.isEmpty else { return }
        s.segments.append(Self.makeSegment(words: s.recentWords, ids: s.recentIDs, generation: s.nextGeneration, options: options))
        s.nextGeneration += 1
        s.recentIDs = []
        s.recentWords = []
    }

    /// Keeps queries fast: few delta segments, few tombstones.
    private func maintain(_ s: inout IndexState) {
        let baseCount = s.segments.first?.count ?? 0
        let deltaCount = s.segments.dropFirst().reduce(0) { $0 + $1.count }
        if deltaCount + s.tombstoneCount > max(baseCount / 8, 65_536) {
            seal(&s)
            merge(&s, from: 0)
        } else if s.segments.count > 9 {
            merge(&s, from: 1)
        }
    }

    /// Replaces segments[from...] by one segment of their live entries.
    private func merge(_ s: inout IndexState, from first: Int) {
        guard first < s.segments.count else { return }
        let merging = s.segments[first...]
        var ids: [UInt64] = [], words: [UInt64] = []
        ids.reserveCapacity(merging.reduce(0) { $0 + $1.count })
        words.reserveCapacity(ids.capacity * self.words)
        for segment in merging {
            for p in 0..<segment.count {
                let id = segment.id(at: p)
                if s.isHidden(id, generation: segment.generation) { continue }
                ids.append(id)
                for w in 0..<self.words { words.append(segment.codes![p * self.words + w]) }
            }
        }
        let generation = merging.map(\.generation).max() ?? 0
        s.segments.removeSubrange(first...)
        if !ids.isEmpty {
            s.segments.append(Self.makeSegment(words: words, ids: ids, generation: generation, options: options))
        }
        if first == 0 {
            s.tombstones = [:]
            s.tombstoneLog = []
        }
    }
}
