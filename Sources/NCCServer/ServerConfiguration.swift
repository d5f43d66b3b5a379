import NCCWire

/// Settings of `nccmatch serve`. Every limit has a default fit for one bank on one machine; each bounds a
/// cost that a stranger can cause (docs/service.md, "Limits").
public struct ServerConfiguration: Sendable {
    /// Folder holding `bank.sqlite` (created on first start), when the bank is on SQLite.
    public var dataDirectory: String
    /// Address to listen on; `127.0.0.1` by default (put a TLS proxy in front to serve beyond the machine).
    public var host: String
    /// TCP port; 0 picks a free one (printed at start).
    public var port: Int
    /// Largest request body in bytes (`WireLimits.defaultMaxBodyBytes`, 4 MiB: 10,000 items fit easily).
    public var maxBodyBytes: Int
    /// Requests per second each API key may make, sustained; bursts of twice that.
    public var requestsPerSecond: Double
    /// Hashes per second each API key may submit to /v1/match, sustained; bursts of twice that.
    public var hashesPerSecond: Double
    /// Wrong case secrets (or unknown case ids) allowed in a burst per client address before answers slow to
    /// one try per `secretRetrySeconds`. Counted per client, never per case, so a stranger cannot lock a case's
    /// owner out (the case id is not a secret; the 256-bit secret is).
    public var secretFailuresAllowed: Int
    /// Seconds between allowed tries once a client's wrong-secret allowance is used up.
    public var secretRetrySeconds: Double
    /// PBKDF2 iterations for new case secrets (at least 210,000).
    public var secretRounds: Int

    /// Seconds a connection may take to send a whole request (head and body), and may stay idle between
    /// requests, before it is closed.
    public var readTimeoutSeconds: Double = 30
    /// Most open connections; further ones wait in the listen backlog, costing no CPU.
    public var maxConnections: Int = 1_024
    /// Most open connections from one client address (IPv4 address or IPv6 /64).
    public var maxConnectionsPerClient: Int = 64
    /// Peers (e.g. `127.0.0.1` for a local reverse proxy) whose `X-Forwarded-For` names the real client.
    public var trustedProxies: Set<String> = []
    /// Cases one client address may open in a burst; then one per `3600 / casesPerClientPerHour` seconds.
    public var caseBurstPerClient: Int = 5
    /// Cases one client address may open per hour, sustained.
    public var casesPerClientPerHour: Double = 20
    /// PBKDF2 runs (case opening, secret checks) at once; the other cores always stay free for matching.
    public var secretWorkers: Int = 1
    /// PBKDF2 runs waiting for a worker before further ones are refused with 503 `busy`.
    public var secretQueue: Int = 32
    /// Largest number of hashes the bank takes; further cases are refused with 507 `bank_full`.
    public var maxBankHashes: Int = 50_000_000
    /// Distinct bank pictures a platform may match per day (an operator's grant lifts it: `trustedPlatforms`).
    public var matchBudgetPerDay: Int = 10_000
    /// Distinct query values matching one bank picture in its outer band per platform and day before that
    /// picture's outer-band matches are withheld from the platform (probing; see `ProbeGuard`).
    public var probeBandLimit: Int = 64
    /// Seconds over which a platform's hit rate is compared with its usual one (an hour; shorter in tests).
    public var hitRateWindowSeconds: Double = 3_600
    /// Platforms (by name) the operator trusts: they are told exact distances, their pHash and dHash match
    /// without a nearby PDQ, and no match is withheld from them (budget and probing are still audited).
    public var trustedPlatforms: Set<String> = []
    /// The bank's name and help links on the person's page (`--page-settings FILE`).
    public var pageSettings: PageSettings = .defaults
    /// Whether `serve` runs the exchange fetch and feedback delivery loops (`--no-exchange-fetch` turns them off;
    /// on a PostgreSQL bank shared by replicas, only one replica should run them).
    public var exchangeLoops: Bool = true

    /// Makes a configuration; every limit has a default fit for one bank on one machine.
    public init(dataDirectory: String, host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = WireLimits.defaultMaxBodyBytes,
                requestsPerSecond: Double = 50, hashesPerSecond: Double = 100_000,
                secretFailuresAllowed: Int = 10, secretRetrySeconds: Double = 6, secretRounds: Int = 600_000) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.requestsPerSecond = requestsPerSecond
        self.hashesPerSecond = hashesPerSecond
        self.secretFailuresAllowed = secretFailuresAllowed
        self.secretRetrySeconds = secretRetrySeconds
        self.secretRounds = secretRounds
    }
}
