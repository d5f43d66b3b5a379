import Foundation
import NCCServer

/// Sends a case's pictures in requests the bank accepts: at most `maxHashesPerRequest` hashes each, whole
/// pictures per request (one picture's hashes are never split), the first opening the case
/// (`POST /v1/cases`) unless it is already open, the others adding to it (`POST /v1/cases/{id}/hashes`).
struct CaseUpload {
    /// The bank's limit of hashes per request: the server's own `maxItemsPerRequest`.
    static let maxHashesPerRequest = maxItemsPerRequest

    /// What happened to the pictures sent.
    struct Outcome {
        /// The case's id and (when this upload opened it) its secret.
        var caseID: String
        var secret: String?
        /// Hashes the bank took.
        var accepted = 0
        /// Hashes the bank did not take: picture index (in the list given) and the bank's reason.
        var rejected: [(picture: Int, code: String, message: String)] = []
        /// For each picture given: whether the request holding it was answered, and whether a PDQ hash of it
        /// was taken (so that changed copies can be found).
        var sent: [Bool] = []
        var perceptual: [Bool] = []
        /// The error that stopped the sending part way, if one did.
        var failure: BankClientError?
    }

    var client: BankClient

    /// Consecutive runs of pictures, each run holding at most `limit` hashes (a picture with more goes alone).
    static func chunks(_ pictures: [CasePicture], limit: Int = maxHashesPerRequest) -> [Range<Int>] {
        var chunks: [Range<Int>] = []
        var start = 0, count = 0
        for (k, picture) in pictures.enumerated() {
            if count > 0 && count + picture.hashes.count > limit {
                chunks.append(start..<k)
                start = k
                count = 0
            }
            count += picture.hashes.count
        }
        if start < pictures.count { chunks.append(start..<pictures.count) }
        return chunks
    }

    /// Sends `pictures` numbered from `firstImage`: opens a case with the first request when `existing` is nil,
    /// else adds everything to that case with its secret.
    /// - Throws: `BankClientError` when the first request fails (nothing was stored); a later failure is
    ///   returned in `Outcome.failure` with the pictures sent so far.
    func send(_ pictures: [CasePicture], firstImage: Int, existing: (caseID: String, secret: String)?, limit: Int = maxHashesPerRequest) throws -> Outcome {
        var outcome = Outcome(caseID: existing?.caseID ?? "", secret: nil, sent: Array(repeating: false, count: pictures.count),
                              perceptual: Array(repeating: false, count: pictures.count))
        var secret = existing?.secret
        for (n, chunk) in Self.chunks(pictures, limit: limit).enumerated() {
            var hashes: [[String: Any]] = []
            var owner: [Int] = []
            for k in chunk {
                for var hash in pictures[k].hashes {
                    hash["image"] = firstImage + k
                    hashes.append(hash)
                    owner.append(k)
                }
            }
            let answer: [String: Any]
            do {
                if n == 0 && existing == nil {
                    answer = try client.sendJSON("POST", "v1/cases", json: ["hashes": hashes])
                    outcome.caseID = answer["case_id"] as? String ?? "?"
                    secret = answer["secret"] as? String
                    outcome.secret = secret
                } else {
                    answer = try client.sendJSON("POST", "v1/cases/\(outcome.caseID)/hashes", json: ["hashes": hashes], bearer: secret)
                }
            } catch let error as BankClientError {
                if n == 0 && existing == nil { throw error }
                outcome.failure = error
                return outcome
            }
            outcome.accepted += answer["accepted"] as? Int ?? 0
            var refused = Set<Int>()
            for r in answer["rejected"] as? [[String: Any]] ?? [] {
                guard let i = r["index"] as? Int, i >= 0, i < owner.count else { continue }
                refused.insert(i)
                outcome.rejected.append((owner[i], r["code"] as? String ?? "", r["message"] as? String ?? ""))
            }
            for (i, hash) in hashes.enumerated() {
                outcome.sent[owner[i]] = true
                if hash["algorithm"] as? String == "pdq" && !refused.contains(i) { outcome.perceptual[owner[i]] = true }
            }
        }
        return outcome
    }
}
