/// Settings of `nccmatch serve`.
public struct ServerConfiguration: Sendable {
    /// Folder holding `bank.sqlite` (created on first start).
    public var dataDirectory: String
    /// `postgres://...` URL of a shared PostgreSQL bank; nil for the SQLite file in `dataDirectory`.
    public var databaseURL: String? = nil
    /// Address to listen on; `127.0.0.1` by default (put a TLS proxy in front to serve beyond the machine).
    public var host: String
    /// TCP port; 0 picks a free one (printed at start).
    public var port: Int
    /// Largest request body in bytes (4 MiB: 10,000 items fit easily).
    public var maxBodyBytes: Int
    /// Requests per second each API key may make, sustained; bursts of twice that.
    public var requestsPerSecond: Double
    /// Hashes per second each API key may submit to /v1/match, sustained; bursts of twice that.
    public var hashesPerSecond: Double
    /// Wrong case secrets allowed in a burst per case before answers slow to one try per `secretRetrySeconds`.
    public var secretFailuresAllowed: Int
    /// Seconds between allowed tries once a case's wrong-secret allowance is used up.
    public var secretRetrySeconds: Double
    /// PBKDF2 iterations for new case secrets (at least 210,000).
    public var secretRounds: Int

    /// Makes a configuration; every limit has a default fit for one bank on one machine.
    public init(dataDirectory: String, host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 4 << 20,
                requestsPerSecond: Double = 50, hashesPerSecond: Double = 100_000,
                secretFailuresAllowed: Int = 5, secretRetrySeconds: Double = 60, secretRounds: Int = 600_000) {
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
