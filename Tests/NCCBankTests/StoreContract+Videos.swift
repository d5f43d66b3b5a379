import Foundation
import NCCBank
import NCCHashing
import NCCTestSupport
import Testing

/// The store contract for videos: a video is one bank item whose PDQ hashes are its frames.
extension StoreContract {
    /// Frames of a video (distinct PDQ values) under picture number 1, its MD5 beside them, and a picture under 0.
    static func videoCase(frames: Int) -> [NewHash] {
        var hashes = [NewHash(algorithm: .pdq, value: Array(repeating: 9, count: 32), quality: 90, imageKey: 0)]
        for f in 0..<frames {
            hashes.append(NewHash(algorithm: .pdq, value: Array(repeating: UInt8(f), count: 31) + [0xAA], quality: 60 + f % 40, imageKey: 1, kind: .video))
        }
        hashes.append(NewHash(algorithm: .md5, value: Array(repeating: 7, count: 16), quality: nil, imageKey: 1, kind: .video))
        return hashes
    }

    /// A video is stored, loaded, reported, exported and imported as one item of kind video whose frames are its
    /// hashes; withdrawal removes every frame at once.
    static func videosAreOneItemWithdrawnWhole(_ backend: Backend) async throws {
        try await withStore(backend) { fixture in
            let store = try await fixture.open()
            let hashes = videoCase(frames: 12)
            let stored = try await store.createCase(NewCase(id: "c_v", secret: try secret(), hashes: hashes))
            #expect(stored.count == 14 && Set(stored.map(\.imageID)).count == 2)
            #expect(stored.filter { $0.kind == .video }.count == 13)
            let videoID = try #require(stored.first { $0.kind == .video }?.imageID)
            #expect(stored.filter { $0.imageID == videoID }.allSatisfy { $0.kind == .video })

            // Reopened: the kinds come back for the index, and the status shows the video as one entry.
            let reopened = try await fixture.open()
            let loaded = try await reopened.loadHashes()
            #expect(loaded.filter { $0.kind == .video }.count == 13 && loaded.filter { $0.kind == .picture }.count == 1)
            let status = try #require(try await reopened.caseStatus(caseID: "c_v"))
            #expect(status.images.map(\.kind) == [.picture, .video])
            #expect(status.images.map(\.hashes) == [1, 13])

            // More hashes for the video's number keep its kind; a match reference names the whole video.
            let more = try await reopened.addHashes(caseID: "c_v", hashes: [NewHash(algorithm: .sha256, value: Array(repeating: 5, count: 32), quality: nil, imageKey: 1, kind: .video)])
            #expect(more.map(\.kind) == [.video] && more.map(\.imageID) == [videoID])
            let platform = try await reopened.addPlatform(name: "p", key: APIKey.generate())
            #expect(try await reopened.matchReferences(platform: platform, imageIDs: [videoID]).count == 1)

            // Export keeps the kind (and quality) of every frame.
            let exported = try #require(try await reopened.exportCases().first)
            #expect(Set(exported.hashes) == Set(hashes + more.map { NewHash(algorithm: .sha256, value: $0.value, quality: nil, imageKey: 1, kind: .video) }))

            // Withdrawal: every frame goes in the one transaction, and nothing of the video is left.
            let removed = try await reopened.withdrawCase(caseID: "c_v")
            #expect(removed.filter { $0.imageID == videoID }.count == 14)
            #expect(removed.filter { $0.imageID == videoID }.allSatisfy { $0.kind == .video })
            #expect(try await reopened.loadHashes().isEmpty)
            #expect(try await reopened.matchReferences(platform: platform, imageIDs: [videoID]).isEmpty)
        }
    }

    /// An exported video imports as a video on every backend (export from SQLite, as an operator moving a bank).
    static func videosTravelThroughExport(into backend: Backend) async throws {
        try await withStore(.sqlite) { source in
            let from = try await source.open()
            _ = try await from.createCase(NewCase(id: "c_v", secret: try secret(), hashes: videoCase(frames: 5)))
            let dir = try TemporaryDirectory(prefix: "nccmatch-export")
            defer { dir.remove() }
            let file = dir.url.appendingPathComponent("bank.jsonl").path
            _ = try await BankTransfer.export(from: from, to: file)
            #expect(try String(contentsOfFile: file, encoding: .utf8).contains("\"kind\":\"video\""))
            try await withStore(backend) { target in
                let to = try await target.open()
                let imported = try await BankTransfer.importBank(from: file, into: to)
                #expect(imported.cases == 1 && imported.hashes == 7)
                #expect(try await to.loadHashes().filter { $0.kind == .video }.count == 6)
                #expect(try await to.caseStatus(caseID: "c_v")?.images.map(\.kind) == [.picture, .video])
                #expect(Set(try await to.exportCases().flatMap(\.hashes)) == Set(try await from.exportCases().flatMap(\.hashes)))
            }
        }
    }
}
