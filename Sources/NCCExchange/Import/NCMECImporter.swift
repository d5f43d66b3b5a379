import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// NCMEC's hash-sharing API (v2), read page by page: XML over HTTP Basic auth.
///
/// As pytx's client (`exchanges/clients/ncmec/hash_api.py`): `GET {environment}/v2/entries?from=&to=` (UTC,
/// `yyyy-MM-ddTHH:mm:ssZ`), then each answer's `paging/next` path until there is none. Entries are `image`,
/// `video`, `deletedImage` and `deletedVideo`, identified by member and id (pytx keys them `member-id`); an
/// entry's fingerprints replace the entry's earlier ones, a deleted entry removes them all. MD5 and PDQ are
/// matched; SHA-1 and the others (PDNA, TMK_PDQF, ...) are stored but unused. Entries are not in time order,
/// so only a range read to its end moves `from` (pytx's `NCMECCheckpoint`); a paging path is used for 12 hours.
public struct NCMECImporter: ExchangeImporter {
    /// The environment's address, such as `https://report.cybertip.org/hashsharing` (pytx `NCMECEnvironment`).
    public var baseURL: URL
    /// The Basic auth user.
    public var username: String
    /// The Basic auth password.
    public var password: String
    /// HTTP limits and retries.
    public var http: ExchangeHTTPClient
    /// How long a paging path is used, in seconds (NCMEC asks not to keep them; pytx uses 12 hours).
    public var pagingPathLifetime: Int64
    /// Where a feed with no checkpoint starts, in seconds since 1970 (0, as pytx).
    public var initialTimestamp: Int64
    /// The longest time range one run of pages covers, in seconds, or nil for everything up to now in one range.
    /// A range read to its end moves the checkpoint; a narrower range loses less when a paging link expires.
    public var maxRangeSeconds: Int64?
    /// The clock, in seconds since 1970.
    public var now: @Sendable () -> Int64

    public var kind: String { "ncmec" }

    /// Makes an importer.
    public init(baseURL: URL, username: String, password: String,
                http: ExchangeHTTPClient = ExchangeHTTPClient(exchangeName: "NCMEC"), pagingPathLifetime: Int64 = 12 * 3_600,
                initialTimestamp: Int64 = 0, maxRangeSeconds: Int64? = nil,
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.baseURL = baseURL
        self.username = username
        self.password = password
        self.http = http
        self.pagingPathLifetime = pagingPathLifetime
        self.initialTimestamp = initialTimestamp
        self.maxRangeSeconds = maxRangeSeconds.map { max(1, $0) }
        self.now = now
    }

    /// The value of the `Authorization` header.
    var authorization: String { "Basic " + Data("\(username):\(password)".utf8).base64EncodedString() }

    public func fetchPage(after checkpoint: ExchangeCheckpoint?) async throws(ExchangeError) -> ExchangePage {
        var from = initialTimestamp
        var to: Int64?
        var nextPath: String?
        switch checkpoint?.state {
        case nil: break
        case .ncmec(let start, let end, let path, let issuedAt)?:
            from = start
            if let path, let end, let issuedAt, now() - issuedAt <= pagingPathLifetime {
                to = end
                nextPath = path
            }
        case .some:
            throw ExchangeError(.checkpointMismatch, "The stored checkpoint is not an NCMEC one; remove and add the exchange again to start its feed afresh.")
        }
        // Five seconds short of now, as pytx: entries changing this very second would show twice.
        let horizon = now() - 5
        let end = to ?? min(horizon, maxRangeSeconds.map { from + $0 } ?? horizon)
        let url: URL
        if let nextPath {
            // Only a path on the configured host is followed: the answer cannot send our credentials elsewhere.
            guard nextPath.hasPrefix("/v2/entries?"), !nextPath.contains("//"), let next = URL(string: baseURL.absoluteString + nextPath) else {
                throw ExchangeError(.malformedPage, "NCMEC's paging link is not an entries path on its own host; the range is read again from its start.")
            }
            url = next
        } else {
            var components = URLComponents(url: baseURL.appendingPathComponent("v2/entries"), resolvingAgainstBaseURL: false)!
            components.queryItems = [URLQueryItem(name: "from", value: Self.format(from)), URLQueryItem(name: "to", value: Self.format(end))]
            url = components.url!
        }
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        request.setValue(authorization, forHTTPHeaderField: "Authorization")
        request.setValue("application/xml", forHTTPHeaderField: "Accept")
        let response = try await http.send(request)
        let page = try NCMECEntriesParser.parse(response.body)
        let next: ExchangeCheckpoint
        if let path = page.nextPath {
            next = ExchangeCheckpoint(.ncmec(from: from, to: end, nextPath: path, pathIssuedAt: now()))
        } else {
            next = ExchangeCheckpoint(.ncmec(from: end, to: nil, nextPath: nil, pathIssuedAt: nil))
        }
        return ExchangePage(changes: page.changes, rejections: page.rejections, checkpoint: next,
                            hasMore: page.nextPath != nil || end < horizon)
    }

    /// `yyyy-MM-ddTHH:mm:ssZ` in UTC.
    static func format(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
