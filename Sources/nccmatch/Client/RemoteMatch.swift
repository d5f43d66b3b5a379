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
/// names it (`"algorithm": "phash"`). Each match names the bank that matched (`"bank": "cases"`; text: `ref in cases`);
/// `--bank NAME` (repeatable) restricts the request to those banks.
///
/// A video file (told by its first bytes, as `case submit` tells it) is hashed here as `case submit` hashes it
/// (`RemoteVideoQuery`) and sent as one `vpdq` item holding its frames, with its MD5 and SHA-256 under the same
/// id; its line reads as one of `match --video`: `{"id": "<match_ref>", "query_match_percent": x,
/// "bank_match_percent": y}` (text: `ref (query x%, bank y%)`), or `"algorithm": "md5"` for a bank item only its
/// digests matched. Requests hold at most `--batch-size` items, each video frame counting as one, as the bank
/// counts them.
struct RemoteMatch {
    var server: String
    var apiKey: String
    var algorithm: HashAlgorithm
    var maxDistance: Int?
    var dihedral: Bool
    var text: Bool
    var batchSize: Int
    var allowInsecureHTTP = false
    /// The bank names to restrict matching to (`--bank`); empty for every bank.
    var banks: [String] = []

    /// The distances the bank accepts as `max_distance` for `algorithm`, loosest first.
    static func distanceLevels(_ algorithm: HashAlgorithm) -> [Int] {
        algorithm == .pdq ? [31, 23, 15] : [8, 6, 4]
    }

    /// One match of a query as printed: the smallest distance seen for the chosen algorithm (`vpdq` for a
    /// video), else for another.
    struct Found {
        var distance: Int?
        /// nil when found through the chosen algorithm.
        var algorithm: String?
        /// For a video's `vpdq` item: the shares of the query's and the bank video's frames matched, in percent.
        var shares: (query: Double, bank: Double)? = nil
        /// The bank that matched, as the server names it (nil from a server that does not say).
        var bank: String? = nil

        /// Whether `self` should replace `old`: the chosen algorithm first, then a larger query share, then a
        /// known, smaller distance.
        func better(than old: Found) -> Bool {
            if (algorithm == nil) != (old.algorithm == nil) { return algorithm == nil }
            switch (shares, old.shares) {
            case (let a?, let b?) where a != b: return a.query != b.query ? a.query > b.query : a.bank > b.bank
            case (_?, nil): return true
            case (nil, _?): return false
            default: break
            }
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
        let loaded = QuerySet.loadAll(queries, algorithm: algorithm, dihedral: dihedral, companions: true, videos: true)
        let items = loaded.sets.flatMap(\.items)
        // Each query's items, all under the query's position as id.
        var groups: [[MatchItem]] = []
        for (q, item) in items.enumerated() {
            guard case .success(let codes) = item.hashes else { continue }
            let id = String(q)
            if let video = item.video {
                groups.append(video.items(id: id))
                continue
            }
            var list: [MatchItem] = []
            // Each PDQ with its kind, which decides what the bank compares it with (the upload as it is needs none).
            for start in stride(from: 0, to: codes.pdq.count, by: 4) {
                let kind = start / 4 < codes.pdqKinds.count ? codes.pdqKinds[start / 4] : "pdq"
                list.append(MatchItem(id: id, algorithm: .pdq, value: WireHex.text(words: codes.pdq[start..<(start + 4)]), kind: kind == "pdq" ? nil : kind))
            }
            if let p = codes.phash { list.append(MatchItem(id: id, algorithm: .phash, value: WireHex.text(words: [p]))) }
            if let d = codes.dhash { list.append(MatchItem(id: id, algorithm: .dhash, value: WireHex.text(words: [d]))) }
            if !list.isEmpty { groups.append(list) }
        }
        let withoutPDQ = items.filter { if $0.video == nil, case .success(let codes) = $0.hashes { return codes.pdq.isEmpty } else { return false } }.count
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
            // Whole queries per request, up to --batch-size items, each video frame counting as one, as the bank
            // counts them (a query larger than that still goes whole; a video's 3,602 fit in the bank's 10,000).
            var batch: [MatchItem] = []
            var counted = 0
            while next < groups.count {
                let size = groups[next].reduce(0) { $0 + $1.hashCount }
                if !batch.isEmpty && counted + size > batchSize { break }
                batch += groups[next]
                counted += size
                next += 1
            }
            let answer: MatchResponse
            do {
                answer = try client.match(MatchRequest(items: batch, maxDistance: maxDistance, banks: banks.isEmpty ? nil : banks), apiKey: apiKey)
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
                let chosen = items[id].video == nil ? algorithm.rawValue : WireAlgorithm.vpdq.rawValue
                for match in result.matches {
                    let ref = match.matchRef
                    var found = Found(distance: match.distance, algorithm: via == nil || via == chosen ? nil : via)
                    if let q = match.queryMatchPercent, let b = match.bankMatchPercent {
                        found = Found(distance: nil, algorithm: nil, shares: (q, b))
                    }
                    found.bank = match.bank
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
                    if let bank = match.value.bank { json.string("bank", bank) }
                    if let via = match.value.algorithm { json.string("algorithm", via) }
                    if let d = match.value.distance { json.int("distance", d) }
                    if let shares = match.value.shares {
                        json.raw("query_match_percent", VideoMatch.percent(shares.query))
                        json.raw("bank_match_percent", VideoMatch.percent(shares.bank))
                    }
                    return json.finished()
                }
                out.write("{\"query\":\(item.id.json),\"matches\":[\(list.joined(separator: ","))]}")
            case (.success, true):
                let list = matches.map { match -> String in
                    let ref = TerminalText.escaped(match.key) + (match.value.bank.map { " in \(TerminalText.escaped($0))" } ?? "")
                    if let shares = match.value.shares {
                        return "\(ref) (query \(VideoMatch.percent(shares.query))%, bank \(VideoMatch.percent(shares.bank))%)"
                    }
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
            FileHandle.standardError.write(Data("nccmatch match: \(unhashed) file(s) could not be hashed; see their \"error\" entries.\n".utf8))
            throw ExitCode(1)
        }
        if !loaded.complete {
            FileHandle.standardError.write(Data("nccmatch match: every other line was matched; the lines named above were skipped.\n".utf8))
            throw ExitCode(1)
        }
    }
}
