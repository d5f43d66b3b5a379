import CHammingKernels
import Foundation

/// Snapshot files: one compacted segment behind a fixed 4 KiB header, loaded by memory mapping.
///
/// Header (little-endian): magic `NCCINDEX`, format version, words per code, entry count, table count,
/// flags, payload length, payload checksum, design distance, the substring layout, and a checksum of the
/// header itself in its last 8 bytes. The payload is the segment's memory exactly as searched, so loading
/// is a mapping plus verification, never a rebuild.
enum SnapshotFormat {
    static let magic: [UInt8] = Array("NCCINDEX".utf8)
    static let version: UInt32 = 2
    static let headerSize = 4096
    static let maxTables = 64
}

extension HammingIndex {
    /// Writes the index to `url` as a snapshot, atomically (a temporary file renamed into place after fsync).
    ///
    /// Pending inserts and removals are merged into the written copy; the index itself is unchanged.
    /// - Warning: with pending writes this costs a build of the merged segment; call `compact()` first to pay it once.
    public func save(to url: URL) throws(IndexError) {
        let s = state.withLock { $0 }
        let segment: Segment
        if s.segments.count == 1 && s.recentIDs.isEmpty && s.tombstoneCount == 0 {
            segment = s.segments[0]
        } else {
            var ids: [UInt64] = [], words: [UInt64] = []
            for seg in s.segments {
                for p in 0..<seg.count where !s.isHidden(seg.id(at: p), generation: seg.generation) {
                    ids.append(seg.id(at: p))
                    for w in 0..<Code.wordCount { words.append(seg.codes![p * Code.wordCount + w]) }
                }
            }
            ids.append(contentsOf: s.recentIDs)
            words.append(contentsOf: s.recentWords)
            segment = Self.makeSegment(words: words, ids: ids, generation: 0, options: options)
        }
        try SnapshotWriter.write(segment: segment, designDistance: designDistance, to: url)
    }

    /// Loads a snapshot written by `save(to:)`, memory-mapped: the file's pages are the index.
    ///
    /// Refuses, with `IndexError`: a missing or unreadable file (`snapshot_unreadable`), a file that is not an
    /// nccmatch snapshot (`snapshot_foreign`), a newer format (`snapshot_unsupported_version`), codes of the
    /// other width (`snapshot_wrong_code_type`), a short file (`snapshot_truncated`), and any damage the checksums
    /// or structure checks catch (`snapshot_damaged`).
    /// - Warning: do not modify or truncate the file while the index (or a search on it) is alive.
    public static func load(from url: URL, options: IndexOptions = IndexOptions()) throws(IndexError) -> HammingIndex<Code> {
        let (segment, design) = try SnapshotReader.read(url: url, words: Code.wordCount)
        var opts = options
        if opts.designDistance == nil { opts.designDistance = design }
        var s = IndexState()
        if segment.count > 0 { s.segments = [segment] }
        s.liveCount = segment.count
        return HammingIndex(state: s, options: opts)
    }
}

enum SnapshotWriter {
    static func header(for segment: Segment, designDistance: Int) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: SnapshotFormat.headerSize)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { for (i, b) in $0.enumerated() { h[offset + i] = b } }
        }
        for (i, b) in SnapshotFormat.magic.enumerated() { h[i] = b }
        let layout = segment.layout
        put(SnapshotFormat.version, at: 8)
        put(UInt32(layout.words), at: 12)
        put(UInt64(layout.count), at: 16)
        put(UInt32(layout.substrings.count), at: 24)
        put(UInt32(layout.hasIDOrder ? 1 : 0), at: 28)
        put(UInt64(layout.byteCount), at: 32)
        let payload = UnsafeRawBufferPointer(start: segment.storage.base, count: layout.byteCount)
        put(Kernels.checksum(payload, seed: 1), at: 40)
        put(UInt32(designDistance), at: 48)
        for (t, sub) in layout.substrings.enumerated() {
            put(UInt32(sub.start), at: 56 + t * 8)
            put(UInt32(sub.bits), at: 60 + t * 8)
        }
        let sum = h.withUnsafeBytes { Kernels.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(SnapshotFormat.headerSize - 8)]), seed: 2) }
        put(sum, at: SnapshotFormat.headerSize - 8)
        return h
    }

    static func write(segment: Segment, designDistance: Int, to url: URL) throws(IndexError) {
        let header = header(for: segment, designDistance: designDistance)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw IndexError(code: .snapshotUnwritable, message: "Cannot create \(temporary.path); check the folder exists and is writable.",
                             underlying: POSIXErrorWrapper(errno))
        }
        var ok = true
        var failure: Int32 = 0
        func writeAll(_ pointer: UnsafeRawPointer?, _ count: Int) {
            var done = 0
            while ok && done < count {
                let n = Foundation.write(fd, pointer! + done, count - done)
                if n < 0 { if errno == EINTR { continue }; ok = false; failure = errno; return }
                done += n
            }
        }
        header.withUnsafeBytes { writeAll($0.baseAddress, $0.count) }
        if segment.layout.byteCount > 0 { writeAll(segment.storage.base, segment.layout.byteCount) }
        if ok && fsync(fd) != 0 { ok = false; failure = errno }
        close(fd)
        if ok && rename(temporary.path, url.path) != 0 { ok = false; failure = errno }
        if !ok {
            unlink(temporary.path)
            throw IndexError(code: .snapshotUnwritable, message: "Writing the snapshot \(url.path) failed; check free disk space and permissions.",
                             underlying: POSIXErrorWrapper(failure))
        }
    }
}

/// A system error number, carried as the underlying cause of an `IndexError`.
public struct POSIXErrorWrapper: Error, Sendable, CustomStringConvertible {
    /// The `errno` value.
    public let number: Int32
    init(_ number: Int32) { self.number = number }
    public var description: String { "errno \(number): \(String(cString: strerror(number)))" }
}

enum SnapshotReader {
    static func damaged(_ url: URL, _ what: String) -> IndexError {
        IndexError(code: .snapshotDamaged,
                   message: "The snapshot \(url.path) is damaged (\(what)); rebuild it from the bank with save(to:).")
    }

    static func read(url: URL, words: Int) throws(IndexError) -> (Segment, Int) {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else {
            throw IndexError(code: .snapshotUnreadable, message: "Cannot open the snapshot \(url.path); check the path and permissions.",
                             underlying: POSIXErrorWrapper(errno))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw IndexError(code: .snapshotUnreadable, message: "Cannot read the size of \(url.path).", underlying: POSIXErrorWrapper(errno))
        }
        let size = Int(info.st_size)
        guard size >= SnapshotFormat.headerSize else {
            if size >= 8 {
                var magic = [UInt8](repeating: 0, count: 8)
                _ = pread(fd, &magic, 8, 0)
                if magic != SnapshotFormat.magic {
                    throw IndexError(code: .snapshotForeign, message: "\(url.path) is not an nccmatch index snapshot.")
                }
            }
            throw IndexError(code: .snapshotTruncated, message: "The snapshot \(url.path) is only \(size) bytes: it was cut short; write it again.")
        }
        #if os(Linux)
        let flags = MAP_PRIVATE | MAP_POPULATE  // populate: page faults up front, not during the first searches
        #else
        let flags = MAP_PRIVATE
        #endif
        guard let mapped = mmap(nil, size, PROT_READ, flags, fd, 0), mapped != MAP_FAILED else {
            throw IndexError(code: .snapshotUnreadable, message: "Cannot map the snapshot \(url.path) into memory.", underlying: POSIXErrorWrapper(errno))
        }
        let mappedBits = UInt(bitPattern: mapped)
        let storage = SegmentStorage(mapped: mapped + SnapshotFormat.headerSize, byteCount: size - SnapshotFormat.headerSize) { _, _ in
            munmap(UnsafeMutableRawPointer(bitPattern: mappedBits), size)
        }
        let header = UnsafeRawBufferPointer(start: mapped, count: SnapshotFormat.headerSize)
        func get<T: FixedWidthInteger>(_ type: T.Type, _ offset: Int) -> T {
            T(littleEndian: header.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        guard Array(header[0..<8]) == SnapshotFormat.magic else {
            throw IndexError(code: .snapshotForeign, message: "\(url.path) is not an nccmatch index snapshot.")
        }
        let version = get(UInt32.self, 8)
        guard version == SnapshotFormat.version else {
            throw IndexError(code: .snapshotUnsupportedVersion,
                             message: "The snapshot \(url.path) has format version \(version); this nccmatch reads version \(SnapshotFormat.version). Rebuild it with this version.")
        }
        let headerSum = Kernels.checksum(UnsafeRawBufferPointer(rebasing: header[0..<(SnapshotFormat.headerSize - 8)]), seed: 2)
        guard headerSum == get(UInt64.self, SnapshotFormat.headerSize - 8) else { throw damaged(url, "header checksum mismatch") }
        let fileWords = Int(get(UInt32.self, 12))
        guard fileWords == words else {
            throw IndexError(code: .snapshotWrongCodeType,
                             message: "The snapshot \(url.path) holds \(fileWords * 64)-bit codes; this index holds \(words * 64)-bit codes.")
        }
        let count = Int(get(UInt64.self, 16))
        let tableCount = Int(get(UInt32.self, 24))
        let flags32 = get(UInt32.self, 28)
        let payloadBytes = Int(get(UInt64.self, 32))
        guard count < Int(UInt32.max), tableCount <= SnapshotFormat.maxTables, flags32 <= 1 else { throw damaged(url, "impossible header values") }
        var substrings: [Substring] = []
        var nextStart = 0
        for t in 0..<tableCount {
            let sub = Substring(start: Int(get(UInt32.self, 56 + t * 8)), bits: Int(get(UInt32.self, 60 + t * 8)))
            guard sub.start == nextStart, (Planner.minSubstringBits...Planner.maxSubstringBits).contains(sub.bits) else { throw damaged(url, "bad substring layout") }
            nextStart += sub.bits
            substrings.append(sub)
        }
        guard tableCount == 0 || nextStart == words * 64 else { throw damaged(url, "substrings do not cover the code") }
        let layout = SegmentLayout(count: count, words: words, substrings: substrings, hasIDOrder: flags32 == 1)
        guard layout.byteCount == payloadBytes else { throw damaged(url, "payload size does not match the layout") }
        guard size - SnapshotFormat.headerSize == payloadBytes else {
            throw IndexError(code: .snapshotTruncated,
                             message: "The snapshot \(url.path) is \(size) bytes but its header announces \(SnapshotFormat.headerSize + payloadBytes): it was cut short or appended to.")
        }
        let payload = UnsafeRawBufferPointer(start: storage.base, count: payloadBytes)
        guard Kernels.checksum(payload, seed: 1) == get(UInt64.self, 40) else { throw damaged(url, "payload checksum mismatch") }
        // Structure checks keep a crafted file with a valid checksum from steering reads out of bounds.
        if let base = storage.base {
            if layout.hasIDOrder {
                guard Kernels.allBelow((base + layout.idOrderOffset).assumingMemoryBound(to: UInt32.self), count: count, limit: UInt32(count))
                else { throw damaged(url, "id order out of range") }
            }
            for t in 0..<tableCount {
                let offsets = layout.tableOffsets(t)
                guard Kernels.tableIsValid(
                    directory: (base + offsets.directory).assumingMemoryBound(to: UInt64.self),
                    starts: (base + offsets.starts).assumingMemoryBound(to: UInt32.self),
                    positions: (base + offsets.positions).assumingMemoryBound(to: UInt32.self),
                    bits: substrings[t].bits, count: count)
                else { throw damaged(url, "table \(t) is inconsistent") }
            }
        }
        let segment = Segment(layout: layout, storage: storage, generation: 0)
        return (segment, Int(get(UInt32.self, 48)))
    }
}
