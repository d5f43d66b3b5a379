import NCCBank

/// The strategy for a bank this process alone writes (`ServedBank.local`: SQLite, memory): case writes run
/// one at a time, each store transaction followed by its index update, so the indexes never hold a
/// withdrawn hash; the secret throttle lives in this process.
struct LocalReplica: ReplicaStrategy {
    let store: any BankStore
    let index: BankIndex
    let caseWrites: AsyncLock
    let secretLimiter: RateLimiter

    func loadIndex() async throws -> Int {
        let hashes = try await store.loadHashes()
        index.insert(hashes)
        return hashes.count
    }

    func caseWrite(_ body: @Sendable () async throws -> Void) async throws {
        try await caseWrites.run(body)
    }

    func applyLocalWrite(inserted: [StoredHash], removed: [StoredHash]) async {
        index.insert(inserted)
        index.remove(removed)
    }

    func takeSecretTry(_ key: String) async -> Int? { secretLimiter.take(key) }

    func secretTryFitted(_ key: String) { secretLimiter.refund(key) }

    func platform(keyPrefix: String) async throws -> PlatformRecord? {
        try await store.platform(keyPrefix: keyPrefix)
    }

    func matchReferences(platform: PlatformRecord, imageIDs: [Int64]) async throws -> [Int64: String] {
        try await store.matchReferences(platform: platform, imageIDs: imageIDs)
    }

    func follow() async {}

    func requestDeadline() -> RequestDeadline? { nil }

    var appliedSequence: Int64? { nil }
}
