import ArgumentParser
import Foundation
import NCCClient
import NCCHashing
import NCCWire

/// `nccmatch match --server`: the same queries and output as a local match, answered by a bank server.
///
/// Queries (hash lists, or images hashed here) are sent in batches to `POST /v1/match`; only hashes leave
/// the machine. Every hash of one query goes under one item id (its position), as the wire contract says:
/// items sharing an id are hashes of one upload: all its PDQ codes (plain, dihedral variants with
/// `--dihedral`, companions) and its pHash and dHash when known, whatever `--algorithm` says; the bank then
/// counts a pHash or dHash match only beside a PDQ of the same upload. A query's items never straddle two
/// requests. Output lines are those of the local match with the bank id replaced by the opaque match
/// reference: `{"query": …, "matches": [{"id": "<match_ref>", "distance": n}]}`; `distance` is left out when
/// the bank does not disclose it, and a match found only through another algorithm than `--algorithm`
/// names it (`"algorithm": "phash"`).
struct RemoteMatch {
    var server: String
    var apiKey: String
    var algorithm: HashAlgorithm
    var maxDistance: Int?
    var dihedral: Bool
    var text: Bool
    var batchSize: Int
    var allowInsecureHTTP = false

    /// The distances the bank accepts as `max_distance` for `algorithm`, loosest first.
    static func distanceLevels(_ algorithm: HashAlgorithm) -> [Int] {
        algorithm == .pdq ? [31, 23, 15] : [8, 6, 4]
    }

    /// One match of a query as printed: the smallest distance seen for the chosen algorithm, else for another.
    struct Found {
        var distance: Int?
        /// nil when found through the chosen algorithm.
        var algorithm: String?

        /// Whether `self` should replace `old`: the chosen algorithm first, then a known, smaller distance.
        func better(than old: Found) -> Bool {
            if (algorithm == nil) != (old.algorithm == nil) { return algorithm == nil }
            switch (distance, old.distance) {
            case (let a?, let b?): return a < b
            case (_?, nil): return true
            default: return false
            }
        }
    }

    func run(queries: [String]) throws {
        let client: BankClient
        do {
            client = try BankClient(server: server, allowInsecureHTTP: allowInsecureHTTP)
        } catch let error as BankClientError {
            FileHandle.standardError.write(Data("nccmatch match: \(error.message)\n".utf8))
            throw ExitCode(1)
        }
        let loaded = QuerySet.loadAll(queries, algorithm: algorithm, dihedral: dihedral, companions: true)
        let items = loaded.sets.flatMap(\.items)
        // Each query's items, all under the query's position as id.
        var groups: [[MatchItem]] = []
        for (q, item) in items.enumerated() {
            guard case .success(let codes) = item.hashes else { continue }
            let id = String(q)
            var list: [MatchItem] = []
            for start in stride(from: 0, to: codes.pdq.count, by: 4) {
                list.append(MatchItem(id: id, algorithm: .pdq, value: WireHex.text(words: codes.pdq[start..<(start + 4)])))
            }
            if let p = codes.phash { list.append(MatchItem(id: id, algorithm: .phash, value: WireHex.text(words: [p]))) }
            if let d = codes.dhash { list.append(MatchItem(id: id, algorithm: .dhash, value: WireHex.text(words: [d]))) }
            if !list.isEmpty { groups.append(list) }
        }
        let withoutPDQ = items.filter { if case .success(let codes) = $0.hashes { return codes.pdq.isEmpty } else { return false } }.count
        if withoutPDQ > 0 {
            FileHandle.standardError.write(Data("""
                nccmatch match: note: \(withoutPDQ) quer\(withoutPDQ == 1 ? "y has" : "ies have") no PDQ hash. The bank counts a pHash \
                or dHash match only beside a PDQ of the same upload, so \(withoutPDQ == 1 ? "it" : "they") can match only if the operator \
                trusts this platform. Send JSON lines or CSV from nccmatch hash, or the images, to include the PDQ.

                """.utf8))
        }
        var best = [[String: Found]](repeating: [:], count: items.count)
        var next = 0
        while next < groups.count {
            // Whole queries per request, up to --batch-size items (a query larger than that still goes whole).
            var batch: [MatchItem] = []
            while next < groups.count && (batch.isEmpty || batch.count + groups[next].count <= batchSize) {
                batch += groups[next]
                next += 1
            }
            let answer: MatchResponse
            do {
                answer = try client.match(MatchRequest(items: batch, maxDistance: maxDistance), apiKey: apiKey)
            } catch let error as BankClientError {
                FileHandle.standardError.write(Data("nccmatch match: \(error.message) (\(error.code))\n".utf8))
                throw ExitCode(1)
            }
            let results = answer.results
            // Results come in item order; when they do not pair one to one, the algorithm is unknown.
            let paired = results.count == batch.count
            for (r, result) in results.enumerated() {
                guard let id = Int(result.id), id >= 0, id < items.count else { continue }
                let via = paired && batch[r].id == String(id) ? batch[r].algorithm : nil
                for match in result.matches {
                    let ref = match.matchRef
                    let found = Found(distance: match.distance, algorithm: via == nil || via == algorithm.rawValue ? nil : via)
                    if let old = best[id][ref], !found.better(than: old) { continue }
                    best[id][ref] = found
                }
            }
        }
        let out = LineOutput()
        var unhashed = 0
        for (q, item) in items.enumerated() {
            if case .failure = item.hashes { unhashed += 1 }
            let matches = best[q].sorted { a, b in
                if a.value.better(than: b.value) != b.value.better(than: a.value) { return a.value.better(than: b.value) }
                return a.key < b.key
            }
            switch (item.hashes, text) {
            case (.failure(let error), false):
                out.write("{\"query\":\(item.id.json),\"matches\":[],\"error\":{\"code\":\(JSONObjectWriter.quoted(error.code)),\"message\":\(JSONObjectWriter.quoted(error.message))}}")
            case (.failure(let error), true):
                out.write("\(TerminalText.escaped(item.id.text)): not hashed: \(error.message) (\(error.code))")
            case (.success, false):
                let list = matches.map { match in
                    var json = JSONObjectWriter()
                    json.string("id", match.key)
                    if let via = match.value.algorithm { json.string("algorithm", via) }
                    if let d = match.value.distance { json.int("distance", d) }
                    return json.finished()
                }
                out.write("{\"query\":\(item.id.json),\"matches\":[\(list.joined(separator: ","))]}")
            case (.success, true):
                let list = matches.map { match -> String in
                    let ref = TerminalText.escaped(match.key)
                    switch (match.value.algorithm, match.value.distance) {
                    case (nil, let d?): return "\(ref) (distance \(d))"
                    case (let via?, let d?): return "\(ref) (\(via) distance \(d))"
                    case (let via?, nil): return "\(ref) (\(via))"
                    case (nil, nil): return ref
                    }
                }
                out.write(matches.isEmpty ? "\(TerminalText.escaped(item.id.text)): no match" : "\(TerminalText.escaped(item.id.text)): " + list.joined(separator: ", "))
            }
        }
        out.flush()
        if unhashed > 0 {
            // As the local match: every query got its line; the status tells scripts some images were not hashed.
            FileHandle.standardError.write(Data("nccmatch match: \(unhashed) image(s) could not be hashed; see their \"error\" entries.\n".utf8))
            throw ExitCode(1)
        }
        if !loaded.complete {
            FileHandle.standardError.write(Data("nccmatch match: every other line was matched; the lines named above were skipped.\n".utf8))
            throw ExitCode(1)
        }
    }
}
