import NCCHashing

/// Groups the pictures of a corpus without a MANIFEST.tsv into scenes, so that burst shots, stereo pairs and
/// frames of one video are not counted as false matches of each other.
///
/// Two originals are one scene when at least two of their three independent hashes agree within the default
/// distances (PDQ ≤ 31 of 256 bits, pHash ≤ 8 and dHash ≤ 8 of 64): a collision of one hash alone (two
/// striped wallpapers with the same dHash) is a false match to report, not a scene; two hashes agreeing is
/// what near-identical shots do. Groups are closed under the relation (single linkage, union-find), so a
/// burst of many shots is one scene even when its first and last shots are far apart.
public enum NearDuplicateClusters {
    /// The rule, in words, for the report.
    public static let method = "two pictures are one scene when at least two of PDQ <= 31, pHash <= 8 and dHash <= 8 hold between their originals; groups are closed by single linkage"

    /// For each picture, the index of the first picture of its group.
    public static func groups(_ originals: [ImageSignature]) -> [Int] {
        var parent = Array(originals.indices)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }
            return i
        }
        for i in originals.indices {
            for j in originals.indices where j > i {
                let a = originals[i], b = originals[j]
                var agree = 0
                if a.pdq.distance(to: b.pdq) <= HashAlgorithm.pdq.defaultMaxDistance { agree += 1 }
                if a.phash.distance(to: b.phash) <= HashAlgorithm.phash.defaultMaxDistance { agree += 1 }
                if agree == 0 { continue }
                if a.dhash.distance(to: b.dhash) <= HashAlgorithm.dhash.defaultMaxDistance { agree += 1 }
                if agree >= 2 {
                    let ri = root(i), rj = root(j)
                    if ri != rj { parent[max(ri, rj)] = min(ri, rj) }
                }
            }
        }
        return originals.indices.map { root($0) }
    }
}
