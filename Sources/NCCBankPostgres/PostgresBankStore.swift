import Foundation
import Logging
import NCCBank
import NCCHashing
import PostgresNIO
import Synchronization

/// A `BankStore` on a PostgreSQL server, for several service replicas sharing one bank (`SharedBankStore`).
///
/// The driver's files, by job: this one (the connection pool), `+Calls` (deadlines, transactions, error
/// mapping), `+Deadlines` (the gate between a call and its deadline), `+Schema` (migrations), `+Cases`,
/// `+Platforms`, `+Matching` (match references, feedback), `+Audit`, `+ChangeFeed`, `+Throttle`, `+Transfer`
/// (export and import), and `ExchangeBankStore`'s: `+Banks` (named banks, quarantine), `+Exchanges` (exchanges,
/// their records and checkpoints, the imported hashes' change feed), `+ExchangeFeedback` (imported match
/// references, the feedback outbox).
///
/// Connections come from postgres-nio's `PostgresClient` pool (up to 16 per process), with TLS when the
/// URL asks for it (`sslmode=require` or `verify-full`). Every method is one transaction: a failure rolls
/// it back, and a method returns only after `COMMIT` succeeded, so an acknowledged write is durable as
/// PostgreSQL makes it (`synchronous_commit = on`, its default, is set for every transaction here).
///
/// Every change to the matchable hashes also writes a row of `changes` with the next sequence number and
/// notifies the `nccmatch_changes` channel, which replicas follow (`changes(after:)`).
///
/// When the server cannot be reached, calls fail within `timeout` seconds with `database_unavailable`;
/// the pool reconnects by itself when the server returns.
public final class PostgresBankStore: SharedBankStore {
    /// The LISTEN/NOTIFY channel announcing new changes (the payload is the sequence number).
    public static let changeChannel = "nccmatch_changes"

    let client: PostgresClient
    let runner: Task<Void, Never>
    let logger: Logger
    /// The server, with the password hidden.
    public let url: PostgresDatabaseURL
    /// Seconds a call may wait for the database before it fails with `database_unavailable`.
    public let timeout: Double
    /// The bank's match-reference key (loaded at start, before the store is handed out).
    let referenceKey = Mutex<MatchReferenceKey?>(nil)

    /// `timeout`: each call's, and each request's for all its calls together.
    public var callTimeout: Double { timeout }

    /// Connects to the server named by `url` and brings its schema up to date (`migrate`).
    ///
    /// Throws `invalid_database_url`, `store_too_new`, or `database_unavailable` when the server cannot be
    /// reached or refuses the login.
    public init(url text: String, timeout: Double = 5, logger: Logger = Logger(label: "nccmatch.postgres")) async throws {
        url = try PostgresDatabaseURL(text)
        self.timeout = timeout
        self.logger = logger
        client = PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: Self.quiet(logger))
        let client = self.client
        runner = Task { await client.run() }
        do {
            _ = try await migrate()
            let key = try await transaction { c, logger -> [UInt8] in
                let fresh = Data(MatchReferenceKey.newKeyBytes())
                try await c.query("INSERT INTO bank_keys (name, value) VALUES ('match_ref', \(fresh)) ON CONFLICT (name) DO NOTHING", logger: logger)
                var value = Data()
                for try await stored in try await c.query("SELECT value FROM bank_keys WHERE name = 'match_ref'", logger: logger).decode(Data.self) {
                    value = stored
                }
                return Array(value)
            }
            let loaded = try MatchReferenceKey(bytes: key)
            referenceKey.withLock { $0 = loaded }
        } catch {
            runner.cancel()
            throw error
        }
    }

    deinit { runner.cancel() }

    /// postgres-nio logs connection details at debug level; keep its background logger at warning or above.
    static func quiet(_ logger: Logger) -> Logger {
        var quiet = logger
        if quiet.logLevel < .warning { quiet.logLevel = .warning }
        return quiet
    }

    /// Whether this store's connections to the server are encrypted (TLS), as the server sees them.
    public func connectionIsEncrypted() async throws -> Bool {
        try await transaction(writing: false) { c, logger in
            var encrypted = false
            for try await value in try await c.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: logger).decode(Bool.self) {
                encrypted = value
            }
            return encrypted
        }
    }

    /// Stops the connection pool.
    public func close() {
        runner.cancel()
    }
}
