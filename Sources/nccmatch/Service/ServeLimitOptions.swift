import ArgumentParser
import NCCServer

/// The options of `nccmatch serve` that bound what strangers and platforms can cost or learn
/// (docs/service.md, "Limits"). Every default is fit for one bank on one machine.
struct ServeLimitOptions: ParsableArguments {
    @Option(help: "Seconds a connection may take to send a whole request, or stay idle between requests.")
    var readTimeout: Double = 30

    @Option(help: "Most open connections; further ones wait until one closes.")
    var maxConnections: Int = 1_024

    @Option(help: "Most open connections from one client address (IPv4 address or IPv6 /64).")
    var maxConnectionsPerClient: Int = 64

    @Option(help: ArgumentHelp("A reverse proxy's address whose X-Forwarded-For names the real client (repeatable).", valueName: "address"))
    var trustedProxy: [String] = []

    @Option(help: "Cases one client address may open per hour, sustained.")
    var casesPerHour: Double = 20

    @Option(help: "Cases one client address may open at once before --cases-per-hour applies.")
    var caseBurst: Int = 5

    @Option(help: "Wrong case secrets or unknown case ids one client address may send in a burst; then one per 6 s.")
    var secretFailures: Int = 10

    @Option(help: "Case secrets hashed at once (PBKDF2); the other cores stay free for matching.")
    var secretWorkers: Int = 1

    @Option(help: "Largest number of hashes the bank takes before refusing new cases.")
    var maxBankHashes: Int = 50_000_000

    @Option(help: "Distinct bank pictures each platform may match per day.")
    var matchBudget: Int = 10_000

    @Option(help: "Distinct near-boundary query values per bank picture and platform per day before those matches are withheld as probing.")
    var probeLimit: Int = 64

    @Option(help: ArgumentHelp("A platform (by name) trusted with exact distances, unpaired pHash/dHash matches and no withheld matches (repeatable).", valueName: "name"))
    var trustedPlatform: [String] = []

    @Option(help: ArgumentHelp("Seconds over which a platform's hit rate is compared with its usual one (tests only).", visibility: .hidden))
    var hitRateWindow: Double = 3_600

    func validate() throws {
        if !(readTimeout > 0 && readTimeout <= 3_600) { throw ValidationError("--read-timeout is seconds, from above 0 to 3600.") }
        if maxConnections < 1 || maxConnectionsPerClient < 1 { throw ValidationError("--max-connections and --max-connections-per-client must be at least 1.") }
        if casesPerHour <= 0 || caseBurst < 1 || secretFailures < 1 || secretWorkers < 1 { throw ValidationError("--cases-per-hour, --secret-failures and --secret-workers must be positive.") }
        if maxBankHashes < 1 || matchBudget < 1 || probeLimit < 1 { throw ValidationError("--max-bank-hashes, --match-budget and --probe-limit must be positive.") }
    }

    /// Copies the options into a server configuration.
    func apply(to configuration: inout ServerConfiguration) {
        configuration.readTimeoutSeconds = readTimeout
        configuration.maxConnections = maxConnections
        configuration.maxConnectionsPerClient = maxConnectionsPerClient
        configuration.trustedProxies = Set(trustedProxy)
        configuration.casesPerClientPerHour = casesPerHour
        configuration.caseBurstPerClient = caseBurst
        configuration.secretFailuresAllowed = secretFailures
        configuration.secretWorkers = secretWorkers
        configuration.maxBankHashes = maxBankHashes
        configuration.matchBudgetPerDay = matchBudget
        configuration.probeBandLimit = probeLimit
        configuration.trustedPlatforms = Set(trustedPlatform)
        configuration.hitRateWindowSeconds = hitRateWindow
    }
}
