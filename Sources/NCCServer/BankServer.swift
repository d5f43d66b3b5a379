import Foundation
import Hummingbird
import Logging
import NCCBank
import NCCBankPostgres

/// `nccmatch serve`: opens the store, starts listening, loads the indexes, serves until SIGINT or SIGTERM.
public enum BankServer {
    /// Runs the service until it is stopped.
    ///
    /// Prints `listening on http://HOST:PORT` on standard output once the socket is bound (with the real
    /// port when `configuration.port` is 0). `/readyz` answers 200 once the indexes are loaded.
    /// - Throws: `BankError` when the store cannot be opened, or the binding error.
    public static func run(configuration: ServerConfiguration, logger: Logger) async throws {
        let store: any BankStore
        if let url = configuration.databaseURL {
            let postgres = try await PostgresBankStore(url: url, logger: logger)
            logger.info("bank on PostgreSQL", metadata: ["database": "\(postgres.url)"])
            store = postgres
        } else {
            store = try SQLiteBankStore(directory: configuration.dataDirectory)
        }
        let service = BankService(store: store, configuration: configuration, logger: logger)
        let host = configuration.host
        let app = Application(
            router: service.makeRouter(),
            configuration: .init(address: .hostname(host, port: configuration.port), serverName: "nccmatch"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                // Written straight to the descriptor: stdout may be a pipe, where print() would buffer.
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
            },
            logger: logger
        )
        // Each task says whether the server stopped (then the others, the change follower, are cancelled).
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await app.runService(); return true }
            group.addTask {
                do {
                    try await service.loadIndex()
                } catch {
                    logger.critical("the bank could not be loaded", metadata: ["error": "\(error)"])
                    throw error
                }
                return false
            }
            if service.feed != nil {
                group.addTask {
                    // Follow the shared bank's changes once the index is loaded, until the server stops.
                    while !service.isReady { try await Task.sleep(for: .milliseconds(20)) }
                    await service.followChanges()
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
