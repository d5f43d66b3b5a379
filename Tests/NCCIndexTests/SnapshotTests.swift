import Foundation
import NCCHashing
import NCCTestSupport
import Testing
@testable import NCCIndex

@Test func snapshotRoundTripAndRefusals() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var rng = SplitMix64(seed: 31)
    let n = 5000
    var ids = (0..<UInt64(n)).map { $0 * 2 }
    ids.swapAt(0, 10)  // unsorted ids exercise the stored id order
    let words = randomWords(n * 4, using: &rng)
    let index = PDQIndex(ids: ids, words: words, options: IndexOptions(layout: .multiIndex(substrings: 16)))
    index.insert(id: 999_999, code: PDQHash(codeWords: Array(words[0..<4])))
    index.remove(id: 4)
    let url = dir.url.appendingPathComponent("bank.nccindex")
    try index.save(to: url)
    let loaded = try PDQIndex.load(from: url)
    #expect(loaded.count == index.count)
    for i in stride(from: 0, to: 40, by: 1) {
        let q = PDQHash(codeWords: flip(Array(words[(i * 4)..<(i * 4 + 4)]), bits: i % 33, using: &rng))
        #expect(loaded.search(q, within: 31) == index.search(q, within: 31))
    }
    #expect(loaded.contains(id: 0) && loaded.contains(id: 999_999) && !loaded.contains(id: 4))
    // The loaded index takes writes like any other.
    loaded.remove(id: 0)
    #expect(!loaded.contains(id: 0))

    let bytes = try Data(contentsOf: url)
    func refuse(_ data: Data, _ code: String, _ label: String) throws {
        let bad = dir.url.appendingPathComponent("\(label).nccindex")
        try data.write(to: bad)
        #expect(throws: IndexError.self) { try PDQIndex.load(from: bad) }
        do { _ = try PDQIndex.load(from: bad) } catch { #expect(error.code.rawValue == code, "\(label): \(error)") }
    }
    var flipped = bytes
    flipped[flipped.count / 2] ^= 0x40
    try refuse(flipped, "snapshot_damaged", "payload")
    var header = bytes
    header[20] ^= 1
    try refuse(header, "snapshot_damaged", "header")
    try refuse(bytes.prefix(bytes.count - 100), "snapshot_truncated", "short")
    try refuse(bytes.prefix(100), "snapshot_truncated", "tiny")
    try refuse(Data("{\"not\": \"an index\"}\n".utf8) + Data(count: 5000), "snapshot_foreign", "foreign")
    var version = bytes
    version[8] = 9
    try refuse(version, "snapshot_unsupported_version", "version")
    do { _ = try Hash64Index.load(from: url) } catch { #expect(error.code == .snapshotWrongCodeType) }
    do { _ = try PDQIndex.load(from: dir.url.appendingPathComponent("missing")) } catch { #expect(error.code == .snapshotUnreadable) }
}

@Test func snapshotOfSmallAndEmptyIndexes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let empty = Hash64Index()
    let url = dir.url.appendingPathComponent("empty")
    try empty.save(to: url)
    #expect(try Hash64Index.load(from: url).count == 0)
    let small = Hash64Index(ids: [3, 1, 2], words: [7, 8, 9])
    try small.save(to: url)
    let loaded = try Hash64Index.load(from: url)
    #expect(loaded.search(Hash64(8), within: 0) == [IndexMatch(id: 1, distance: 0)])
    #expect(loaded.nearest(to: Hash64(8), count: 3).map(\.id) == [1, 2, 3])
}
