import NCCWire

/// The bank's endpoints as typed calls: each sends one of the wire contract's requests and returns its answer.
///
/// Every call throws `BankClientError` (the server's own code and message, or `server_unreachable`,
/// `server_error`). Reads and withdrawals are retried on 503 and unreachable servers (see `send`).
extension BankClient {
    /// `POST /v1/cases`: opens a case with hashes of one or more pictures; the answer holds the secret,
    /// shown only this once.
    public func openCase(_ request: HashesRequest) throws -> CaseCreatedResponse {
        try send("POST", "v1/cases", json: request, answer: CaseCreatedResponse.self)
    }

    /// `POST /v1/cases/{id}/hashes`: adds hashes to an open case.
    public func addHashes(_ request: HashesRequest, caseID: String, secret: String?) throws -> HashesAddedResponse {
        try send("POST", "v1/cases/\(caseID)/hashes", json: request, bearer: secret, answer: HashesAddedResponse.self)
    }

    /// `GET /v1/cases/{id}`: what platforms found and did, per picture.
    public func caseStatus(caseID: String, secret: String?) throws -> CaseStatusResponse {
        try send("GET", "v1/cases/\(caseID)", bearer: secret, answer: CaseStatusResponse.self)
    }

    /// `DELETE /v1/cases/{id}`: withdraws the case (its hashes are deleted and no longer matched); safe to repeat.
    /// - Warning: cannot be undone; ask the person first.
    public func withdrawCase(caseID: String, secret: String?) throws -> CaseStatusResponse {
        try send("DELETE", "v1/cases/\(caseID)", bearer: secret, answer: CaseStatusResponse.self)
    }

    /// `POST /v1/match`: looks up a batch of at most `WireLimits.maxItemsPerRequest` hashes with a platform's key.
    public func match(_ request: MatchRequest, apiKey: String) throws -> MatchResponse {
        try send("POST", "v1/match", json: request, bearer: apiKey, answer: MatchResponse.self)
    }

    /// `POST /v1/feedback`: reports what the platform's review of a match concluded.
    public func feedback(_ request: FeedbackRequest, apiKey: String) throws -> FeedbackResponse {
        try send("POST", "v1/feedback", json: request, bearer: apiKey, answer: FeedbackResponse.self)
    }
}
