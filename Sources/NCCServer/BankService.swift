import Foundation
import Logging
import NCCBank
import NCCHashing
import NCCIndex
import NCCVideo
import NCCWire
import Synchronization

/// The bank's behaviour behind the HTTP routes: validation, authorization, rate limits, the store and the
/// in-memory indexes kept in step with it.
///
/// How the indexes keep in step with the store is the replica strategy's (`Replica/`): on a bank this
/// process alone writes, case writes run one at a time, each store transaction followed by its index update
/// (`LocalReplica`); on a shared bank the indexes follow the bank's numbered changes (`FollowingReplica`).
/// Matches only read the indexes.
public final class BankService: Sendable {
    let store: any BankStore
    let index: BankIndex
    let configuration: ServerConfiguration
    let metrics: ServiceMetrics
    /// Whether matches are being answered: the exchange fetch loop steps aside while they are.
    let matchActivity = MatchActivity()
    let logger: Logger
    private let readyFlag = Atomic<Bool>(false)
    /// How the indexes follow the store, chosen by the kind of bank served.
    let replica: any ReplicaStrategy
    let requestLimiter: RateLimiter
    let hashLimiter: RateLimiter
    /// Wrong secrets and unknown case ids, per client address.
    let secretLimiter: RateLimiter
    /// Cases opened, per client address.
    let caseLimiter: RateLimiter
    /// Keys slowed for probing: one request per 10 s while it lasts.
    let slowedLimiter: RateLimiter
    /// Bounds the CPU that PBKDF2 takes, whoever asks.
    let secretWork: SecretWorkGate
    /// Daily budgets and probing detection of the match API.
    let probes: ProbeGuard
    /// What an unknown case id is checked against, so that it costs the same time as a known one.
    let decoySecret: StoredSecret
    /// The named banks: settings, quarantine, and the imported hashes the indexes follow.
    let importedBanks: ImportedBanks
    /// Bank items matching far more uploads than their peers.
    let quarantineWatch: QuarantineWatch

    /// A service over a bank this process alone writes (SQLite, memory); not ready until `loadIndex()` has run.
    public convenience init(store: any BankStore, configuration: ServerConfiguration, logger: Logger) {
        self.init(bank: .local(store), configuration: configuration, logger: logger)
    }

    /// A service over `bank`, following it as its kind needs; not ready until `loadIndex()` has run.
    public init(bank: ServedBank, configuration: ServerConfiguration, logger: Logger) {
        let index = BankIndex(), metrics = ServiceMetrics(), caseWrites = AsyncLock()
        self.store = bank.store
        self.index = index
        self.metrics = metrics
        self.configuration = configuration
        self.logger = logger
        importedBanks = ImportedBanks(store: bank.store, index: index, logger: logger)
        quarantineWatch = QuarantineWatch()
        requestLimiter = RateLimiter(capacity: configuration.requestsPerSecond * 2, ratePerSecond: configuration.requestsPerSecond)
        hashLimiter = RateLimiter(capacity: max(Double(WireLimits.maxItemsPerRequest), configuration.hashesPerSecond * 2), ratePerSecond: configuration.hashesPerSecond)
        secretLimiter = RateLimiter(capacity: Double(configuration.secretFailuresAllowed), ratePerSecond: 1 / configuration.secretRetrySeconds)
        caseLimiter = RateLimiter(capacity: Double(configuration.caseBurstPerClient), ratePerSecond: configuration.casesPerClientPerHour / 3_600)
        slowedLimiter = RateLimiter(capacity: 1, ratePerSecond: 0.1)
        secretWork = SecretWorkGate(permits: configuration.secretWorkers, queueLimit: configuration.secretQueue)
        probes = ProbeGuard(budgetPerDay: configuration.matchBudgetPerDay, bandLimit: configuration.probeBandLimit,
                            hitRateWindow: configuration.hitRateWindowSeconds)
        decoySecret = (try? Secrets.hashCaseSecret(Secrets.newCaseSecret(), rounds: configuration.secretRounds))
            ?? StoredSecret(scheme: "pbkdf2-sha256", rounds: configuration.secretRounds, salt: Array(repeating: 0, count: 16), hash: Array(repeating: 0, count: 32))
        switch bank {
        case .local(let store):
            replica = LocalReplica(store: store, index: index, caseWrites: caseWrites, secretLimiter: secretLimiter)
        case .shared(let store):
            replica = FollowingReplica(store: store, index: index, caseWrites: caseWrites, secretLimiter: secretLimiter, metrics: metrics, logger: logger)
        }
    }

    /// Whether the indexes are loaded and requests are served.
    public var isReady: Bool { readyFlag.load(ordering: .acquiring) }

    /// Builds the indexes from the store; then the service is ready.
    public func loadIndex() async throws {
        let start = DispatchTime.now().uptimeNanoseconds
        var hashes = try await replica.loadIndex()
        try await importedBanks.refresh()
        hashes += importedBanks.importedCount
        readyFlag.store(true, ordering: .releasing)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        logger.info("index loaded", metadata: ["hashes": "\(hashes)", "seconds": "\(String(format: "%.2f", seconds))"])
    }

    func requireReady() throws {
        guard isReady else { throw APIError.notReady }
    }

    // MARK: - Helpers

    /// The platform with this key prefix, as the replica strategy finds it (also while a shared bank's
    /// database is away, from memory).
    func lookUpPlatform(keyPrefix: String) async throws -> PlatformRecord? {
        try await bankCall { try await self.replica.platform(keyPrefix: keyPrefix) }
    }

    /// Match references for matched pictures, as the replica strategy makes them.
    func matchReferences(platform: PlatformRecord, imageIDs: [Int64]) async throws -> [Int64: String] {
        try await bankCall { try await self.replica.matchReferences(platform: platform, imageIDs: imageIDs) }
    }

    /// Refuses new hashes when the bank holds `maxBankHashes` already (507 `bank_full`).
    func checkRoom(for count: Int) throws {
        let held = index.counts.values.reduce(0, +)
        if held + count > configuration.maxBankHashes {
            logger.error("bank full", metadata: ["hashes": "\(held)", "limit": "\(configuration.maxBankHashes)"])
            throw APIError(.init(code: 507, reasonPhrase: "Insufficient Storage"), "bank_full", "The bank cannot take more hashes just now, so nothing was stored. This is not a problem with your request; please try again later, and tell the bank operator if it lasts.", retryAfter: 3_600)
        }
    }

    /// Seconds as words a person reads ("2 minutes").
    static func minutes(_ seconds: Int) -> String {
        seconds < 90 ? "\(seconds) seconds" : "\((seconds + 59) / 60) minutes"
    }

    /// Runs a store call, turning store errors into API errors (logged without values).
    func bankCall<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as BankError {
            throw apiError(error)
        }
    }

    /// The API answer for a store error, logging the service's own failures (without values).
    func apiError(_ error: BankError) -> APIError {
        if error.code.isStoreFault {
            logger.error("store failure", metadata: ["code": "\(error.code)", "cause": "\(error.underlying.map { String(describing: $0) } ?? "-")"])
        }
        return APIError.from(error)
    }
}
