import CHammingKernels
import Dispatch
import Foundation

/// Where each array of a segment lives inside its storage. Every section starts on a 64-byte boundary.
struct SegmentLayout: Sendable, Equatable {
    var count: Int
    var words: Int
    var substrings: [Substring]
    var hasIDOrder: Bool

    var codesOffset: Int { 0 }
    var idsOffset: Int { Self.align(codesOffset + count * words * 8) }
    var idOrderOffset: Int { Self.align(idsOffset + count * 8) }
    var tablesOffset: Int { Self.align(idOrderOffset + (hasIDOrder ? count * 4 : 0)) }

    /// Bytes of a table's directory (occupancy bitmap and ranks: 12 bytes per 64 keys) and number of its starts slots.
    static func directoryBytes(bits: Int) -> Int { Int(Kernels.directoryWords(bits: bits)) * 8 }
    static func startsCount(bits: Int, count: Int) -> Int { min(1 << bits, count) + 1 }

    /// Offsets of table t's rank directory, starts and positions.
    func tableOffsets(_ t: Int) -> (directory: Int, starts: Int, positions: Int) {
        var offset = tablesOffset
        for i in 0...t {
            let bits = substrings[i].bits
            let starts = Self.align(offset + Self.directoryBytes(bits: bits))
            let positions = Self.align(starts + Self.startsCount(bits: bits, count: count) * 4)
            if i == t { return (offset, starts, positions) }
            offset = Self.align(positions + count * 4)
        }
        fatalError("unreachable")
    }

    var byteCount: Int {
        guard !substrings.isEmpty else { return tablesOffset }
        let last = tableOffsets(substrings.count - 1)
        return Self.align(last.positions + count * 4)
    }

    static func align(_ n: Int) -> Int { (n + 63) & ~63 }
}

/// One multi-index table over raw segment memory.
struct MIHTable {
    let substring: Substring
    let directory: UnsafePointer<UInt64>
    let starts: UnsafePointer<UInt32>
    let positions: UnsafePointer<UInt32>
}

/// An immutable run of codes with their ids and, for large runs, multi-index tables.
///
/// Segments never change after they are built or loaded, so any number of readers share them freely.
final class Segment: @unchecked Sendable {
    // All stored properties are immutable; the memory behind the pointers is written only during init.
    let layout: SegmentLayout
    let storage: SegmentStorage
    /// Tombstones with a bound at or above this hide this segment's entries.
    let generation: UInt64
    let codes: UnsafePointer<UInt64>?
    let ids: UnsafePointer<UInt64>?
    let idOrder: UnsafePointer<UInt32>?
    let tables: [MIHTable]
    /// Per query distance 0...bitCount: table radii and whether multi-index beats a scan.
    let plans: [(radii: [Int], useTables: Bool, probes: Int)]

    var count: Int { layout.count }
    var words: Int { layout.words }

    /// Builds a segment from `count` codes (`words` words each, flat) and ids. `designDistance` tunes the layout.
    convenience init(codes source: UnsafeBufferPointer<UInt64>, ids idSource: UnsafeBufferPointer<UInt64>, words: Int,
                     generation: UInt64, designDistance: Int, forceLayout: [Substring]? = nil) {
        let n = idSource.count
        let substrings = forceLayout ?? Planner.chooseLayout(words: words, entries: n, designDistance: designDistance) ?? []
        var sorted = true
        if n > 1 { for i in 1..<n where idSource[i] < idSource[i - 1] { sorted = false; break } }
        let layout = SegmentLayout(count: n, words: words, substrings: substrings, hasIDOrder: !sorted)
        let storage = SegmentStorage(byteCount: layout.byteCount)
        if let base = storage.base {
            if n > 0 {
                (base + layout.codesOffset).copyMemory(from: source.baseAddress!, byteCount: n * words * 8)
                (base + layout.idsOffset).copyMemory(from: idSource.baseAddress!, byteCount: n * 8)
            }
            if !sorted {
                let order = (0..<UInt32(n)).sorted { a, b in
                    let x = idSource[Int(a)], y = idSource[Int(b)]
                    return x < y || (x == y && a < b)
                }
                let orderPointer = (base + layout.idOrderOffset).assumingMemoryBound(to: UInt32.self)
                for (i, p) in order.enumerated() { orderPointer[i] = p }
            }
            let baseBits = UInt(bitPattern: base)
            // Tables are independent: build them on all cores, each worker reusing one scratch buffer.
            let workers = max(1, min(substrings.count, ProcessInfo.processInfo.activeProcessorCount))
            DispatchQueue.concurrentPerform(iterations: substrings.isEmpty ? 0 : workers) { worker in
                let base = UnsafeMutableRawPointer(bitPattern: baseBits)!
                let codesPointer = UnsafePointer((base + layout.codesOffset).assumingMemoryBound(to: UInt64.self))
                let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: max(n, 1))
                defer { scratch.deallocate() }
                for t in stride(from: worker, to: substrings.count, by: workers) {
                    let sub = substrings[t]
                    let offsets = layout.tableOffsets(t)
                    Kernels.buildTable(
                        codes: codesPointer, count: n, words: words, start: sub.start, bits: sub.bits,
                        directory: (base + offsets.directory).assumingMemoryBound(to: UInt64.self),
                        starts: (base + offsets.starts).assumingMemoryBound(to: UInt32.self),
                        positions: (base + offsets.positions).assumingMemoryBound(to: UInt32.self),
                        scratch: scratch)
                }
            }
        }
        self.init(layout: layout, storage: storage, generation: generation, tablesForced: forceLayout.map { !$0.isEmpty } ?? false)
    }

    /// Wraps storage that already holds a complete segment (built or mapped from a snapshot).
    init(layout: SegmentLayout, storage: SegmentStorage, generation: UInt64, tablesForced: Bool = false) {
        self.layout = layout
        self.storage = storage
        self.generation = generation
        codes = storage.pointer(at: layout.codesOffset, as: UInt64.self).map { UnsafePointer($0) }
        ids = storage.pointer(at: layout.idsOffset, as: UInt64.self).map { UnsafePointer($0) }
        idOrder = layout.hasIDOrder ? storage.pointer(at: layout.idOrderOffset, as: UInt32.self).map { UnsafePointer($0) } : nil
        var tables: [MIHTable] = []
        if let base = storage.base {
            for (t, sub) in layout.substrings.enumerated() {
                let offsets = layout.tableOffsets(t)
                tables.append(MIHTable(
                    substring: sub,
                    directory: UnsafePointer((base + offsets.directory).assumingMemoryBound(to: UInt64.self)),
                    starts: UnsafePointer((base + offsets.starts).assumingMemoryBound(to: UInt32.self)),
                    positions: UnsafePointer((base + offsets.positions).assumingMemoryBound(to: UInt32.self))))
            }
        }
        self.tables = tables
        let bitCount = layout.words * 64
        let flat = Planner.flatCost(words: layout.words, entries: layout.count)
        plans = (0...bitCount).map { d in
            guard !layout.substrings.isEmpty else { return ([], false, 0) }
            let plan = Planner.radii(for: layout.substrings, distance: d, entries: layout.count)
            let probes = zip(layout.substrings, plan.radii).reduce(0.0) { $0 + Planner.ballSize(bits: $1.0.bits, radius: $1.1) }
            // A forced layout keeps its tables unless the probes would outnumber the entries of a scan.
            let useTables = tablesForced ? probes <= 1_000_000 : plan.cost < flat
            return (plan.radii, useTables, Int(probes))
        }
    }

    /// The strategy used at a distance.
    func strategy(distance: Int) -> SearchStrategy {
        let d = min(max(distance, 0), words * 64)
        guard plans[d].useTables else { return .flat }
        return .multiIndex(substrings: tables.count, probes: plans[d].probes)
    }

    func id(at position: Int) -> UInt64 { ids![position] }

    func code(at position: Int) -> [UInt64] {
        (0..<words).map { codes![position * words + $0] }
    }

    /// Positions holding `id`, in ascending order.
    func positions(of id: UInt64) -> [Int] {
        guard let ids, count > 0 else { return [] }
        func key(_ i: Int) -> UInt64 { idOrder.map { ids[Int($0[i])] } ?? ids[i] }
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if key(mid) < id { lo = mid + 1 } else { hi = mid }
        }
        var found: [Int] = []
        while lo < count && key(lo) == id {
            found.append(idOrder.map { Int($0[lo]) } ?? lo)
            lo += 1
        }
        return found
    }

    /// Range search for one query: appends (position, distance) pairs, each position once.
    func search(query: UnsafePointer<UInt64>, maxDistance: Int, path: CPUPath?, scratch: QueryScratch,
                into hits: inout [(position: Int, distance: Int)]) {
        guard count > 0, let codes else { return }
        let d = min(max(maxDistance, 0), words * 64)
        let plan = plans[d]
        if plan.useTables {
            var n = 0
            if tables.count <= Kernels.maxTables {
                // Every probed table's keys in one gather, so that their cache misses overlap.
                var probed = 0
                for (t, table) in tables.enumerated() where plan.radii[t] >= 0 {
                    let key = Kernels.substring(query, words: words, start: table.substring.start, bits: table.substring.bits)
                    scratch.probes[probed] = ncc_mih_probe(dir: table.directory, starts: table.starts, positions: table.positions,
                                                           bits: UInt32(table.substring.bits), key: key, radius: UInt32(plan.radii[t]))
                    probed += 1
                }
                n = Kernels.gatherTables(count: probed, into: scratch, prefetching: codes, words: words)
            } else {
                for (t, table) in tables.enumerated() where plan.radii[t] >= 0 {
                    let key = Kernels.substring(query, words: words, start: table.substring.start, bits: table.substring.bits)
                    n += Kernels.gather(
                        directory: table.directory, starts: table.starts, positions: table.positions, bits: table.substring.bits, key: key,
                        radius: plan.radii[t], into: scratch, at: n, prefetching: codes, words: words)
                }
            }
            let kept = Kernels.verify(path: path, words: words, query: query, bank: codes, scratch: scratch,
                                      candidates: n, maxDistance: d)
            let start = hits.count
            for i in 0..<kept {
                hits.append((Int(scratch.hitEntries[i]), Int(scratch.hitDistances[i])))
            }
            // One entry can be a candidate in several tables: keep it once.
            if kept > 1 {
                hits[start...].sort { $0.position < $1.position }
                var write = start
                for read in start..<hits.count where read == start || hits[read].position != hits[write - 1].position {
                    hits[write] = hits[read]
                    write += 1
                }
                hits.removeSubrange(write...)
            }
        } else {
            let q = Array(UnsafeBufferPointer(start: query, count: words))
            Kernels.scanRange(path: path, words: words, queries: q, bank: codes, count: count, maxDistance: d) { buffer in
                for hit in buffer { hits.append((Int(hit.entry), Int(hit.distance))) }
            }
        }
    }

    /// Batched flat scan: calls `body(query, position, distance)` for every pair within the distance.
    func scanBatch(queries: [UInt64], maxDistance: Int, path: CPUPath?, _ body: (Int, Int, Int) -> Void) {
        guard count > 0 else { return }
        Kernels.scanRange(path: path, words: words, queries: queries, bank: codes, count: count,
                          maxDistance: min(max(maxDistance, 0), words * 64)) { buffer in
            for hit in buffer { body(Int(hit.query), Int(hit.entry), Int(hit.distance)) }
        }
    }

    /// Distances from one query to every code, for k-nearest on small segments.
    func allDistances(query: [UInt64], path: CPUPath?) -> [UInt16] {
        Kernels.distances(path: path, words: words, query: query, bank: codes, count: count)
    }

    /// Bytes held by this segment.
    var byteCount: Int { storage.byteCount }
}
