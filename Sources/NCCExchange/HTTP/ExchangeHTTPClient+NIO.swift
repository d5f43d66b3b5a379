import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The system's trust roots with hostname verification, loaded once for every https exchange (loading the
/// roots costs milliseconds; a context is safe to share between connections).
private let exchangeTLSContext = Result<NIOSSLContext, any Error> {
    try NIOSSLContext(configuration: TLSConfiguration.makeClientConfiguration())
}

extension ExchangeHTTPClient {
    /// One HTTP/1.1 request on its own connection (`Connection: close`) over SwiftNIO, on the process's one
    /// shared event loop group. Waiting for a silent exchange costs no CPU: the socket sits in epoll until an
    /// answer, the deadline or a cancellation.
    ///
    /// Messages carry `$EXCHANGE` in place of the exchange's name.
    /// - Parameters:
    ///   - deadline: seconds for the whole answer: connect, TLS handshake, request and response.
    ///   - limit: most body bytes kept; a `Content-Length` above it is refused before reading, and a body
    ///     without one is cut once the running count passes it.
    static func exchangeOverNIO(_ request: URLRequest, deadline: TimeInterval, limit: Int) async -> Result<Response, ExchangeError> {
        let target: ExchangeHTTPTarget
        switch ExchangeHTTPTarget.make(request) {
        case .success(let made): target = made
        case .failure(let failure): return .failure(failure)
        }
        var tls: NIOSSLContext?
        if target.secure {
            switch exchangeTLSContext {
            case .success(let context): tls = context
            case .failure:
                return .failure(ExchangeError(.unreachable, "$EXCHANGE could not be reached (the system's TLS trust roots could not be loaded); check the address and the network."))
            }
        }
        let call = ExchangeHTTPCall(eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        if Task.isCancelled { return .failure(ExchangeHTTPCall.cancelled) }
        return await withTaskCancellationHandler {
            call.start(target, tls: tls, deadline: deadline, limit: limit)
            do {
                return .success(try await call.promise.futureResult.get())
            } catch let failure as ExchangeError {
                return .failure(failure)
            } catch {
                return .failure(ExchangeHTTPCall.unreachable(error))
            }
        } onCancel: {
            call.finish(.failure(ExchangeHTTPCall.cancelled))
        }
    }
}

/// Where one request goes and what it says, read from a `URLRequest`.
struct ExchangeHTTPTarget: Sendable {
    var secure: Bool
    var host: String
    var port: Int
    var head: HTTPRequestHead
    var body: Data

    static func make(_ request: URLRequest) -> Result<ExchangeHTTPTarget, ExchangeError> {
        guard let url = request.url, let components = URLComponents(url: url, resolvingAgainstBaseURL: true),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              var host = components.host, !host.isEmpty
        else {
            return .failure(ExchangeError(.unreachable, "$EXCHANGE could not be reached (its address is not an http or https URL); check the address and the network."))
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let secure = scheme == "https"
        let port = components.port ?? (secure ? 443 : 80)
        var uri = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        if let query = components.percentEncodedQuery { uri += "?" + query }
        let method = HTTPMethod(rawValue: (request.httpMethod ?? "GET").uppercased())
        let body = request.httpBody ?? Data()
        var headers = HTTPHeaders()
        let hostName = host.contains(":") ? "[\(host)]" : host
        headers.add(name: "Host", value: components.port == nil ? hostName : "\(hostName):\(port)")
        for (name, value) in request.allHTTPHeaderFields ?? [:] {
            switch name.lowercased() {
            case "host", "connection", "content-length", "transfer-encoding", "cookie": continue
            default: headers.add(name: name, value: value)
            }
        }
        if !body.isEmpty || ![.GET, .HEAD, .DELETE, .OPTIONS].contains(method) {
            headers.add(name: "Content-Length", value: String(body.count))
        }
        headers.add(name: "Connection", value: "close")
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
        return .success(ExchangeHTTPTarget(secure: secure, host: host, port: port, head: head, body: body))
    }
}

/// One request's life on its event loop: it ends exactly once, with the answer, the deadline, a failure or a
/// cancellation, and its connection is closed when it ends.
final class ExchangeHTTPCall: Sendable {
    let eventLoop: any EventLoop
    /// Completed once; later completions are ignored.
    let promise: EventLoopPromise<ExchangeHTTPClient.Response>
    /// The connection once open; touched on `eventLoop` only.
    private let channel: NIOLoopBoundBox<(any Channel)?>
    /// Whether the call has ended; touched on `eventLoop` only.
    private let ended: NIOLoopBoundBox<Bool?>

    static let timedOut = ExchangeError(.timedOut, "$EXCHANGE did not answer in time; it will be tried again.")
    static let cancelled = ExchangeError(.unreachable, "The request to $EXCHANGE was cancelled.")

    static func tooLarge(_ limit: Int) -> ExchangeError {
        ExchangeError(.responseTooLarge, "$EXCHANGE sent an answer larger than \(limit) bytes; it was not read.")
    }

    static func unreachable(_ error: any Error) -> ExchangeError {
        ExchangeError(.unreachable, "$EXCHANGE could not be reached (\(reason(error))); check the address and the network.")
    }

    /// A short cause without addresses or credentials.
    static func reason(_ error: any Error) -> String {
        switch error {
        case let connection as NIOConnectionError:
            if connection.dnsAAAAError != nil || connection.dnsAError != nil, connection.connectionErrors.isEmpty {
                return "its name could not be resolved"
            }
            if let first = connection.connectionErrors.first?.error { return reason(first) }
            return "no connection"
        case let io as IOError: return String(cString: strerror(io.errnoCode)).lowercased()
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError: return "the TLS handshake failed"
        case is ChannelError: return "the connection failed"
        case is HTTPParserError: return "the answer is not HTTP"
        case is ExchangeHTTPCall.ClosedEarly: return "the connection closed before the answer was whole"
        default: return "no connection"
        }
    }

    struct ClosedEarly: Error {}

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        promise = eventLoop.makePromise(of: ExchangeHTTPClient.Response.self)
        channel = NIOLoopBoundBox.makeEmptyBox(valueType: (any Channel).self, eventLoop: eventLoop)
        ended = NIOLoopBoundBox.makeEmptyBox(valueType: Bool.self, eventLoop: eventLoop)
    }

    /// Ends the call with `result` unless it has ended already; closes the connection. Any thread.
    func finish(_ result: Result<ExchangeHTTPClient.Response, ExchangeError>) {
        eventLoop.execute { [self] in
            guard ended.value != true else { return }
            ended.value = true
            channel.value?.close(promise: nil)
            channel.value = nil
            promise.completeWith(result.mapError { $0 as any Error })
        }
    }

    /// Connects, sends and reads; the deadline starts now and covers all of it.
    func start(_ target: ExchangeHTTPTarget, tls: NIOSSLContext?, deadline: TimeInterval, limit: Int) {
        let timer = eventLoop.scheduleTask(in: .nanoseconds(Int64(max(0, deadline) * 1e9))) { [self] in
            finish(.failure(Self.timedOut))
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        let host = target.host
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.nanoseconds(Int64(max(0.001, deadline) * 1e9)))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { [self] channel in
                do {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        // SNI and the name checked against the certificate; an IP address is checked as such.
                        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : host))
                    }
                    try pipeline.addHTTPClientHandlers(leftOverBytesStrategy: .dropBytes)
                    try pipeline.addHandler(ExchangeHTTPResponseReader(call: self, limit: limit))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        bootstrap.connect(host: target.host, port: target.port).whenComplete { [self] connected in
            switch connected {
            case .failure(let error):
                finish(.failure(Self.unreachable(error)))
            case .success(let opened):
                guard ended.value != true else {
                    opened.close(promise: nil)
                    return
                }
                channel.value = opened
                opened.write(HTTPClientRequestPart.head(target.head), promise: nil)
                if !target.body.isEmpty {
                    opened.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: target.body))), promise: nil)
                }
                opened.writeAndFlush(HTTPClientRequestPart.end(nil)).whenFailure { [self] error in
                    finish(.failure(Self.unreachable(error)))
                }
            }
        }
    }
}

/// Reads one answer: the status, then the body up to the call's limit.
final class ExchangeHTTPResponseReader: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let call: ExchangeHTTPCall
    private let limit: Int
    private var status = 0
    private var body = ByteBuffer()
    private var done = false

    init(call: ExchangeHTTPCall, limit: Int) {
        self.call = call
        self.limit = limit
    }

    private func end(_ result: Result<ExchangeHTTPClient.Response, ExchangeError>) {
        guard !done else { return }
        done = true
        body = ByteBuffer()
        call.finish(result)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            // An informational answer (1xx) is followed by the real one.
            if (100..<200).contains(Int(head.status.code)), head.status != .switchingProtocols { return }
            status = Int(head.status.code)
            if let length = head.headers.first(name: "Content-Length").flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
                if length > limit {
                    end(.failure(ExchangeHTTPCall.tooLarge(limit)))
                    return
                }
                body.reserveCapacity(length)
            }
        case .body(var part):
            if body.readableBytes + part.readableBytes > limit {
                end(.failure(ExchangeHTTPCall.tooLarge(limit)))
                return
            }
            body.writeBuffer(&part)
        case .end:
            let bytes = Data(body.readableBytesView)
            end(.success(ExchangeHTTPClient.Response(status: status, body: bytes)))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        end(.failure(ExchangeHTTPCall.unreachable(error)))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        end(.failure(ExchangeHTTPCall.unreachable(ExchangeHTTPCall.ClosedEarly())))
        context.fireChannelInactive()
    }
}
