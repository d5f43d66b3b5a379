import Foundation

/// Why an exchange's settings could not be turned into an importer or a feedback sender. Names the setting or
/// the environment variable at fault, never a value read from the environment.
public struct ExchangeConnectionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable codes (`exchange fetch` output, the fetch loop's log lines).
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// The settings name no environment variable for a credential this kind of exchange needs.
        case credentialNotConfigured = "exchange_credential_not_configured"
        /// The named environment variable is not set, or is empty, in this process.
        case credentialMissing = "exchange_credential_missing"
        /// The endpoint is not a usable URL (APIs) or absolute path (files).
        case endpointInvalid = "exchange_endpoint_invalid"
    }

    /// The stable code.
    public var code: Code
    /// The environment variable at fault (`credentialMissing`), or nil.
    public var variable: String?
    /// What is wrong and how to fix it, naming the variable or credential, never a secret.
    public var message: String

    /// Makes an error.
    public init(_ code: Code, variable: String? = nil, _ message: String) {
        self.code = code
        self.variable = variable
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

extension ExchangeSettings.Kind {
    /// The credentials this kind of exchange reads, by the names `credentialEnvironment` uses: StopNCII
    /// `fetch_key`, `subscription_key`, `feedback_key`; NCMEC `user`, `password`; files none.
    public var credentialNames: [String] {
        switch self {
        case .stopNCII: ["fetch_key", "subscription_key", "feedback_key"]
        case .ncmec: ["user", "password"]
        case .localFile, .signalCSV: []
        }
    }

    /// The environment variables `nccmatch exchange add` names when the operator gives none
    /// (`STOPNCII_FETCH_KEY`, ..., `NCMEC_USER`, `NCMEC_PASSWORD`).
    public var defaultCredentialEnvironment: [String: String] {
        switch self {
        case .stopNCII:
            ["fetch_key": "STOPNCII_FETCH_KEY", "subscription_key": "STOPNCII_SUBSCRIPTION_KEY", "feedback_key": "STOPNCII_FEEDBACK_KEY"]
        case .ncmec:
            ["user": "NCMEC_USER", "password": "NCMEC_PASSWORD"]
        case .localFile, .signalCSV:
            [:]
        }
    }

    /// Whether the kind reads a local file (its endpoint is a path) rather than an HTTP API.
    public var readsFile: Bool { self == .localFile || self == .signalCSV }
}

extension ExchangeSettings {
    /// Whether `name` can be an environment variable's name here: 1 to 128 of `A-Z`, `a-z`, `0-9`, `_`, not
    /// starting with a digit.
    public static func isValidVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first), name.unicodeScalars.count <= 128 else { return false }
        return name.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// Checks the endpoint for this kind: an absolute path for files (required); for APIs, nil or an `https` URL
    /// (`http` only on loopback, for a local proxy or a test), without user, password, query or fragment.
    /// NCMEC has no default: its environment must be given.
    /// - Throws: `ExchangeConnectionError.endpointInvalid`.
    public func validateEndpoint() throws(ExchangeConnectionError) {
        if kind.readsFile {
            guard let endpoint, endpoint.hasPrefix("/") else {
                throw ExchangeConnectionError(.endpointInvalid, "The exchange \(name) reads a file: give its absolute path with --endpoint /path/to/file.")
            }
            return
        }
        guard let endpoint else {
            if kind == .ncmec {
                throw ExchangeConnectionError(.endpointInvalid, "The exchange \(name) needs NCMEC's environment address with --endpoint (for industry members https://report.cybertip.org/hashsharing).")
            }
            return
        }
        _ = try Self.apiURL(endpoint, exchange: name)
    }

    /// The API's base URL: the endpoint, else the kind's default (StopNCII's public API).
    func baseURL() throws(ExchangeConnectionError) -> URL {
        guard let endpoint else { return StopNCIIImporter.defaultBaseURL }
        return try Self.apiURL(endpoint, exchange: name)
    }

    private static func apiURL(_ text: String, exchange: String) throws(ExchangeConnectionError) -> URL {
        let invalid = ExchangeConnectionError(.endpointInvalid, "The endpoint of \(exchange) must be an https:// address (http:// only on 127.0.0.1, ::1 or localhost), without a user, password, query or fragment.")
        guard text.utf8.count <= 2_048, let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty, components.user == nil, components.password == nil,
              components.query == nil, components.fragment == nil, let url = components.url else { throw invalid }
        let loopback = ["127.0.0.1", "::1", "[::1]", "localhost"].contains(host.lowercased())
        guard scheme == "https" || (scheme == "http" && loopback) else { throw invalid }
        return url
    }

    /// The value of credential `name` from `environment`.
    /// - Throws: `credentialNotConfigured` when the settings name no variable for it, `credentialMissing` (naming
    ///   the variable) when the variable is unset or empty.
    public func credential(_ name: String, in environment: [String: String]) throws(ExchangeConnectionError) -> String {
        guard let variable = credentialEnvironment[name] else {
            throw ExchangeConnectionError(.credentialNotConfigured, "The exchange \(self.name) names no environment variable for its \(name); remove it and add it again with --credential \(name)=VARIABLE.")
        }
        guard let value = environment[variable], !value.isEmpty else {
            throw ExchangeConnectionError(.credentialMissing, variable: variable, "The environment variable \(variable) (the \(name) of the exchange \(self.name)) is not set; set it where nccmatch runs.")
        }
        return value
    }

    /// The importer that reads this exchange's feed, with credentials read from `environment` (the process's
    /// environment in `serve` and `nccmatch exchange fetch`).
    /// - Throws: `ExchangeConnectionError` for a missing credential or a bad endpoint.
    /// - Warning: the importer holds the credentials; never log it.
    public func makeImporter(environment: [String: String]) throws(ExchangeConnectionError) -> any ExchangeImporter {
        try validateEndpoint()
        switch kind {
        case .stopNCII:
            return StopNCIIImporter(baseURL: try baseURL(), fetchFunctionKey: try credential("fetch_key", in: environment),
                                    subscriptionKey: try credential("subscription_key", in: environment))
        case .ncmec:
            return NCMECImporter(baseURL: try baseURL(), username: try credential("user", in: environment),
                                 password: try credential("password", in: environment))
        case .localFile:
            return SignalFileImporter(path: endpoint ?? "", format: .localFile)
        case .signalCSV:
            return SignalFileImporter(path: endpoint ?? "", format: .csv)
        }
    }

    /// The sender of feedback to this exchange, or nil for files (nothing is sent back to a file).
    /// - Throws: `ExchangeConnectionError` for a missing credential (StopNCII needs `feedback_key` and
    ///   `subscription_key`; NCMEC `user` and `password`) or a bad endpoint.
    /// - Warning: the sender holds the credentials; never log it.
    public func makeFeedbackSender(environment: [String: String]) throws(ExchangeConnectionError) -> (any FeedbackSender)? {
        try validateEndpoint()
        switch kind {
        case .stopNCII:
            return StopNCIIFeedbackSender(baseURL: try baseURL(), feedbackFunctionKey: try credential("feedback_key", in: environment),
                                          subscriptionKey: try credential("subscription_key", in: environment))
        case .ncmec:
            return NCMECFeedbackSender(baseURL: try baseURL(), username: try credential("user", in: environment),
                                       password: try credential("password", in: environment))
        case .localFile, .signalCSV:
            return nil
        }
    }
}
