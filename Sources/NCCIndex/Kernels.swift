import CHammingKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The XOR+popcount kernel family the scan uses.
public enum CPUPath: Int32, Sendable, CaseIterable, CustomStringConvertible {
    /// Plain C with a SWAR popcount: any CPU.
    case portable = 0
    /// x86-64 POPCNT, one 64-bit word at a time.
    case popcnt = 1
    /// AVX2 with a nibble-table popcount.
    case avx2 = 2
    /// AVX-512 with VPOPCNTDQ.
    case avx512 = 3

    /// The path in use: `NCCMATCH_CPU=avx512|avx2|popcnt|portable` when set and supported, else the fastest this CPU runs.
    public static var active: CPUPath { CPUPath(rawValue: ncc_cpu_active()) ?? .portable }
    /// The fastest path this CPU supports.
    public static var best: CPUPath { CPUPath(rawValue: ncc_cpu_best()) ?? .portable }
    /// Whether this CPU can run the path.
    public var isSupported: Bool { ncc_cpu_supported(rawValue) != 0 }
    public var description: String { String(cString: ncc_cpu_name(rawValue)) }
}

/// Safe wrappers over the C kernels. All pointer work of the index lives here and in `SegmentStorage`.
enum Kernels {
    /// A (query, entry, distance) triple from a batched scan.
    struct Hit: Sendable {
        var query: Int
        var entry: Int
        var distance: Int
    }

    /// Every (query, entry) pair with distance <= maxDistance. `queries` holds `words` words per query.
    static func scanRange(
        path: CPUPath?, words: Int, queries: [UInt64], bank: UnsafePointer<UInt64>?, count: Int, maxDistance: Int,
        _ body: (UnsafeBufferPointer<ncc_hit>) -> Void
    ) {
        let nq = queries.count / words
        guard nq > 0, count > 0, let bank else { return }
        let cap = 4096
        let out = UnsafeMutablePointer<ncc_hit>.allocate(capacity: cap)
        defer { out.deallocate() }
        var cursor = ncc_scan_cursor()
        queries.withUnsafeBufferPointer { q in
            while cursor.done == 0 {
                let n = ncc_scan_range(
                    path?.rawValue ?? Int32(NCC_CPU_ACTIVE), Int32(words), q.baseAddress, nq, bank, count,
                    UInt32(clamping: maxDistance), out, cap, &cursor)
                if n > 0 { body(UnsafeBufferPointer(start: out, count: n)) }
            }
        }
    }

    /// Distances from one query to `count` codes.
    static func distances(path: CPUPath?, words: Int, query: [UInt64], bank: UnsafePointer<UInt64>?, count: Int) -> [UInt16] {
        guard count > 0, let bank else { return [] }
        return [UInt16](unsafeUninitializedCapacity: count) { buffer, initialized in
            query.withUnsafeBufferPointer { q in
                ncc_distances(path?.rawValue ?? Int32(NCC_CPU_ACTIVE), Int32(words), q.baseAddress, bank, count, buffer.baseAddress)
            }
            initialized = count
        }
    }

    static func substring(_ code: UnsafePointer<UInt64>, words: Int, start: Int, bits: Int) -> UInt32 {
        ncc_substring(code, Int32(words), UInt32(start), UInt32(bits))
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        ncc_checksum(bytes.baseAddress, bytes.count, seed)
    }
}

/// Reusable per-call buffers for multi-index queries: candidates and verified hits.
final class QueryScratch {
    var candidates: UnsafeMutablePointer<UInt32>
    var candidateCapacity: Int
    var hitEntries: UnsafeMutablePointer<UInt32>
    var hitDistances: UnsafeMutablePointer<UInt16>
    var hitCapacity: Int
    /// One probe per table of a segment (at most `Kernels.maxTables`), filled for each query.
    let probes: UnsafeMutablePointer<ncc_mih_probe>

    init() {
        candidateCapacity = 1 << 14
        candidates = .allocate(capacity: candidateCapacity)
        hitCapacity = 1 << 14
        hitEntries = .allocate(capacity: hitCapacity)
        hitDistances = .allocate(capacity: hitCapacity)
        probes = .allocate(capacity: Kernels.maxTables)
    }

    deinit {
        probes.deallocate()
        candidates.deallocate()
        hitEntries.deallocate()
        hitDistances.deallocate()
    }

    func reserveCandidates(_ n: Int) {
        guard n > candidateCapacity else { return }
        let grown = max(n, candidateCapacity * 2)
        let fresh = UnsafeMutablePointer<UInt32>.allocate(capacity: grown)
        fresh.update(from: candidates, count: candidateCapacity)
        candidates.deallocate()
        candidates = fresh
        candidateCapacity = grown
    }

    func reserveHits(_ n: Int) {
        guard n > hitCapacity else { return }
        hitEntries.deallocate()
        hitDistances.deallocate()
        hitCapacity = max(n, hitCapacity * 2)
        hitEntries = .allocate(capacity: hitCapacity)
        hitDistances = .allocate(capacity: hitCapacity)
    }
}

/// Memory behind a segment: owned allocations or a read-only file mapping.
final class SegmentStorage: @unchecked Sendable {
    // Immutable after init: the bytes are written once (build) or mapped read-only (load).
    let base: UnsafeMutableRawPointer?
    let byteCount: Int
    private let release: @Sendable (UnsafeMutableRawPointer?, Int) -> Void

    init(byteCount: Int) {
        self.byteCount = byteCount
        if byteCount >= Self.hugePage * 2 {
            // Fresh anonymous pages come zeroed from the kernel (no stale bytes can reach a snapshot file), and
            // 2 MiB pages spare a TLB miss (a page walk) on nearly every random probe of the tables.
            let rounded = (byteCount + Self.hugePage - 1) / Self.hugePage * Self.hugePage
            if let pointer = mmap(nil, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), pointer != MAP_FAILED {
                Self.adviseHugePages(pointer, rounded)
                base = pointer
                release = { pointer, _ in munmap(pointer, rounded) }
                return
            }
        }
        base = byteCount > 0 ? UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64) : nil
        if let base { memset(base, 0, byteCount) }
        release = { pointer, _ in pointer?.deallocate() }
    }

    static let hugePage = 2 << 20

    static func adviseHugePages(_ pointer: UnsafeMutableRawPointer, _ count: Int) {
        #if os(Linux)
        _ = madvise(pointer, count, 14)  // MADV_HUGEPAGE; only a hint, ignored where unsupported
        #endif
    }

    init(mapped: UnsafeMutableRawPointer?, byteCount: Int, release: @escaping @Sendable (UnsafeMutableRawPointer?, Int) -> Void) {
        base = mapped
        self.byteCount = byteCount
        self.release = release
    }

    deinit { release(base, byteCount) }

    func pointer<T>(at offset: Int, as type: T.Type) -> UnsafeMutablePointer<T>? {
        base.map { ($0 + offset).assumingMemoryBound(to: T.self) }
    }
}

/// Verification of multi-index candidates and table gathering, on raw segment memory.
extension Kernels {
    static func gather(
        directory: UnsafePointer<UInt64>, starts: UnsafePointer<UInt32>, positions: UnsafePointer<UInt32>,
        bits: Int, key: UInt32, radius: Int,
        into scratch: QueryScratch, at start: Int, prefetching bank: UnsafePointer<UInt64>?, words: Int
    ) -> Int {
        while true {
            let room = scratch.candidateCapacity - start
            let needed = ncc_mih_gather(directory, starts, positions, UInt32(bits), key, UInt32(radius), scratch.candidates + start, room, bank, Int32(words))
            if needed <= room { return needed }
            scratch.reserveCandidates(start + needed)
        }
    }

    /// Most tables a segment's layout has (256 bits / `Planner.minSubstringBits`), and so most probes one
    /// `gatherTables` call takes.
    static let maxTables = 64

    /// The candidates of every probed table of one query (`scratch.probes[0..<count]`), gathered together so that
    /// their cache misses overlap; into `scratch.candidates` from position 0. Returns how many.
    static func gatherTables(count: Int, into scratch: QueryScratch, prefetching bank: UnsafePointer<UInt64>?, words: Int) -> Int {
        while true {
            let room = scratch.candidateCapacity
            let needed = ncc_mih_gather_tables(scratch.probes, count, scratch.candidates, room, bank, Int32(words))
            if needed <= room { return needed }
            scratch.reserveCandidates(needed)
        }
    }

    static func verify(
        path: CPUPath?, words: Int, query: UnsafePointer<UInt64>, bank: UnsafePointer<UInt64>, scratch: QueryScratch,
        candidates: Int, maxDistance: Int
    ) -> Int {
        scratch.reserveHits(candidates)
        return ncc_verify(
            path?.rawValue ?? Int32(NCC_CPU_ACTIVE), Int32(words), query, bank, scratch.candidates, candidates,
            UInt32(clamping: maxDistance), scratch.hitEntries, scratch.hitDistances)
    }

    static func buildTable(
        codes: UnsafePointer<UInt64>?, count: Int, words: Int, start: Int, bits: Int,
        directory: UnsafeMutablePointer<UInt64>, starts: UnsafeMutablePointer<UInt32>, positions: UnsafeMutablePointer<UInt32>?,
        scratch: UnsafeMutablePointer<UInt64>?
    ) {
        ncc_mih_build(codes, count, Int32(words), UInt32(start), UInt32(bits), directory, starts, positions, scratch)
    }

    static func directoryWords(bits: Int) -> Int { ncc_mih_directory_words(UInt32(bits)) }

    static func tableIsValid(directory: UnsafePointer<UInt64>, starts: UnsafePointer<UInt32>, positions: UnsafePointer<UInt32>,
                             bits: Int, count: Int) -> Bool {
        ncc_mih_check(directory, starts, positions, UInt32(bits), count) != 0
    }

    static func allBelow(_ values: UnsafePointer<UInt32>?, count: Int, limit: UInt32) -> Bool {
        count == 0 || ncc_check_below(values, count, limit) != 0
    }
}
