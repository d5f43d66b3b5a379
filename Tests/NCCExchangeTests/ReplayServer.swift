import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A request as the replay server saw it.
struct ReplayRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    var headers: [String: String]
    var body: Data
}

/// What the replay server answers.
struct ReplayResponse: Sendable {
    var status: Int = 200
    var body = Data()
    var contentType = "application/json"
    /// Waits this long before answering (a slow exchange).
    var delay: Duration = .zero
    /// Sends the body in 64 KiB chunks without a `Content-Length` (chunked transfer encoding).
    var chunked = false

    static func json(_ text: String) -> ReplayResponse { ReplayResponse(body: Data(text.utf8)) }
    static func xml(_ text: String) -> ReplayResponse { ReplayResponse(body: Data(text.utf8), contentType: "application/xml") }
    static func data(_ data: Data) -> ReplayResponse { ReplayResponse(body: data) }
    static func status(_ status: Int) -> ReplayResponse { ReplayResponse(status: status, body: Data("{}".utf8)) }
}

/// A real HTTP server on loopback that answers as an exchange would, from the test's script, and logs every
/// request (the remote exchanges cannot be reached from here; their formats are replayed from pytx's tests).
final class ReplayServer: Sendable {
    let port: Int
    private let task: Task<Void, any Error>
    private let log: RequestLog

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }
    var requests: [ReplayRequest] { log.entries.withLock { $0 } }

    /// Starts a server answering with `script`.
    static func start(_ script: @escaping @Sendable (ReplayRequest) async -> ReplayResponse) async throws -> ReplayServer {
        let log = RequestLog()
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let body = try await request.body.collect(upTo: 16 << 20)
            let seen = ReplayRequest(method: request.method.rawValue, path: request.uri.path, query: query, headers: headers,
                                     body: Data(buffer: body))
            log.entries.withLock { $0.append(seen) }
            let answer = await script(seen)
            if answer.delay > .zero { try? await Task.sleep(for: answer.delay) }
            if answer.chunked {
                let bytes = answer.body
                return Response(status: .init(code: answer.status), headers: [.contentType: answer.contentType],
                                body: ResponseBody { writer in
                                    var offset = 0
                                    while offset < bytes.count {
                                        let end = min(bytes.count, offset + 65_536)
                                        try await writer.write(ByteBuffer(bytes: bytes[offset..<end]))
                                        offset = end
                                    }
                                    try await writer.finish(nil)
                                })
            }
            return Response(status: .init(code: answer.status),
                            headers: [.contentType: answer.contentType],
                            body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: {
                // The server's own start and stop lines are noise in test output.
                var logger = Logger(label: "replay")
                logger.logLevel = .critical
                return logger
            }()
        )
        let task = Task { try await app.runService() }
        var iterator = portStream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            throw CancellationError()
        }
        return ReplayServer(port: port, task: task, log: log)
    }

    private init(port: Int, task: Task<Void, any Error>, log: RequestLog) {
        self.port = port
        self.task = task
        self.log = log
    }

    /// Stops the server.
    func stop() async {
        task.cancel()
        _ = await task.result
    }
}

/// The requests a replay server saw.
final class RequestLog: Sendable {
    let entries = Mutex<[ReplayRequest]>([])
}
