import ArgumentParser
import NCCServer

/// The options of `nccmatch serve` that bound what strangers and platforms can cost or learn
/// (docs/service.md, "Limits"). Every default is `ServerConfiguration`'s own, fit for one bank on one machine.
struct ServeLimitOptions: ParsableArguments {
    /// The server's defaults, so that each is written once.
    private static let defaults = ServerConfiguration(dataDirectory: "")

    @Option(help: "Seconds a connection may take to send a whole request, or stay idle between requests.")
    var readTimeout: Double = defaults.readTimeoutSeconds

    @Option(help: "Most open connections; further ones wait until one closes.")
    var maxConnections: Int = defaults.maxConnections

    @Option(help: "Most open connections from one client address (IPv4 address or IPv6 /64).")
    var maxConnectionsPerClient: Int = defaults.maxConnectionsPerClient

    @Option(help: ArgumentHelp("A reverse proxy's address whose X-Forwarded-For names the real client (repeatable).", valueName: "address"))
    var trustedProxy: [String] = []

    @Option(help: "Cases one client address may open per hour, sustained.")
    var casesPerHour: Double = defaults.casesPerClientPerHour

    @Option(help: "Cases one client address may open at once before --cases-per-hour applies.")
    var caseBurst: Int = defaults.caseBurstPerClient

    @Option(help: "Wrong case secrets or unknown case ids one client address may send in a burst; then one per 6 s.")
    var secretFailures: Int = defaults.secretFailuresAllowed

    @Option(help: "Case secrets hashed at once (PBKDF2); the other cores stay free for matching.")
    var secretWorkers: Int = defaults.secretWorkers

    @Option(help: "Largest number of hashes the bank takes before refusing new cases.")
    var maxBankHashes: Int = defaults.maxBankHashes

    @Option(help: "Distinct bank pictures each platform may match per day.")
    var matchBudget: Int = defaults.matchBudgetPerDay

    @Option(help: "Distinct near-boundary query values per bank picture and platform per day before those matches are withheld as probing.")
    var probeLimit: Int = defaults.probeBandLimit

    @Option(help: ArgumentHelp("A platform (by name) trusted with exact distances, unpaired pHash/dHash matches and no withheld matches (repeatable).", valueName: "name"))
    var trustedPlatform: [String] = []

    @Option(help: ArgumentHelp("Seconds over which a platform's hit rate is compared with its usual one (tests only).", visibility: .hidden))
    var hitRateWindow: Double = defaults.hitRateWindowSeconds

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
