import Testing

// The same contract bodies (`StoreContract`) on each backend, one suite per backend, so a backend that is not
// available here shows its tests as skipped, by name, with the reason.

@Suite struct MemoryStoreContractTests {
    @Test func casesPlatformsMatchReferencesAndWithdrawal() async throws { try await StoreContract.casesPlatformsMatchReferencesAndWithdrawal(.memory) }
    @Test func rejectedRequestsChangeNothing() async throws { try await StoreContract.rejectedRequestsChangeNothing(.memory) }
    @Test func concurrentWritesAllLand() async throws { try await StoreContract.concurrentWritesAllLand(.memory) }
    @Test func matchReferencesAreStableAndPerPlatform() async throws { try await StoreContract.matchReferencesAreStableAndPerPlatform(.memory) }
    @Test func exportFromSQLiteImportsHere() async throws { try await StoreContract.exportFromSQLiteImports(into: .memory) }
    @Test func videosAreOneItemWithdrawnWhole() async throws { try await StoreContract.videosAreOneItemWithdrawnWhole(.memory) }
    @Test func videosTravelThroughExport() async throws { try await StoreContract.videosTravelThroughExport(into: .memory) }
}

@Suite struct SQLiteStoreContractTests {
    @Test func casesPlatformsMatchReferencesAndWithdrawal() async throws { try await StoreContract.casesPlatformsMatchReferencesAndWithdrawal(.sqlite) }
    @Test func rejectedRequestsChangeNothing() async throws { try await StoreContract.rejectedRequestsChangeNothing(.sqlite) }
    @Test func concurrentWritesAllLand() async throws { try await StoreContract.concurrentWritesAllLand(.sqlite) }
    @Test func matchReferencesAreStableAndPerPlatform() async throws { try await StoreContract.matchReferencesAreStableAndPerPlatform(.sqlite) }
    @Test func exportFromSQLiteImportsHere() async throws { try await StoreContract.exportFromSQLiteImports(into: .sqlite) }
    @Test func videosAreOneItemWithdrawnWhole() async throws { try await StoreContract.videosAreOneItemWithdrawnWhole(.sqlite) }
    @Test func videosTravelThroughExport() async throws { try await StoreContract.videosTravelThroughExport(into: .sqlite) }
}

@Suite(.enabled(if: Backend.runPostgres, Comment(rawValue: Backend.postgresSkipReason)))
struct PostgresStoreContractTests {
    @Test func casesPlatformsMatchReferencesAndWithdrawal() async throws { try await StoreContract.casesPlatformsMatchReferencesAndWithdrawal(.postgres) }
    @Test func rejectedRequestsChangeNothing() async throws { try await StoreContract.rejectedRequestsChangeNothing(.postgres) }
    @Test func concurrentWritesAllLand() async throws { try await StoreContract.concurrentWritesAllLand(.postgres) }
    @Test func matchReferencesAreStableAndPerPlatform() async throws { try await StoreContract.matchReferencesAreStableAndPerPlatform(.postgres) }
    @Test func exportFromSQLiteImportsHere() async throws { try await StoreContract.exportFromSQLiteImports(into: .postgres) }
    @Test func videosAreOneItemWithdrawnWhole() async throws { try await StoreContract.videosAreOneItemWithdrawnWhole(.postgres) }
    @Test func videosTravelThroughExport() async throws { try await StoreContract.videosTravelThroughExport(into: .postgres) }
}
