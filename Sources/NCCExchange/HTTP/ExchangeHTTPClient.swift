import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// HTTP for the exchanges, over FoundationNetworking's URLSession, with every cost bounded: a whole answer
/// within `deadline`, at most `maxResponseBytes` read, no redirects followed (credentials never leave the
/// configured host), no cookies or cache. Idempotent requests (GET, PUT) are retried on transient failures.
public struct ExchangeHTTPClient: Sendable {
    /// One answer.
    public struct Response: Sendable {
        /// The HTTP status.
        public var status: Int
        /// The body (at most `maxResponseBytes`).
        public var body: Data
    }

    /// Longest a whole answer may take, in seconds (60 as pytx's clients).
    public var deadline: TimeInterval
    /// Largest body read, in bytes; a larger answer is `responseTooLarge`. 64 MiB by default: an 800-record
    /// StopNCII page is about 300 KiB, a 1,000-entry NCMEC page about 1 MiB.
    public var maxResponseBytes: Int
    /// Tries per idempotent request (4 as pytx's clients), with `retryDelay` doubling between them.
    public var attempts: Int
    /// The first wait between tries, in seconds.
    public var retryDelay: TimeInterval
    /// The exchange's name in messages.
    public var exchangeName: String

    /// Makes a client with pytx's limits.
    public init(exchangeName: String, deadline: TimeInterval = 60, maxResponseBytes: Int = 64 << 20,
                attempts: Int = 4, retryDelay: TimeInterval = 0.2) {
        self.exchangeName = exchangeName
        self.deadline = deadline
        self.maxResponseBytes = maxResponseBytes
        self.attempts = max(1, attempts)
        self.retryDelay = retryDelay
    }

    /// Sends `request`, retrying transient failures when the method is idempotent (GET, PUT).
    /// - Throws: `ExchangeError` for a status other than 2xx, a time-out, an answer too large, no connection.
    public func send(_ request: URLRequest) async throws(ExchangeError) -> Response {
        let idempotent = ["GET", "PUT", "HEAD"].contains(request.httpMethod ?? "GET")
        var delay = retryDelay
        var attempt = 1
        while true {
            do throws(ExchangeError) {
                let response = try await sendOnce(request)
                guard (200..<300).contains(response.status) else {
                    throw ExchangeError.forStatus(response.status, exchange: exchangeName)
                }
                return response
            } catch {
                guard idempotent, error.isTransient, attempt < attempts, !Task.isCancelled else { throw error }
                attempt += 1
                try? await Task.sleep(for: .seconds(delay))
                delay *= 2
            }
        }
    }

    /// One try, no retry, any status returned.
    public func sendOnce(_ request: URLRequest) async throws(ExchangeError) -> Response {
        var request = request
        request.timeoutInterval = deadline
        request.httpShouldHandleCookies = false
        request.cachePolicy = .reloadIgnoringLocalCacheData
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = deadline
        configuration.timeoutIntervalForResource = deadline
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        let download = BoundedDownload(limit: maxResponseBytes)
        let session = URLSession(configuration: configuration, delegate: download, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let task = session.dataTask(with: request)
        let name = exchangeName
        let seconds = deadline
        let result: Result<Response, ExchangeError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                download.start(continuation)
                // The session's own time-outs are per read; this one bounds the whole answer.
                DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                    if download.expire() { task.cancel() }
                }
                task.resume()
            }
        } onCancel: {
            task.cancel()
        }
        switch result {
        case .success(let response): return response
        case .failure(let failure):
            throw ExchangeError(failure.code, failure.message.replacingOccurrences(of: "$EXCHANGE", with: name), status: failure.status)
        }
    }
}

/// Collects one answer's body up to a limit and finishes it exactly once.
private final class BoundedDownload: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private struct State {
        var continuation: CheckedContinuation<Result<ExchangeHTTPClient.Response, ExchangeError>, Never>?
        var status = 0
        var body = Data()
        var failure: ExchangeError?
        var done = false
    }

    private let limit: Int
    private let state = Mutex(State())

    init(limit: Int) { self.limit = limit }

    func start(_ continuation: CheckedContinuation<Result<ExchangeHTTPClient.Response, ExchangeError>, Never>) {
        state.withLock { $0.continuation = continuation }
    }

    /// Marks the answer timed out; true when it was still running.
    func expire() -> Bool {
        state.withLock { state in
            guard !state.done, state.failure == nil else { return false }
            state.failure = ExchangeError(.timedOut, "$EXCHANGE did not answer in time; it will be tried again.")
            return true
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let tooLarge = state.withLock { state -> Bool in
            state.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            if response.expectedContentLength > Int64(limit) {
                state.failure = ExchangeError(.responseTooLarge, "$EXCHANGE sent an answer larger than \(limit) bytes; it was not read.")
                return true
            }
            return false
        }
        completionHandler(tooLarge ? .cancel : .allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let tooLarge = state.withLock { state -> Bool in
            guard state.failure == nil else { return true }
            if state.body.count + data.count > limit {
                state.failure = ExchangeError(.responseTooLarge, "$EXCHANGE sent an answer larger than \(limit) bytes; it was not read.")
                state.body = Data()
                return true
            }
            state.body.append(data)
            return false
        }
        if tooLarge { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        // Never follow: the answer is the redirect itself, reported as an unexpected status.
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let (continuation, result) = state.withLock { state -> (CheckedContinuation<Result<ExchangeHTTPClient.Response, ExchangeError>, Never>?, Result<ExchangeHTTPClient.Response, ExchangeError>) in
            state.done = true
            let continuation = state.continuation
            state.continuation = nil
            if let failure = state.failure { return (continuation, .failure(failure)) }
            if let error {
                let code = (error as? URLError)?.code
                if code == .timedOut {
                    return (continuation, .failure(ExchangeError(.timedOut, "$EXCHANGE did not answer in time; it will be tried again.")))
                }
                if code == .cancelled {
                    return (continuation, .failure(ExchangeError(.unreachable, "The request to $EXCHANGE was cancelled.")))
                }
                return (continuation, .failure(ExchangeError(.unreachable, "$EXCHANGE could not be reached (\(code.map { "\($0.rawValue)" } ?? "no connection")); check the address and the network.")))
            }
            // The body leaves with the answer: the deadline timer still holds this object until it fires.
            let body = state.body
            state.body = Data()
            return (continuation, .success(ExchangeHTTPClient.Response(status: state.status, body: body)))
        }
        continuation?.resume(returning: result)
    }
}
