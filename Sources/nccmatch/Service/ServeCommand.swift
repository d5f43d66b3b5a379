import ArgumentParser
import Foundation
import Logging
import NCCBank
import NCCBankPostgres
import NCCBankSQLite
import NCCServer

/// `nccmatch serve`: the hash bank service over HTTP, and the composition root of the server: it chooses the
/// store (the SQLite file in `--data`, or a shared PostgreSQL bank with `--database`) and hands it to
/// `BankServer`, which knows no driver.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the hash bank service (JSON API under /v1) on a data directory.",
        discussion: """
            The data directory holds bank.sqlite (created on first start). With --database postgres://... \
            (or NCCMATCH_DATABASE_URL) the bank is on a PostgreSQL server instead, which several replicas can \
            share; see docs/postgres.md. Add platforms with \
            `nccmatch admin platform add NAME --data DIR`. The API is described at /v1/openapi.json; \
            /healthz, /readyz and /metrics (Prometheus) are there for operators. Logs go to standard error \
            and never hold hash values or secrets. Stop with Ctrl-C or SIGTERM.
            """
    )

    @Option(help: "Data directory (created if missing).")
    var data: String = "nccmatch-data"

    @Option(help: ArgumentHelp(
        "A shared PostgreSQL bank, postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require, instead of the SQLite file in --data (default: $NCCMATCH_DATABASE_URL).",
        valueName: "url"))
    var database: String?

    @Option(help: "Address to listen on. Keep the loopback default behind a TLS proxy.")
    var host: String = "127.0.0.1"

    @Option(help: "Port; 0 picks a free one (printed at start).")
    var port: Int = 8080

    @Option(help: "Requests per second each platform key may make (bursts of twice that).")
    var rateRequests: Double = 50

    @Option(help: "Hashes per second each platform key may match (bursts of twice that).")
    var rateHashes: Double = 100_000

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: ArgumentHelp("PBKDF2 iterations for new case secrets (default 600000; below 210000 only for tests).", visibility: .hidden))
    var secretRounds: Int = 600_000

    @Option(help: ArgumentHelp("JSON file with the person's page settings: bank_name, help_links, default_language (docs/page.md).", valueName: "file"))
    var pageSettings: String?

    @Flag(help: ArgumentHelp(
        "Do not fetch exchanges or send their feedback here (on a shared PostgreSQL bank, give it to every replica but one; see docs/exchanges.md)."))
    var noExchangeFetch = false

    @OptionGroup(title: "Limits")
    var limits: ServeLimitOptions

    func validate() throws {
        if !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535.") }
        if rateRequests <= 0 || rateHashes <= 0 { throw ValidationError("--rate-requests and --rate-hashes must be positive.") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical.") }
        if secretRounds < 1_000 { throw ValidationError("--secret-rounds must be at least 1000 (210000 or more outside tests).") }
        if let url = databaseURL, !PostgresDatabaseURL.isPostgresURL(url) {
            throw ValidationError("--database (or NCCMATCH_DATABASE_URL) must be a postgres:// URL, e.g. postgres://nccmatch@127.0.0.1:5432/nccmatch?sslmode=require.")
        }
    }

    /// `--database`, else `NCCMATCH_DATABASE_URL`, else nil (SQLite).
    var databaseURL: String? {
        if let database, !database.isEmpty { return database }
        if let env = ProcessInfo.processInfo.environment["NCCMATCH_DATABASE_URL"], !env.isEmpty { return env }
        return nil
    }

    func run() async throws {
        // Every file the server makes (the bank, its -wal and -shm, the lock) is for this user only.
        umask(0o077)
        var logger = Logger(label: "nccmatch.serve")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var configuration = ServerConfiguration(
            dataDirectory: data, host: host, port: port,
            requestsPerSecond: rateRequests, hashesPerSecond: rateHashes, secretRounds: secretRounds)
        limits.apply(to: &configuration)
        configuration.exchangeLoops = !noExchangeFetch
        do {
            if let pageSettings { configuration.pageSettings = try PageSettings.load(path: pageSettings) }
        } catch {
            FileHandle.standardError.write(Data("nccmatch serve: \(error)\n".utf8))
            throw ExitCode(1)
        }
        if secretRounds < 210_000 {
            logger.warning("case secrets hashed with fewer than 210000 PBKDF2 iterations: for tests only")
        }
        do {
            let opened = try await openBank(logger: logger)
            // The SQLite directory lock is held for the whole run: a second `serve` on it refuses to start.
            defer { withExtendedLifetime(opened.lock) {} }
            try await BankServer.run(bank: opened.bank, configuration: configuration, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("nccmatch serve: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Opens the bank this server serves: PostgreSQL (shared: replicas follow its change feed) when a URL is
    /// given, else the SQLite file in `--data` (checked, and locked against a second server).
    /// Throws `BankError` when the bank cannot be opened, is locked by another server or is damaged.
    func openBank(logger: Logger) async throws -> (bank: ServedBank, lock: BankDirectoryLock?) {
        if let url = databaseURL {
            let postgres = try await PostgresBankStore(url: url, logger: logger)
            logger.info("bank on PostgreSQL", metadata: ["database": "\(postgres.url)"])
            return (.shared(postgres), nil)
        }
        let bank = try SQLiteBankStore.openForServing(directory: data)
        for note in bank.notes { logger.warning("\(note)") }
        logger.info("bank checked", metadata: [
            "hashes": "\(bank.integrity.hashes)",
            "quick_check_seconds": "\(String(format: "%.2f", bank.integrity.quickCheckSeconds))",
            "hash_check_seconds": "\(String(format: "%.2f", bank.integrity.hashCheckSeconds))",
        ])
        return (.local(bank.store), bank.lock)
    }
}
