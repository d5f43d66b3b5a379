import Foundation
import Hummingbird
import Logging
import NCCBank
import HummingbirdCore
import NIOCore

/// `nccmatch serve`: starts listening on an opened bank, loads the indexes, follows a shared bank's changes,
/// serves until SIGINT or SIGTERM. Which store the bank is on is the caller's choice (`ServedBank`): this
/// module knows no database driver.
public enum BankServer {
    /// Runs the service on `bank` until it is stopped.
    ///
    /// Prints `listening on http://HOST:PORT` on standard output once the socket is bound (with the real
    /// port when `configuration.port` is 0). `/readyz` answers 200 once the indexes are loaded.
    /// - Throws: `BankError` when the bank cannot be loaded; `ServerStartError` when the port is in use or the
    ///   address not this machine's; else the binding error.
    public static func run(bank: ServedBank, configuration: ServerConfiguration, logger: Logger) async throws {
        let service = BankService(bank: bank, configuration: configuration, logger: logger)
        let host = configuration.host
        let connections = ClientConnections(limit: configuration.maxConnectionsPerClient, pressureAt: configuration.maxConnections * 3 / 4)
        let readTimeout = TimeAmount.milliseconds(Int64(configuration.readTimeoutSeconds * 1_000))
        let proxies = configuration.trustedProxies
        BankServer.raiseOpenFileLimit(to: configuration.maxConnections + 256)
        let app = Application(
            router: service.makeRouter(),
            server: .http1(configuration: .init(
                // The guard's deadline also closes idle kept-alive connections, so Hummingbird's idle timer is not set.
                additionalChannelHandlers: [ConnectionGuard(readTimeout: readTimeout, connections: connections, trustedProxies: proxies)])),
            configuration: .init(
                address: .hostname(host, port: configuration.port), serverName: "nccmatch",
                // Past this many connections the server stops accepting (they wait in the backlog) instead of
                // running out of file descriptors, which made the accept loop spin.
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                // Written straight to the descriptor: stdout may be a pipe, where print() would buffer.
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
            },
            logger: logger
        )
        // Each task says whether the server stopped (then the others, the change follower, are cancelled).
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    try await app.runService()
                } catch {
                    throw startFailure(error, configuration: configuration)
                }
                return true
            }
            group.addTask {
                do {
                    try await service.loadIndex()
                } catch {
                    // Cancelled because the server stopped (or could not bind): its own error is the one to report.
                    if Task.isCancelled { return false }
                    logger.critical("the bank could not be loaded", metadata: ["error": "\(error)"])
                    throw error
                }
                return false
            }
            group.addTask {
                // Follow the bank's changes (a shared bank's; a local bank has none) once the index is loaded,
                // until the server stops.
                while !service.isReady { try await Task.sleep(for: .milliseconds(20)) }
                await service.replica.follow()
                return false
            }
            group.addTask {
                // Follow the imported hashes, the banks' settings and the quarantine about every second, whoever
                // writes them, until the server stops.
                while !service.isReady { try await Task.sleep(for: .milliseconds(20)) }
                await service.followImported()
                return false
            }
            if configuration.exchangeLoops, let exchanges = service.store as? any ExchangeBankStore {
                group.addTask {
                    // The exchanges' fetch and feedback loops, in their own tasks, once the index is loaded.
                    while !service.isReady { try await Task.sleep(for: .milliseconds(20)) }
                    let shared = if case .shared = bank { true } else { false }
                    await ExchangeLoops.run(service: service, store: exchanges, shared: shared, logger: logger)
                    return false
                }
            }
            // The first to fail stops the other; a clean load just waits for the server to stop.
            do {
                while let stopped = try await group.next() {
                    if stopped { group.cancelAll() }
                }
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }
}

/// A failure to start listening, said in words that tell the operator what to do.
public struct ServerStartError: Error, Sendable, CustomStringConvertible {
    /// Stable code: `port_in_use`, `address_unavailable`, `port_not_permitted`.
    public let code: String
    /// What happened and what to do.
    public let message: String
    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}

/// The binding error as a `ServerStartError` when it is one the operator can fix; otherwise unchanged.
func startFailure(_ error: any Error, configuration: ServerConfiguration) -> any Error {
    guard let io = error as? IOError else { return error }
    let host = configuration.host, port = configuration.port
    switch io.errnoCode {
    case EADDRINUSE:
        return ServerStartError(code: "port_in_use", message: "port \(port) on \(host) is already in use; stop the other program or choose another --port.")
    case EADDRNOTAVAIL:
        return ServerStartError(code: "address_unavailable", message: "\(host) is not an address of this machine; choose another --host (127.0.0.1 keeps the bank on loopback).")
    case EACCES:
        return ServerStartError(code: "port_not_permitted", message: "port \(port) on \(host) needs privileges this user does not have; choose a --port above 1023 and put a proxy in front.")
    default:
        return error
    }
}
