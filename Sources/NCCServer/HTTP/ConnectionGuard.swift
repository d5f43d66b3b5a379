import Foundation
import Hummingbird
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Open connections, per client address and in all, shared by every connection's `ConnectionGuard`.
final class ClientConnections: Sendable {
    private struct State {
        var perClient: [String: Int] = [:]
        var total = 0
    }

    private let state = Mutex(State())
    /// Most connections one client address may hold open.
    let limit: Int
    /// From this many open connections on, the server is under pressure: new requests get a short deadline.
    let pressureAt: Int

    /// A table allowing `limit` connections per client; under pressure from `pressureAt` connections in all.
    init(limit: Int, pressureAt: Int) {
        self.limit = limit
        self.pressureAt = pressureAt
    }

    /// Counts a new connection from `client` (nil: a trusted proxy, counted in the total only); false (and
    /// not counted) when that client already holds `limit`.
    func open(_ client: String?) -> Bool {
        state.withLock { state in
            if let client {
                let n = state.perClient[client, default: 0]
                guard n < limit else { return false }
                state.perClient[client] = n + 1
            }
            state.total += 1
            return true
        }
    }

    /// Forgets a connection counted by `open`.
    func close(_ client: String?) {
        state.withLock { state in
            if let client {
                let n = state.perClient[client, default: 1] - 1
                state.perClient[client] = n > 0 ? n : nil
            }
            state.total -= 1
        }
    }

    /// Whether so many connections are open that idle ones should make room quickly.
    var underPressure: Bool { state.withLock { $0.total >= pressureAt } }
}

/// One per connection, right after HTTP decoding: bounds what a connection can hold on to.
///
/// - A request (head and body) must arrive whole within `readTimeout` of the connection opening or of the
///   previous response; so must the next request on a kept-alive connection. Otherwise the connection is
///   closed: idle, half-sent and drip-fed sockets do not stay open. While three quarters of the server's
///   connections are taken, the deadline is `pressureTimeout` (2 s) instead, so a crowd of idle sockets from
///   many addresses gives way within seconds to clients that speak.
/// - A client address holding `ClientConnections.limit` connections has further ones closed at once.
/// - A request the HTTP parser cannot read before any handler saw it (a broken request line or header)
///   is answered 400 with the API's JSON error body and the connection closed, instead of an empty answer.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let readTimeout: TimeAmount
    private let pressureTimeout = TimeAmount.seconds(2)
    private let connections: ClientConnections
    private let trustedProxies: Set<String>
    private var client: String?
    private var counted = false
    private var deadline: Scheduled<Void>?
    private var requestOpen = false
    private var responsesOwed = 0

    /// A guard for one connection; connections from `trustedProxies` are not counted per client.
    init(readTimeout: TimeAmount, connections: ClientConnections, trustedProxies: Set<String>) {
        self.readTimeout = readTimeout
        self.connections = connections
        self.trustedProxies = trustedProxies
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let peer = context.channel.remoteAddress?.ipAddress ?? "unknown"
        let key = trustedProxies.contains(peer) ? nil : ClientAddress.normalised(peer)
        guard connections.open(key) else {
            context.close(promise: nil)
            return
        }
        client = key
        counted = true
        arm(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        if counted { connections.close(client) }
        counted = false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            requestOpen = true
            responsesOwed += 1
        case .body:
            break
        case .end:
            requestOpen = false
            // The request is in; the handler's own work is bounded elsewhere.
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        responsesOwed = max(0, responsesOwed - 1)
        if requestOpen {
            // Answered before its body was read (413, a refused key): the rest of the body will not be read, so
            // the connection ends here instead of holding the client until the read deadline. Output is closed
            // first, and the socket a moment later, so that a client still sending can read the answer.
            let channel = context.channel
            context.writeAndFlush(data).whenComplete { _ in
                channel.close(mode: .output, promise: nil)
                channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
            }
            promise?.succeed(())
            return
        }
        // The clock for the next request starts when this answer is sent.
        if responsesOwed == 0 { arm(context) }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard responsesOwed == 0 else {
            // A request is being handled: its body stream carries the error to the handler, which answers.
            context.fireErrorCaught(error)
            return
        }
        let body = APIError(.badRequest, "malformed_request", "The request could not be read as HTTP/1.1 (a broken request line or header). Check the client; the API is described at /v1/openapi.json.").body
        var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
        buffer.writeString(body)
        let head = HTTPResponse(status: .badRequest, headerFields: [
            .contentType: "application/json; charset=utf-8", .contentLength: String(buffer.readableBytes), .connection: "close",
        ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(buffer)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    private func arm(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let channel = context.channel
        let timeout = connections.underPressure ? min(readTimeout, pressureTimeout) : readTimeout
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            channel.close(promise: nil)
        }
    }
}
