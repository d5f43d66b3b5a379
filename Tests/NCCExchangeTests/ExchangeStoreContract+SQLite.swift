import Foundation
import NCCBank
import NCCBankSQLite
import NCCExchange
import NCCTestSupport
import Testing

/// The record store and outbox contract bodies (`ExchangeStoreContract`) on the SQLite bank store, which keeps
/// records and feedback only for exchanges it has configured: each test first adds a bank and the exchanges the
/// bodies name ("a" and "b" for records, "s" for the outbox).
@Suite("Exchange store contract (SQLite bank)")
struct SQLiteExchangeStoreContractTests {
    /// A fresh SQLite bank with a bank `imported` filled by the exchanges `names`; removed afterwards.
    static func withBank(exchanges names: [String], _ body: (SQLiteBankStore) async throws -> Void) async throws {
        let directory = try TemporaryDirectory(prefix: "nccmatch-exchange-store")
        defer { directory.remove() }
        let store = try SQLiteBankStore(directory: directory.url.appendingPathComponent("data").path)
        try await store.addBank(BankSettings(name: "imported"))
        for name in names { try await store.addExchange(ExchangeSettings(name: name, kind: .stopNCII, bank: "imported")) }
        try await body(store)
    }

    @Test("SQLiteBankStore keeps the record store contract")
    func records() async throws {
        try await Self.withBank(exchanges: ["a", "b"]) { try await ExchangeStoreContract.records($0) }
    }

    @Test("SQLiteBankStore keeps the outbox contract")
    func outbox() async throws {
        try await Self.withBank(exchanges: ["s"]) { try await ExchangeStoreContract.outbox($0) }
    }

    @Test("SQLiteBankStore marks tries in doubt")
    func inDoubt() async throws {
        try await Self.withBank(exchanges: ["s"]) { try await ExchangeStoreContract.inDoubt($0) }
    }

    @Test("SQLiteBankStore finds a record by its id")
    func recordLookup() async throws {
        try await Self.withBank(exchanges: ["a", "b"]) { try await ExchangeStoreContract.recordLookup($0) }
    }

    @Test("SQLiteBankStore keeps an exchange's feedback source")
    func feedbackSource() async throws {
        try await Self.withBank(exchanges: []) { try await ExchangeStoreContract.feedbackSource($0) }
    }
}
