import Foundation
import Logging
import NCCBank
import NCCBankPostgres
import NCCBankSQLite
import NCCTestSupport
import PostgresNIO
import Testing

/// The store backends every store contract test runs against: memory, SQLite and PostgreSQL.
///
/// PostgreSQL needs a server: `NCCMATCH_TEST_POSTGRES_URL` (e.g. postgres://nccmatch@127.0.0.1:55432/postgres,
/// set by `.ci/run`, which starts a throwaway cluster). Each test gets its own fresh database on it. Without
/// the variable the PostgreSQL suite shows as skipped, test by test, with the reason; under `CI=true` it runs
/// anyway and fails, since CI must never skip it.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// The test server's URL, if one is configured.
    static let postgresURL: String? = {
        let value = ProcessInfo.processInfo.environment["NCCMATCH_TEST_POSTGRES_URL"] ?? ""
        return value.isEmpty ? nil : value
    }()

    /// Whether the PostgreSQL tests run: with a server, and always under `CI=true` (where its absence fails).
    static let runPostgres = postgresURL != nil || ProcessInfo.processInfo.environment["CI"] == "true"

    /// Why the PostgreSQL tests are skipped.
    static let postgresSkipReason = "NCCMATCH_TEST_POSTGRES_URL is not set (`.ci/run` starts a throwaway PostgreSQL and sets it)"
}

/// A backend a test needs is not there (only thrown under `CI=true`; elsewhere such tests are skipped).
struct MissingBackend: Error, CustomStringConvertible {
    let description: String
}

/// A fresh, empty bank on one backend, reopenable (a new store object on the same data, except in memory),
/// removed at the end.
final class StoreFixture: Sendable {
    let backend: Backend
    let location: String
    let memory: MemoryBankStore?
    let cleanup: @Sendable () async -> Void

    private init(backend: Backend, location: String, memory: MemoryBankStore? = nil, cleanup: @escaping @Sendable () async -> Void) {
        self.backend = backend
        self.location = location
        self.memory = memory
        self.cleanup = cleanup
    }

    /// A fresh bank; throws when the backend is not available here (PostgreSQL without a server).
    static func make(_ backend: Backend) async throws -> StoreFixture {
        switch backend {
        case .memory:
            return StoreFixture(backend: backend, location: "memory", memory: MemoryBankStore()) {}
        case .sqlite:
            let dir = try TemporaryDirectory(prefix: "nccmatch-bank")
            return StoreFixture(backend: backend, location: dir.url.appendingPathComponent("new/data").path) { dir.remove() }
        case .postgres:
            guard let url = Backend.postgresURL else {
                throw MissingBackend(description: "this test needs PostgreSQL: \(Backend.postgresSkipReason)")
            }
            let name = "nccmatch_test_\(UInt64.random(in: 0...UInt64.max) % 1_000_000_000_000)"
            try await TestDatabases.run(url: url, sql: "CREATE DATABASE \(name)")
            var components = URLComponents(string: url)!
            components.path = "/" + name
            return StoreFixture(backend: backend, location: components.string!) {
                try? await TestDatabases.run(url: url, sql: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            }
        }
    }

    /// Opens (and migrates) the bank; call again to reopen it as a restarted server would.
    func open() async throws -> any BankStore {
        switch backend {
        case .memory: return memory!
        case .sqlite: return try SQLiteBankStore(directory: location)
        case .postgres: return try await openPostgres()
        }
    }

    /// Opens the PostgreSQL bank as the shared store replicas use.
    func openPostgres() async throws -> PostgresBankStore {
        try await PostgresBankStore(url: location, timeout: 10)
    }
}

/// Runs one statement on the test server's maintenance database (CREATE and DROP DATABASE).
enum TestDatabases {
    static func run(url: String, sql: String) async throws {
        let parsed = try PostgresDatabaseURL(url)
        let configuration = PostgresConnection.Configuration(
            host: parsed.host, port: parsed.port, username: parsed.username, password: parsed.password,
            database: parsed.database, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Logger(label: "nccmatch.tests"))
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "nccmatch.tests"))
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}

/// Runs `body` on a fresh bank of `backend` and removes the bank afterwards, whatever happens.
func withStore(_ backend: Backend, _ body: (StoreFixture) async throws -> Void) async throws {
    let fixture = try await StoreFixture.make(backend)
    do {
        try await body(fixture)
    } catch {
        await fixture.cleanup()
        throw error
    }
    await fixture.cleanup()
}
