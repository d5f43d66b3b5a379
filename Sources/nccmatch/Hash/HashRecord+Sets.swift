import NCCHashing

/// Which side's hashes `nccmatch hash --set` prints.
enum HashSetSide: String, Sendable, CaseIterable {
    /// What a case stores for a picture (`nccmatch case submit`, the person's page): `MatchingPolicy.storedPDQ`
    /// with the picture's quality, pHash, dHash, MD5 and SHA-256; MD5 and SHA-256 only for a picture too plain
    /// to be matched by its look.
    case `case`
    /// What a platform's query sends for an upload (`nccmatch match` without `--dihedral`): `MatchingPolicy.queryPDQ`,
    /// pHash and dHash.
    case query

    /// The hashing this side needs, keeping the command's decoding settings.
    func options(_ base: HashingOptions, policy: MatchingPolicy = .standard) -> HashingOptions {
        var options = self == .case ? policy.caseHashingOptions(mode: base.mode) : policy.queryHashingOptions(dihedral: false, mode: base.mode)
        options.applyEXIFOrientation = base.applyEXIFOrientation
        options.maxPixels = base.maxPixels
        return options
    }
}

extension HashRecord {
    /// One hash of a side's set: what it is of, its algorithm, its value and, for PDQ, the quality it carries.
    struct SetEntry: Equatable {
        var kind: String
        var algorithm: String
        var value: String
        var quality: Int?
    }

    /// Every hash `side` sends for this input, in the order the policy lists them; empty when it was not hashed.
    func setEntries(_ side: HashSetSide, policy: MatchingPolicy = .standard) -> [SetEntry] {
        var entries: [SetEntry] = []
        if case .success(let hashes) = outcome, video == nil {
            let picture = PDQCompanions(hashes)
            switch side {
            case .case:
                // A picture too plain to be matched by its look is stored by its digests only (as case submit does).
                if hashes.pdq.quality >= policy.minimumQuality {
                    entries += policy.storedPDQKinds(picture).map { SetEntry(kind: $0.kind, algorithm: "pdq", value: $0.hash.hex, quality: hashes.pdq.quality) }
                    let hash64 = policy.storedHash64(hashes), prefix = hash64.photoRegion ? "photo-region-" : ""
                    entries.append(SetEntry(kind: prefix + "phash", algorithm: "phash", value: hash64.phash.hex))
                    entries.append(SetEntry(kind: prefix + "dhash", algorithm: "dhash", value: hash64.dhash.hex))
                }
            case .query:
                entries += policy.queryPDQKinds(picture, dihedral: false).map { SetEntry(kind: $0.kind, algorithm: "pdq", value: $0.hash.hex, quality: nil) }
                entries.append(SetEntry(kind: "phash", algorithm: "phash", value: hashes.phash.hex))
                entries.append(SetEntry(kind: "dhash", algorithm: "dhash", value: hashes.dhash.hex))
            }
        }
        if side == .case, let digests, video == nil {
            if case .success = outcome {} else if case .failure(let error) = outcome, error.code == "empty_file" { return entries }
            entries.append(SetEntry(kind: "md5", algorithm: "md5", value: digests.md5))
            entries.append(SetEntry(kind: "sha256", algorithm: "sha256", value: digests.sha256))
        }
        return entries
    }

    /// One JSON object: `path`, `set`, and `hashes`, a list of `{kind, algorithm, hash[, quality]}`; `error` when
    /// the input could not be hashed as a picture.
    func setJSONLine(_ side: HashSetSide) -> String {
        var json = JSONObjectWriter()
        json.string("path", path)
        json.string("set", side.rawValue)
        let items = setEntries(side).map { entry in
            var inner = JSONObjectWriter()
            inner.string("kind", entry.kind)
            inner.string("algorithm", entry.algorithm)
            inner.string("hash", entry.value)
            if let quality = entry.quality { inner.int("quality", quality) }
            return inner.finished()
        }
        json.raw("hashes", "[" + items.joined(separator: ",") + "]")
        if video != nil {
            var inner = JSONObjectWriter()
            inner.string("code", "video_not_in_set")
            inner.string("message", "Videos are matched by their vPDQ frames; hash them without --set to see them.")
            json.raw("error", inner.finished())
        } else if case .failure(let error) = outcome {
            var inner = JSONObjectWriter()
            inner.string("code", error.code)
            inner.string("message", error.message)
            json.raw("error", inner.finished())
        }
        return json.finished()
    }

    /// For a person: the path, then one line per hash (`kind  algorithm  hash`).
    func setTextLines(_ side: HashSetSide) -> String {
        var lines = [TerminalText.escaped(path)]
        for entry in setEntries(side) { lines.append("  \(entry.kind.padding(toLength: 22, withPad: " ", startingAt: 0)) \(entry.algorithm.padding(toLength: 6, withPad: " ", startingAt: 0)) \(entry.value)") }
        if case .failure(let error) = outcome, video == nil { lines.append("  not hashed as a picture: \(error.message) (\(error.code))") }
        return lines.joined(separator: "\n")
    }
}
