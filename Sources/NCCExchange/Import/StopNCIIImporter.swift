import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The StopNCII.org partner API's `FetchHashes`, read page by page.
///
/// As pytx's client (`exchanges/clients/stopncii/api.py`): `GET {base}/FetchHashes?startTimestamp=&pageSize=800
/// [&nextPageToken=]` with the `x-functions-key` and `Ocp-Apim-Subscription-Key` headers; the answer's
/// `hashRecords`, `nextPageToken`, `nextSetTimestamp` and `hasMoreRecords`. Unlike pytx's adapter
/// (`impl/stop_ncii_api.py`, which compares `hashValue` with the withdrawn states and so never removes
/// anything), a record's `hashStatus` of Withdrawn or Deleted removes its hash.
public struct StopNCIIImporter: ExchangeImporter {
    /// The API's address, `https://api.stopncii.org/v1` unless overridden (tests, a partner's proxy).
    public var baseURL: URL
    /// The `FetchHashes` function key.
    public var fetchFunctionKey: String
    /// The Azure API Management subscription key, sent on every request.
    public var subscriptionKey: String
    /// Records per page: 800, as pytx asks.
    public var pageSize: Int
    /// Where a feed with no checkpoint starts (pytx's `DEFAULT_START_TIME`, 10).
    public var initialTimestamp: Int64
    /// How long a page token is used, in seconds, before a resumed fetch restarts its run (the API says tokens
    /// are "not valid over long periods of time"; replaying a run is harmless, records replace by id).
    public var pageTokenLifetime: Int64
    /// HTTP limits and retries.
    public var http: ExchangeHTTPClient
    /// The clock, in seconds since 1970.
    public var now: @Sendable () -> Int64

    public var kind: String { "stopncii" }

    /// The API's public address.
    public static let defaultBaseURL = URL(string: "https://api.stopncii.org/v1")!

    /// Makes an importer.
    public init(baseURL: URL = StopNCIIImporter.defaultBaseURL, fetchFunctionKey: String, subscriptionKey: String,
                pageSize: Int = 800, initialTimestamp: Int64 = 10, pageTokenLifetime: Int64 = 3_600,
                http: ExchangeHTTPClient = ExchangeHTTPClient(exchangeName: "StopNCII"),
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.baseURL = baseURL
        self.fetchFunctionKey = fetchFunctionKey
        self.subscriptionKey = subscriptionKey
        self.pageSize = pageSize
        self.initialTimestamp = initialTimestamp
        self.pageTokenLifetime = pageTokenLifetime
        self.http = http
        self.now = now
    }

    public func fetchPage(after checkpoint: ExchangeCheckpoint?) async throws(ExchangeError) -> ExchangePage {
        var start = initialTimestamp
        var token: String?
        switch checkpoint?.state {
        case nil: break
        case .stopNCII(let startTimestamp, let pageToken, let issuedAt)?:
            start = startTimestamp
            if let pageToken, let issuedAt, now() - issuedAt <= pageTokenLifetime { token = pageToken }
        case .some:
            throw ExchangeError(.checkpointMismatch, "The stored checkpoint is not a StopNCII one; remove and add the exchange again to start its feed afresh.")
        }
        var components = URLComponents(url: baseURL.appendingPathComponent("FetchHashes"), resolvingAgainstBaseURL: false)!
        components.queryItems = [
            URLQueryItem(name: "startTimestamp", value: String(start)),
            URLQueryItem(name: "pageSize", value: String(pageSize)),
        ] + (token.map { [URLQueryItem(name: "nextPageToken", value: $0)] } ?? [])
        var request = URLRequest(url: components.url!)
        request.httpMethod = "GET"
        request.setValue(fetchFunctionKey, forHTTPHeaderField: "x-functions-key")
        request.setValue(subscriptionKey, forHTTPHeaderField: "Ocp-Apim-Subscription-Key")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        let response = try await http.send(request)
        let page = try StopNCIIPage.decode(response.body)

        let next: ExchangeCheckpoint
        if page.hasMoreRecords, let nextToken = page.nextPageToken, !nextToken.isEmpty {
            next = ExchangeCheckpoint(.stopNCII(startTimestamp: start, pageToken: nextToken, tokenIssuedAt: now()))
        } else {
            // The run is complete: the next run starts where the API says to (`nextSetTimestamp`).
            next = ExchangeCheckpoint(.stopNCII(startTimestamp: page.nextSetTimestamp ?? start, pageToken: nil, tokenIssuedAt: nil))
        }
        return ExchangePage(changes: page.changes, rejections: page.rejections, checkpoint: next,
                            hasMore: page.hasMoreRecords && !(page.nextPageToken ?? "").isEmpty)
    }
}

/// A decoded `FetchHashes` answer: the page's own fields strictly, each record on its own.
struct StopNCIIPage: Decodable {
    var nextPageToken: String?
    var nextSetTimestamp: Int64?
    var hasMoreRecords: Bool
    var changes: [ExchangeChange] = []
    var rejections = RejectionTally()

    enum CodingKeys: String, CodingKey { case count, nextPageToken, nextSetTimestamp, hasMoreRecords, hashRecords }

    static func decode(_ body: Data) throws(ExchangeError) -> StopNCIIPage {
        do {
            return try JSONDecoder().decode(StopNCIIPage.self, from: body)
        } catch {
            throw ExchangeError(.malformedPage, "StopNCII answered with something that is not a FetchHashes page (\(Self.where(error))); nothing of it was applied.")
        }
    }

    /// Where decoding failed, by field names only.
    private static func `where`(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "unreadable" }
        switch error {
        case .keyNotFound(let key, _): return "\(key.stringValue) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "\(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type"
        @unknown default: return "unreadable"
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        nextPageToken = try container.decodeIfPresent(String.self, forKey: .nextPageToken)
        nextSetTimestamp = try container.decodeIfPresent(Int64.self, forKey: .nextSetTimestamp)
        hasMoreRecords = try container.decodeIfPresent(Bool.self, forKey: .hasMoreRecords) ?? false
        guard container.contains(.hashRecords), try !container.decodeNil(forKey: .hashRecords) else { return }
        var records = try container.nestedUnkeyedContainer(forKey: .hashRecords)
        changes.reserveCapacity(records.count ?? 0)
        while !records.isAtEnd {
            switch try records.decode(StopNCIIRecordSlot.self).result {
            case .success(let change): changes.append(change)
            case .failure(let rejection): rejections.add(rejection)
            }
        }
    }
}

/// One element of `hashRecords`, which never fails to decode: a malformed record becomes its rejection.
struct StopNCIIRecordSlot: Decodable {
    var result: Result<ExchangeChange, RecordRejection>

    enum Keys: String, CodingKey { case lastModtimestamp, signalType, hashValue, hashStatus, caseNumbers, CSPFeedbacks }

    struct Feedback: Decodable {
        var source: String?
        var feedbackValue: String
        var tags: [String]?
    }

    init(from decoder: any Decoder) {
        do {
            result = .success(try Self.change(decoder))
        } catch let rejection as RecordRejection {
            result = .failure(rejection)
        } catch {
            result = .failure(RecordRejection(.wrongType, field: "hashRecords"))
        }
    }

    private static func field<T: Decodable>(_ type: T.Type, _ key: Keys, in container: KeyedDecodingContainer<Keys>) throws -> T? {
        do {
            return try container.decodeIfPresent(type, forKey: key)
        } catch {
            throw RecordRejection(.wrongType, field: key.stringValue)
        }
    }

    private static func change(_ decoder: any Decoder) throws -> ExchangeChange {
        guard let container = try? decoder.container(keyedBy: Keys.self) else { throw RecordRejection(.wrongType, field: "hashRecords") }
        guard let typeName = try field(String.self, .signalType, in: container) else { throw RecordRejection(.missingField, field: "signalType") }
        let type: ExchangeSignalType
        switch typeName {
        case "ImagePDQ": type = .imagePDQ
        case "VideoMD5": type = .videoMD5
        case "VideoTMK": type = .videoTMK
        default: throw RecordRejection(.unknownSignalType, field: "signalType")
        }
        guard let rawHash = try field(String.self, .hashValue, in: container) else { throw RecordRejection(.missingField, field: "hashValue") }
        let hash = try RecordValidator.hashValue(rawHash, type: type, field: "hashValue")
        guard let statusName = try field(String.self, .hashStatus, in: container) else { throw RecordRejection(.missingField, field: "hashStatus") }
        guard let status = ExchangeHashStatus(rawValue: statusName) else { throw RecordRejection(.unknownStatus, field: "hashStatus") }
        let id = ExchangeRecord.ID(signalType: type, signalValue: hash)
        if status.removesHash { return .remove(id) }

        let lastModified = try field(Int64.self, .lastModtimestamp, in: container)
        let rawCases = try field([String: String].self, .caseNumbers, in: container) ?? [:]
        guard rawCases.count <= RecordValidator.maxCaseNumbers else { throw RecordRejection(.fieldTooLarge, field: "caseNumbers") }
        var cases: [String: ExchangeHashStatus] = [:]
        for (number, state) in rawCases {
            guard let caseStatus = ExchangeHashStatus(rawValue: state) else { throw RecordRejection(.unknownStatus, field: "caseNumbers") }
            cases[try RecordValidator.text(number, field: "caseNumbers")] = caseStatus
        }
        let rawFeedback = try field([Feedback].self, .CSPFeedbacks, in: container) ?? []
        guard rawFeedback.count <= RecordValidator.maxFeedbackItems else { throw RecordRejection(.fieldTooLarge, field: "CSPFeedbacks") }
        var feedback: [UpstreamFeedback] = []
        for item in rawFeedback {
            let tags = item.tags ?? []
            guard tags.count <= RecordValidator.maxFeedbackItems else { throw RecordRejection(.fieldTooLarge, field: "CSPFeedbacks") }
            // A feedback value we do not know (pytx drops the whole record for it, losing the hash) is kept as text.
            feedback.append(UpstreamFeedback(
                source: try RecordValidator.text(item.source ?? "", field: "CSPFeedbacks"),
                value: try RecordValidator.text(item.feedbackValue, field: "CSPFeedbacks"),
                tags: try tags.map { tag throws(RecordRejection) in try RecordValidator.text(tag, field: "CSPFeedbacks") }))
        }
        return .upsert(ExchangeRecord(id: id, status: status, caseNumbers: cases, feedback: feedback, lastModified: lastModified))
    }
}
