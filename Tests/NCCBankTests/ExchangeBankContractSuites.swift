import Testing

// The banks-and-exchanges contract (`ExchangeBankContract`) on each backend, one suite per backend. The
// PostgreSQL driver runs the same bodies in its own suite.

@Suite struct MemoryExchangeBankContractTests {
    @Test func banks() async throws { try await ExchangeBankContract.banks(.memory) }
    @Test func exchanges() async throws { try await ExchangeBankContract.exchanges(.memory) }
    @Test func apply() async throws { try await ExchangeBankContract.apply(.memory) }
    @Test func changeFeed() async throws { try await ExchangeBankContract.changeFeed(.memory) }
    @Test func removeExchange() async throws { try await ExchangeBankContract.removeExchange(.memory) }
    @Test func importedReferencesAndFeedback() async throws { try await ExchangeBankContract.importedReferencesAndFeedback(.memory) }
    @Test func quarantine() async throws { try await ExchangeBankContract.quarantine(.memory) }
}

@Suite struct SQLiteExchangeBankContractTests {
    @Test func banks() async throws { try await ExchangeBankContract.banks(.sqlite) }
    @Test func exchanges() async throws { try await ExchangeBankContract.exchanges(.sqlite) }
    @Test func apply() async throws { try await ExchangeBankContract.apply(.sqlite) }
    @Test func changeFeed() async throws { try await ExchangeBankContract.changeFeed(.sqlite) }
    @Test func removeExchange() async throws { try await ExchangeBankContract.removeExchange(.sqlite) }
    @Test func importedReferencesAndFeedback() async throws { try await ExchangeBankContract.importedReferencesAndFeedback(.sqlite) }
    @Test func quarantine() async throws { try await ExchangeBankContract.quarantine(.sqlite) }
}
