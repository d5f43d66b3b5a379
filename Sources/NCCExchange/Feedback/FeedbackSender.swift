import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What sending one feedback came to.
public enum FeedbackSendResult: Sendable, Hashable {
    /// The exchange accepted it.
    case accepted
    /// The exchange has no word for this outcome (NCMEC and pending review): nothing to send, done.
    case notApplicable
}

/// Sends feedback in one exchange's vocabulary.
public protocol FeedbackSender: Sendable {
    /// Sends one item's feedback.
    /// - Throws: `ExchangeError`; `isTransient` ones are tried again later.
    func send(_ key: FeedbackItem.Key) async throws(ExchangeError) -> FeedbackSendResult
}

/// StopNCII's `SubmitFeedback`, as pytx's `submit_feedbacks` sends it: `POST {base}/SubmitFeedback` with
/// `{"count": 1, "hashFeedbacks": [{"hashValue": ..., "feedbackValue": "Blocked", "tags": []}]}`.
public struct StopNCIIFeedbackSender: FeedbackSender {
    /// The API's address.
    public var baseURL: URL
    /// The `SubmitFeedback` function key.
    public var feedbackFunctionKey: String
    /// The subscription key.
    public var subscriptionKey: String
    /// Tags sent with every feedback (none by default).
    public var tags: [String]
    /// HTTP limits (a POST is not retried inside; the outbox tries again).
    public var http: ExchangeHTTPClient

    /// Makes a sender.
    public init(baseURL: URL = StopNCIIImporter.defaultBaseURL, feedbackFunctionKey: String, subscriptionKey: String,
                tags: [String] = [], http: ExchangeHTTPClient = ExchangeHTTPClient(exchangeName: "StopNCII", deadline: 30, maxResponseBytes: 1 << 20)) {
        self.baseURL = baseURL
        self.feedbackFunctionKey = feedbackFunctionKey
        self.subscriptionKey = subscriptionKey
        self.tags = tags
        self.http = http
    }

    struct Body: Encodable {
        struct Item: Encodable {
            var tags: [String]
            var feedbackValue: String
            var hashValue: String
        }
        var count: Int
        var hashFeedbacks: [Item]
    }

    public func send(_ key: FeedbackItem.Key) async throws(ExchangeError) -> FeedbackSendResult {
        var request = URLRequest(url: baseURL.appendingPathComponent("SubmitFeedback"))
        request.httpMethod = "POST"
        request.setValue(feedbackFunctionKey, forHTTPHeaderField: "x-functions-key")
        request.setValue(subscriptionKey, forHTTPHeaderField: "Ocp-Apim-Subscription-Key")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let body = Body(count: 1, hashFeedbacks: [.init(tags: tags, feedbackValue: key.outcome.stopNCIIValue, hashValue: key.record.signalValue)])
        request.httpBody = try? JSONEncoder().encode(body)
        _ = try await http.send(request)
        return .accepted
    }
}

/// NCMEC's per-fingerprint feedback, as pytx's `submit_feedback` sends it: `PUT {environment}/v2/entries/
/// {member}/{entry}/{FINGERPRINT}/feedback` with `<feedbackSubmission><affirmative/></feedbackSubmission>`, or
/// `<negative><reasonIds><guid>…</guid></reasonIds></negative>`.
public struct NCMECFeedbackSender: FeedbackSender {
    /// The environment's address.
    public var baseURL: URL
    /// The Basic auth user.
    public var username: String
    /// The Basic auth password.
    public var password: String
    /// The negative reason id to send per fingerprint type (`MD5`, `PDQ`, ...). When a type has none here, the
    /// sender asks NCMEC (`GET v2/feedback/{TYPE}/reasons`) and uses the only reason if there is exactly one.
    public var negativeReasonIDs: [String: String]
    /// HTTP limits and retries (a PUT is idempotent).
    public var http: ExchangeHTTPClient

    /// Makes a sender.
    public init(baseURL: URL, username: String, password: String, negativeReasonIDs: [String: String] = [:],
                http: ExchangeHTTPClient = ExchangeHTTPClient(exchangeName: "NCMEC", deadline: 30, maxResponseBytes: 1 << 20)) {
        self.baseURL = baseURL
        self.username = username
        self.password = password
        self.negativeReasonIDs = negativeReasonIDs
        self.http = http
    }

    /// NCMEC's fingerprint name for a signal type (pytx `FingerprintType`).
    public static func fingerprintName(_ type: ExchangeSignalType) -> String {
        switch type {
        case .imagePDQ: "PDQ"
        case .videoMD5, .imageMD5: "MD5"
        case .sha1: "SHA1"
        case .videoTMK: "TMK_PDQF"
        case .other(let name): name.uppercased()
        }
    }

    private var authorization: String { "Basic " + Data("\(username):\(password)".utf8).base64EncodedString() }

    public func send(_ key: FeedbackItem.Key) async throws(ExchangeError) -> FeedbackSendResult {
        guard let vote = key.outcome.ncmecVote else { return .notApplicable }
        guard let entry = key.record.entry else {
            throw ExchangeError(.misconfigured, "This record did not come from NCMEC (it has no entry); feedback cannot be sent there.")
        }
        let fingerprint = Self.fingerprintName(key.record.signalType)
        var vote_xml = "<affirmative/>"
        if vote == .negative {
            let reason = try await negativeReason(fingerprint)
            vote_xml = "<negative><reasonIds><guid>\(Self.escape(reason))</guid></reasonIds></negative>"
        }
        let entryID = entry.entryID.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? ""
        var request = URLRequest(url: baseURL.appendingPathComponent("v2/entries/\(entry.memberID)/\(entryID)/\(fingerprint)/feedback"))
        request.httpMethod = "PUT"
        request.setValue(authorization, forHTTPHeaderField: "Authorization")
        request.setValue("application/xml; charset=utf-8", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(("<feedbackSubmission xmlns=\"https://hashsharing.ncmec.org/hashsharing/v2\">" + vote_xml + "</feedbackSubmission>").utf8)
        _ = try await http.send(request)
        return .accepted
    }

    private func negativeReason(_ fingerprint: String) async throws(ExchangeError) -> String {
        if let configured = negativeReasonIDs[fingerprint] { return configured }
        var request = URLRequest(url: baseURL.appendingPathComponent("v2/feedback/\(fingerprint)/reasons"))
        request.httpMethod = "GET"
        request.setValue(authorization, forHTTPHeaderField: "Authorization")
        let response = try await http.send(request)
        let reasons = NCMECReasonsParser.parse(response.body)
        guard reasons.count == 1 else {
            throw ExchangeError(.misconfigured, "NCMEC offers \(reasons.count) reasons for negative \(fingerprint) feedback; choose one in the exchange's configuration.")
        }
        return reasons[0]
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
