import Foundation
import NCCBank
import NCCHashing
import NCCIndex
import Synchronization

/// The in-memory matching indexes of the bank: one Hamming index per perceptual algorithm, and a
/// dictionary for the exact digests. Index ids are bank image ids (hashes an exchange imported are kept as
/// `-ImportedHash.id`, stored in the indexes' unsigned ids by bit pattern), so a match names a picture, and
/// removing an image id drops all its hashes (the dihedral variants included) at once. Videos' frames go to
/// `videos` (matched as a whole, never as pictures); a video's digests sit in the digest table like a picture's.
///
/// PDQ sits in two tiers, as `MatchingPolicy.matchDistance` counts a match: `pdq` holds each picture's own PDQ
/// (the first one stored for it; an imported hash is a picture of its own), searched at the full distance, and
/// `pdqCompanions` every other PDQ a case stores for it (rotated, cropped, masked, low-passed forms), searched only
/// within `MatchingPolicy.companionMaxDistance`. At 17.8 stored hashes a picture the companions are most of the
/// bank, and that narrower search is what keeps a million-picture bank near the cost of its own hashes alone. A
/// query's masked and low-passed forms (by the item's `kind`, `MatchingPolicy.reach(ofSentKind:)`) search only
/// the companions.
///
/// Searches run concurrently; writes are serialised by the indexes themselves and by a `Mutex` for the digests.
///
/// - Warning: holds bank hash values; nothing here may be logged or served.
final class BankIndex: Sendable {
    /// Each picture's own PDQ (and every imported PDQ), matched at the full distance.
    let pdq = PDQIndex()
    /// Every other PDQ a case stores for a picture, matched within `MatchingPolicy.companionMaxDistance`.
    let pdqCompanions = PDQIndex(ids: [], words: [], options: IndexOptions(designDistance: MatchingPolicy.companionMaxDistance))
    let phash = Hash64Index()
    let dhash = Hash64Index()
    /// Videos' frames.
    let videos = VideoFrameIndex()
    private let digests = DigestTable()

    /// Number of live hashes per algorithm (video frames are counted under `.pdq`).
    var counts: [HashAlgorithm: Int] {
        let exact = digests.counts()
        return [.pdq: pdq.count + pdqCompanions.count + videos.count, .phash: phash.count, .dhash: dhash.count, .md5: exact.md5, .sha256: exact.sha256]
    }

    /// Adds stored hashes. A picture's first PDQ (the lowest row id of a picture not yet holding one) goes to
    /// `pdq`, its others to `pdqCompanions`.
    func insert(_ hashes: [StoredHash]) {
        var groups: [HashAlgorithm: (ids: [UInt64], words: [UInt64])] = [:]
        var companions: (ids: [UInt64], words: [UInt64]) = ([], [])
        var exact: [StoredHash] = []
        videos.insert(hashes)
        var own: [Int64: Int64] = [:]  // image id -> row id of its own PDQ, for pictures new to the index
        for hash in hashes where hash.algorithm == .pdq && hash.kind == .picture {
            if let first = own[hash.imageID] { own[hash.imageID] = min(first, hash.id) } else { own[hash.imageID] = hash.id }
        }
        own = own.filter { !pdq.contains(id: UInt64(bitPattern: $0.key)) }
        for hash in hashes {
            if hash.kind == .video && hash.algorithm != .md5 && hash.algorithm != .sha256 { continue }
            switch hash.algorithm {
            case .pdq where own[hash.imageID] != hash.id:
                companions.ids.append(UInt64(bitPattern: hash.imageID))
                companions.words.append(contentsOf: HashText.words(hash.value))
            case .pdq, .phash, .dhash:
                groups[hash.algorithm, default: ([], [])].ids.append(UInt64(bitPattern: hash.imageID))
                groups[hash.algorithm, default: ([], [])].words.append(contentsOf: HashText.words(hash.value))
            case .md5, .sha256:
                exact.append(hash)
            }
        }
        for (algorithm, group) in groups {
            switch algorithm {
            case .pdq: pdq.insert(ids: group.ids, words: group.words)
            case .phash: phash.insert(ids: group.ids, words: group.words)
            case .dhash: dhash.insert(ids: group.ids, words: group.words)
            case .md5, .sha256: break  // never grouped: exact digests went to `exact`
            }
        }
        if !companions.ids.isEmpty { pdqCompanions.insert(ids: companions.ids, words: companions.words) }
        digests.insert(exact)
    }

    /// Removes every hash of these stored hashes' images.
    func remove(_ hashes: [StoredHash]) {
        var images: [HashAlgorithm: Set<Int64>] = [:]
        var exact: [StoredHash] = []
        videos.removeVideos(Set(hashes.filter { $0.kind == .video }.map(\.imageID)))
        for hash in hashes {
            if hash.algorithm == .md5 || hash.algorithm == .sha256 { exact.append(hash) } else if hash.kind == .picture { images[hash.algorithm, default: []].insert(hash.imageID) }
        }
        for (algorithm, ids) in images {
            for id in ids {
                switch algorithm {
                case .pdq:
                    pdq.remove(id: UInt64(bitPattern: id))
                    pdqCompanions.remove(id: UInt64(bitPattern: id))
                case .phash: phash.remove(id: UInt64(bitPattern: id))
                case .dhash: dhash.remove(id: UInt64(bitPattern: id))
                case .md5, .sha256: break  // never collected: exact digests went to `exact`
                }
            }
        }
        digests.remove(exact)
    }

    /// Removes every hash of these images from every index; images not present are ignored, so applying
    /// the same withdrawal twice (once locally, once from the change feed) is harmless.
    func removeImages(_ imageIDs: Set<Int64>) {
        for id in imageIDs {
            _ = pdq.remove(id: UInt64(bitPattern: id))
            _ = pdqCompanions.remove(id: UInt64(bitPattern: id))
            _ = phash.remove(id: UInt64(bitPattern: id))
            _ = dhash.remove(id: UInt64(bitPattern: id))
        }
        videos.removeVideos(imageIDs)
        digests.removeImages(imageIDs)
    }

    /// One query: its algorithm, value and, for PDQ, what its kind lets it reach.
    struct Query: Sendable {
        var algorithm: HashAlgorithm
        var bytes: [UInt8]
        /// For PDQ: whether the own tier is searched and how far the companion tier is (`MatchingPolicy.reach(ofSentKind:)`).
        var reach: SentReach = .full
    }

    /// For each query, the matching images with their smallest distance, sorted by distance then image id.
    /// A PDQ query searches the own tier at the distance asked for when its kind reaches it, and the companion
    /// tier within its reach (`MatchingPolicy.companionMaxDistance`, or the narrower distance asked for).
    func match(_ queries: [Query], distances: [HashAlgorithm: Int]) -> [[IndexMatch]] {
        var results = [[IndexMatch]](repeating: [], count: queries.count)
        // PDQ queries grouped by reach (two groups at most today), the others by algorithm: one batched search each.
        var groups: [GroupKey: [Int]] = [:]
        for (i, query) in queries.enumerated() {
            groups[GroupKey(algorithm: query.algorithm, reach: query.algorithm == .pdq ? query.reach : .full), default: []].append(i)
        }
        for (group, members) in groups {
            let algorithm = group.algorithm
            switch algorithm {
            case .pdq, .phash, .dhash:
                var words: [UInt64] = []
                words.reserveCapacity(members.count * algorithm.bitCount / 64)
                for i in members { words.append(contentsOf: HashText.words(queries[i].bytes)) }
                let distance = distances[algorithm] ?? algorithm.defaultMaxDistance
                let found: [[IndexMatch]] = switch algorithm {
                case .pdq:
                    Self.merged(group.reach.own ? pdq.search(queryWords: words, within: distance) : [[IndexMatch]](repeating: [], count: members.count),
                                pdqCompanions.search(queryWords: words, within: min(distance, group.reach.companions)))
                case .phash: phash.search(queryWords: words, within: distance)
                case .dhash: dhash.search(queryWords: words, within: distance)
                case .md5, .sha256: []  // unreachable: the outer case holds the Hamming algorithms only
                }
                for (k, i) in members.enumerated() { results[i] = Self.bestPerImage(found[k]) }
            case .md5, .sha256:
                for i in members {
                    results[i] = digests.lookup(algorithm: algorithm, value: queries[i].bytes).sorted().map { IndexMatch(id: UInt64(bitPattern: $0), distance: 0) }
                }
            }
        }
        return results
    }

    /// Queries searched together: one algorithm and, for PDQ, one reach.
    struct GroupKey: Hashable {
        var algorithm: HashAlgorithm
        var reach: SentReach
    }

    /// Both tiers' matches per query, sorted by distance then id as one index would sort them.
    static func merged(_ own: [[IndexMatch]], _ companions: [[IndexMatch]]) -> [[IndexMatch]] {
        zip(own, companions).map { own, companions in
            if companions.isEmpty { return own }
            if own.isEmpty { return companions }
            return (own + companions).sorted { ($0.distance, $0.id) < ($1.distance, $1.id) }
        }
    }

    /// Keeps each image once, at its smallest distance (the index already sorts by distance then id).
    static func bestPerImage(_ matches: [IndexMatch]) -> [IndexMatch] {
        if matches.count < 2 { return matches }
        var seen = Set<UInt64>()
        return matches.filter { seen.insert($0.id).inserted }
    }
}

extension IndexMatch {
    /// The bank image id this match names, read from the index's unsigned id by bit pattern: positive for a case
    /// picture or video, negative for an imported hash (`ImportedIndexID`).
    var imageID: Int64 { Int64(bitPattern: id) }
}

/// How an imported hash is kept in the matching indexes: as the negative of its store id (`ImportedHash.id`, always
/// positive), so it never meets a case image id and the probing guard and the daily budget count it as one more
/// picture. The one place that encoding is written.
enum ImportedIndexID {
    /// The index id of imported hash `hashID`.
    static func of(_ hashID: Int64) -> Int64 { -hashID }

    /// The imported hash behind `indexID`, or nil for a case picture or video.
    static func hashID(_ indexID: Int64) -> Int64? { indexID < 0 && indexID != .min ? -indexID : nil }
}

/// Exact digests (MD5, SHA-256) to the images holding them.
final class DigestTable: Sendable {
    struct Key: Hashable {
        var algorithm: HashAlgorithm
        var value: [UInt8]
    }

    private struct State {
        var table: [Key: [Int64: Int]] = [:]
        /// The digest keys of each image, so a withdrawal known only by image ids can drop them.
        var keysByImage: [Int64: [Key]] = [:]
        var md5 = 0, sha256 = 0

        /// Drops one occurrence of `key` for `imageID` from `table` and the counts; false when it was not there.
        mutating func drop(_ key: Key, of imageID: Int64) -> Bool {
            guard var images = table[key], let n = images[imageID] else { return false }
            images[imageID] = n > 1 ? n - 1 : nil
            table[key] = images.isEmpty ? nil : images
            if key.algorithm == .md5 { md5 -= 1 } else { sha256 -= 1 }
            return true
        }
    }

    private let state = Mutex(State())

    func counts() -> (md5: Int, sha256: Int) {
        state.withLock { ($0.md5, $0.sha256) }
    }

    func insert(_ hashes: [StoredHash]) {
        guard !hashes.isEmpty else { return }
        state.withLock { state in
            for hash in hashes {
                let key = Key(algorithm: hash.algorithm, value: hash.value)
                state.table[key, default: [:]][hash.imageID, default: 0] += 1
                state.keysByImage[hash.imageID, default: []].append(key)
                if hash.algorithm == .md5 { state.md5 += 1 } else { state.sha256 += 1 }
            }
        }
    }

    func remove(_ hashes: [StoredHash]) {
        guard !hashes.isEmpty else { return }
        state.withLock { state in
            for hash in hashes {
                let key = Key(algorithm: hash.algorithm, value: hash.value)
                guard state.drop(key, of: hash.imageID) else { continue }
                if var keys = state.keysByImage[hash.imageID], let at = keys.firstIndex(of: key) {
                    keys.remove(at: at)
                    state.keysByImage[hash.imageID] = keys.isEmpty ? nil : keys
                }
            }
        }
    }

    /// Drops every digest of these images; images not present are ignored (so it may run twice).
    func removeImages(_ imageIDs: Set<Int64>) {
        state.withLock { state in
            for imageID in imageIDs {
                guard let keys = state.keysByImage.removeValue(forKey: imageID) else { continue }
                for key in keys { _ = state.drop(key, of: imageID) }
            }
        }
    }

    func lookup(algorithm: HashAlgorithm, value: [UInt8]) -> [Int64] {
        state.withLock { Array($0.table[Key(algorithm: algorithm, value: value)]?.keys ?? [:].keys) }
    }
}
