import Foundation
import Logging
import NCCBank
import NCCBankPostgres
import NCCTestSupport
import PostgresNIO
import Testing

/// The store backends every store test runs against.
///
/// PostgreSQL cases need a server: `NCCMATCH_TEST_POSTGRES_URL` (e.g. postgres://nccmatch@127.0.0.1:55432/postgres,
/// set by `.ci/run`, which starts a throwaway cluster). Each test gets its own fresh database on it. Without the
/// variable the PostgreSQL cases print why they are skipped, and `postgresServerIsAvailable` shows as skipped.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// The test server's URL, if one is configured.
    static let postgresURL: String? = {
        let value = ProcessInfo.processInfo.environment["NCCMATCH_TEST_POSTGRES_URL"] ?? ""
        return value.isEmpty ? nil : value
    }()

    static let skipMessage = "PostgreSQL store tests SKIPPED: NCCMATCH_TEST_POSTGRES_URL is not set (`.ci/run` starts a throwaway PostgreSQL and sets it)."
}

/// A fresh, empty bank on one backend, reopenable (a new store object on the same data), removed at the end.
final class StoreFixture: Sendable {
    let backend: Backend
    let location: String
    let cleanup: @Sendable () async -> Void

    private init(backend: Backend, location: String, cleanup: @escaping @Sendable () async -> Void) {
        self.backend = backend
        self.location = location
        self.cleanup = cleanup
    }

    /// A fresh bank, or nil (with a printed message) when the backend is not available here.
    static func make(_ backend: Backend) async throws -> StoreFixture? {
        switch backend {
        case .sqlite:
            let dir = try TemporaryDirectory(prefix: "nccmatch-bank")
            return StoreFixture(backend: backend, location: dir.url.appendingPathComponent("new/data").path) { dir.remove() }
        case .postgres:
            guard let url = Backend.postgresURL else {
                print(Backend.skipMessage)
                return nil
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
        case .sqlite: return try SQLiteBankStore(directory: location)
        case .postgres: return try await PostgresBankStore(url: location, timeout: 10)
        }
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

@Suite struct StoreBackendAvailability {
    /// Shows in the test summary as skipped (with the reason) when no PostgreSQL server is configured.
    @Test(.enabled(if: Backend.postgresURL != nil, "NCCMATCH_TEST_POSTGRES_URL is not set: the PostgreSQL store cases are skipped"))
    func postgresServerIsAvailable() async throws {
        try await withStore(.postgres) { fixture in
            _ = try await fixture.open()
        }
    }
}

/// Runs `body` on a fresh bank of `backend` and removes the bank afterwards, whatever happens; prints why
/// and returns when the backend is not available.
func withStore(_ backend: Backend, _ body: (StoreFixture) async throws -> Void) async throws {
    guard let fixture = try await StoreFixture.make(backend) else { return }
    do {
        try await body(fixture)
    } catch {
        await fixture.cleanup()
        throw error
    }
    await fixture.cleanup()
}
