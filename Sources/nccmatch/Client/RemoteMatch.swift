import ArgumentParser
import Foundation
import NCCHashing

/// `nccmatch match --server`: the same queries and output as a local match, answered by a bank server.
///
/// Queries (hash lists, or images hashed here) are sent in batches to `POST /v1/match`; only hashes leave
/// the machine, under positional ids. Output lines are those of the local match with the bank id replaced
/// by the opaque match reference: `{"query": …, "matches": [{"id": "<match_ref>", "distance": n}]}`.
struct RemoteMatch {
    var server: String
    var apiKey: String
    var algorithm: HashAlgorithm
    var maxDistance: Int?
    var dihedral: Bool
    var text: Bool
    var batchSize: Int

    func run(queries: [String]) throws {
        let client = try BankClient(server: server)
        let sets: [QuerySet]
        do {
            sets = try queries.map { try QuerySet.load($0, algorithm: algorithm, dihedral: dihedral) }
        } catch {
            FileHandle.standardError.write(Data("nccmatch match: \(error.matchMessage)\n".utf8))
            throw ExitCode(1)
        }
        let items = sets.flatMap(\.items)
        let wordsPerCode = algorithm.bitCount / 64
        // Every code (a query and its variants) becomes one request item named by its position.
        var owners: [Int] = []
        var values: [String] = []
        for (q, item) in items.enumerated() {
            guard case .success(let words) = item.hashes else { continue }
            for start in stride(from: 0, to: words.count, by: wordsPerCode) {
                owners.append(q)
                values.append(words[start..<(start + wordsPerCode)].map { String(format: "%016llx", $0) }.joined())
            }
        }
        var best = [[String: Int]](repeating: [:], count: items.count)
        var start = 0
        while start < values.count {
            let end = min(start + batchSize, values.count)
            var body: [String: Any] = ["items": (start..<end).map { ["id": String($0), "algorithm": algorithm.rawValue, "value": values[$0]] }]
            if let maxDistance { body["max_distance"] = maxDistance }
            let answer: [String: Any]
            do {
                answer = try client.sendJSON("POST", "v1/match", json: body, bearer: apiKey)
            } catch let error as BankClientError {
                FileHandle.standardError.write(Data("nccmatch match: \(error.message) (\(error.code))\n".utf8))
                throw ExitCode(1)
            }
            for result in answer["results"] as? [[String: Any]] ?? [] {
                guard let id = (result["id"] as? String).flatMap(Int.init), id < owners.count else { continue }
                for match in result["matches"] as? [[String: Any]] ?? [] {
                    guard let ref = match["match_ref"] as? String, let d = match["distance"] as? Int else { continue }
                    best[owners[id]][ref] = min(best[owners[id]][ref] ?? Int.max, d)
                }
            }
            start = end
        }
        let out = LineOutput()
        var unhashed = 0
        for (q, item) in items.enumerated() {
            if case .failure = item.hashes { unhashed += 1 }
            let matches = best[q].sorted { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) }
            switch (item.hashes, text) {
            case (.failure(let error), false):
                out.write("{\"query\":\(item.id.json),\"matches\":[],\"error\":{\"code\":\(JSONObjectWriter.quoted(error.code)),\"message\":\(JSONObjectWriter.quoted(error.message))}}")
            case (.failure(let error), true):
                out.write("\(item.id.text): not hashed: \(error.message) (\(error.code))")
            case (.success, false):
                let list = matches.map { "{\"id\":\(JSONObjectWriter.quoted($0.key)),\"distance\":\($0.value)}" }
                out.write("{\"query\":\(item.id.json),\"matches\":[\(list.joined(separator: ","))]}")
            case (.success, true):
                out.write(matches.isEmpty ? "\(item.id.text): no match"
                          : "\(item.id.text): " + matches.map { "\($0.key) (distance \($0.value))" }.joined(separator: ", "))
            }
        }
        out.flush()
        if unhashed > 0 {
            // As the local match: every query got its line; the status tells scripts some images were not hashed.
            FileHandle.standardError.write(Data("nccmatch match: \(unhashed) image(s) could not be hashed; see their \"error\" entries.\n".utf8))
            throw ExitCode(1)
        }
    }
}
