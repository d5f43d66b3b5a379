import Foundation
import Logging
import NCCBank
import NCCBankPostgres
import NCCExchange
import NCCTestSupport
import PostgresNIO
import Testing

/// The record store and outbox contract bodies (`ExchangeStoreContract`) on `PostgresBankStore`, each on a fresh
/// database of the test server (`NCCMATCH_TEST_POSTGRES_URL`). The bank store applies and queues only for
/// configured exchanges, so the exchanges the bodies name (`a`, `b`, `s`) are added first.
@Suite(.needsPostgres)
struct PostgresExchangeStoreContractTests {
    @Test("PostgresBankStore keeps the record store contract")
    func records() async throws {
        try await Self.withStore { store in try await ExchangeStoreContract.records(store) }
    }

    @Test("PostgresBankStore keeps the outbox contract")
    func outbox() async throws {
        try await Self.withStore { store in try await ExchangeStoreContract.outbox(store) }
    }

    @Test("PostgresBankStore marks tries in doubt")
    func inDoubt() async throws {
        try await Self.withStore { store in try await ExchangeStoreContract.inDoubt(store) }
    }

    @Test("PostgresBankStore finds a record by its id")
    func recordLookup() async throws {
        try await Self.withStore { store in try await ExchangeStoreContract.recordLookup(store) }
    }

    @Test("PostgresBankStore keeps an exchange's feedback source")
    func feedbackSource() async throws {
        try await Self.withStore { store in try await ExchangeStoreContract.feedbackSource(store) }
    }

    /// Runs `body` on a fresh bank with the bodies' exchanges configured, and drops its database afterwards.
    static func withStore(_ body: (PostgresBankStore) async throws -> Void) async throws {
        let url = try TestRequirements.requirePostgresURL()
        let name = "nccmatch_exchange_test_\(UInt64.random(in: 0...UInt64.max) % 1_000_000_000_000)"
        try await run(url: url, sql: "CREATE DATABASE \(name)")
        var components = try #require(URLComponents(string: url))
        components.path = "/" + name
        do {
            let store = try await PostgresBankStore(url: try #require(components.string), timeout: 10)
            defer { store.close() }
            try await store.addBank(BankSettings(name: "feed"))
            for exchange in ["a", "b", "s"] {
                try await store.addExchange(ExchangeSettings(name: exchange, kind: .localFile, bank: "feed"))
            }
            try await body(store)
        } catch {
            try? await run(url: url, sql: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            throw error
        }
        try await run(url: url, sql: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Runs one statement on the test server's maintenance database (CREATE and DROP DATABASE).
    static func run(url: String, sql: String) async throws {
        let parsed = try PostgresDatabaseURL(url)
        let configuration = PostgresConnection.Configuration(
            host: parsed.host, port: parsed.port, username: parsed.username, password: parsed.password,
            database: parsed.database, tls: .disable)
        let logger = Logger(label: "nccmatch.tests")
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
