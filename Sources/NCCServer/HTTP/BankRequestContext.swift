import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core context plus the peer's address, from which
/// the per-client limits are keyed (`ClientAddress`).
public struct BankRequestContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer (a proxy's address when the service sits behind one).
    public let remoteAddress: SocketAddress?

    /// Makes the context of a request arriving on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
