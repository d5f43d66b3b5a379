import Foundation
import NCCBank
import PostgresNIO

/// A parsed `postgres://user:password@host:port/database?sslmode=...` URL.
///
/// `sslmode` follows libpq: `disable` (plain TCP), `prefer` (TLS when the server offers it, the default),
/// `require` (TLS or fail, certificate not checked, as libpq does), `verify-full` (TLS with the
/// certificate checked against the system trust roots and the host name). `sslrootcert=FILE` adds a CA.
public struct PostgresDatabaseURL: Sendable, CustomStringConvertible {
    /// Host name or address.
    public var host: String
    /// TCP port (5432 by default).
    public var port: Int
    /// Role to log in as.
    public var username: String
    /// Password, if any.
    public var password: String?
    /// Database name (the user name when missing, as libpq does).
    public var database: String
    /// The `sslmode` parameter.
    public var sslMode: String
    /// Extra CA certificate file (`sslrootcert`).
    public var sslRootCert: String?

    /// Whether a `--database` value names a PostgreSQL server rather than a folder.
    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses a URL; throws `BankError` `invalid_database_url` with what is wrong.
    public init(_ text: String) throws {
        guard Self.isPostgresURL(text), let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            throw BankError(.invalidDatabaseURL, "The database URL must look like postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require.")
        }
        guard let user = components.user, !user.isEmpty else {
            throw BankError(.invalidDatabaseURL, "The database URL names no user; write postgres://USER@HOST/DATABASE.")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? username : path
        var sslMode = "prefer"
        var rootCert: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode": sslMode = item.value ?? ""
            case "sslrootcert": rootCert = item.value
            default:
                throw BankError(.invalidDatabaseURL, "The database URL has an unknown parameter \(item.name); nccmatch knows sslmode and sslrootcert.")
            }
        }
        guard ["disable", "prefer", "require", "verify-ca", "verify-full"].contains(sslMode) else {
            throw BankError(.invalidDatabaseURL, "sslmode must be disable, prefer, require, verify-ca or verify-full; it is \(sslMode).")
        }
        self.sslMode = sslMode
        self.sslRootCert = rootCert
    }

    /// The URL with the password hidden, for logs and messages.
    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?sslmode=\(sslMode)"
    }

    /// postgres-nio's client configuration for this URL.
    func clientConfiguration() throws -> PostgresClient.Configuration {
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        if sslMode == "require" || sslMode == "prefer" {
            // libpq's `require` encrypts without checking the certificate; `verify-full` checks it.
            tlsConfiguration.certificateVerification = .none
        } else if sslMode == "verify-ca" {
            tlsConfiguration.certificateVerification = .noHostnameVerification
        }
        if let sslRootCert {
            do {
                tlsConfiguration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(sslRootCert))
            } catch {
                throw BankError(.invalidDatabaseURL, "The CA certificate \(sslRootCert) (sslrootcert) cannot be read.", underlying: error)
            }
        }
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(tlsConfiguration)
        default: tls = .require(tlsConfiguration)
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(3)
        configuration.options.maximumConnections = 16
        configuration.options.minimumConnections = 0
        return configuration
    }
}
