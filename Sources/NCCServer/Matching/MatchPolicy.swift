import NCCHashing

/// What a platform may ask of `/v1/match` and what it is told: the rules that keep the bank from being
/// read back out through the match API (DESIGN.md, invariant 2). See docs/service.md, "What a match tells".
///
/// - No exact distance unless the operator grants it to the platform (`trusted`): a distance is a
///   graded oracle from which a stored hash is rebuilt in a handful of requests.
/// - A caller may narrow matching only to a few fixed levels, never to any distance it likes.
/// - A pHash or dHash match counts only together with a PDQ of the same upload (items sharing an `id`)
///   within `pdqGateDistance` of the same bank picture: 64-bit hashes at distance 8 are reachable by random
///   search, 256-bit PDQ hashes are not.
enum MatchPolicy {
    /// The `max_distance` values a caller may send, per algorithm (the default first).
    static func levels(_ algorithm: HashAlgorithm) -> [Int] {
        switch algorithm {
        case .pdq: [31, 23, 15]
        case .phash, .dhash: [8, 6, 4]
        case .md5, .sha256: [0]
        }
    }

    /// How near a PDQ of the same upload must be to a bank picture for its pHash or dHash match to count
    /// (`MatchingPolicy.pdqGateDistance`, which `nccmatch eval` counts against too).
    static let pdqGateDistance = MatchingPolicy.pdqGateDistance

    /// Matches at this distance or more count as probing evidence when repeated with many distinct query
    /// values against one bank picture (a boundary walk lives there; copies of a picture mostly land below).
    static func probeBand(_ algorithm: HashAlgorithm) -> Int {
        switch algorithm {
        case .pdq: 12
        case .phash, .dhash: 2
        case .md5, .sha256: Int.max
        }
    }
}
