import Crypto
import _CryptoExtras
import Foundation
import NCCHashCore

/// A secret's stored form: a slow, salted PBKDF2-HMAC-SHA256 hash and its parameters.
///
/// Case secrets are 256 random bits, so even a fast hash would resist guessing; they are still stored
/// slowly hashed (the bank promises it) so a stolen database gives nothing quickly. The parameters are
/// stored with each hash so they can be raised later without breaking old cases.
public struct StoredSecret: Sendable, Hashable {
    /// The scheme name; only `pbkdf2-sha256` exists.
    public var scheme: String
    /// PBKDF2 iterations.
    public var rounds: Int
    /// 16 random bytes.
    public var salt: [UInt8]
    /// 32 bytes of PBKDF2 output.
    public var hash: [UInt8]

    /// Makes a stored secret from its parts.
    public init(scheme: String, rounds: Int, salt: [UInt8], hash: [UInt8]) {
        self.scheme = scheme
        self.rounds = rounds
        self.salt = salt
        self.hash = hash
    }

    /// Parameters as one text column: `pbkdf2-sha256$<rounds>`.
    public var parameters: String { "\(scheme)$\(rounds)" }

    /// Reads a stored secret from its columns (`parameters` as `parameters` writes them).
    ///
    /// Throws `BankError` `store_corrupt` when the parameters cannot be read.
    public init(parameters: String, salt: [UInt8], hash: [UInt8]) throws {
        let parts = parameters.split(separator: "$")
        guard parts.count == 2, let rounds = Int(parts[1]) else { throw BankError.secretParametersUnknown }
        self.init(scheme: String(parts[0]), rounds: rounds, salt: salt, hash: hash)
    }
}

/// Making and checking secrets: case secrets (slow hash) and platform API keys (fast hash of a random key).
public enum Secrets {
    /// PBKDF2 iterations for case secrets: OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
    public static let defaultRounds = 600_000
    /// Fewest iterations for a production bank: swift-crypto's own floor for its checked API.
    public static let minimumRounds = 210_000
    /// Fewest iterations accepted at all: only for test servers, where a debug build's unoptimised
    /// PBKDF2 would otherwise take over a second per case.
    public static let testingMinimumRounds = 1_000

    /// `count` bytes from the system's secure random generator.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Base64url without padding.
    public static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A new case id: `c_` and 128 random bits in hex. Unguessable, so ids cannot be enumerated.
    public static func newCaseID() -> String { "c_" + HexCodec.encode(bytes: randomBytes(16)) }

    /// Whether `id` has the shape `newCaseID()` gives (`c_` and 32 lowercase hex digits). Anything else is
    /// never looked up, so a stranger's 80 KB path goes nowhere near the database.
    public static func isWellFormedCaseID(_ id: String) -> Bool {
        let utf8 = Array(id.utf8)
        guard utf8.count == 34, utf8[0] == UInt8(ascii: "c"), utf8[1] == UInt8(ascii: "_") else { return false }
        return utf8[2...].allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// A fixed-size, one-way name for a throttle key (a client address): 32 hex digits of its SHA-256, so
    /// a shared database stores neither the address nor more than 32 bytes per key.
    public static func throttleDigest(_ key: String) -> String {
        HexCodec.encode(bytes: SHA256.hash(data: Array(key.utf8)).prefix(16))
    }

    /// A new case secret: 256 random bits, base64url (43 characters). Shown once to the person.
    ///
    /// It never begins with `-` or `_`: a secret starting with a dash reads as an option to a command line
    /// (`--secret -x...` fails), and one in 32 random secrets would. Redrawing costs about 0.2 bits.
    public static func newCaseSecret() -> String {
        while true {
            let secret = base64url(randomBytes(32))
            if let first = secret.utf8.first, first != UInt8(ascii: "-"), first != UInt8(ascii: "_") { return secret }
        }
    }

    /// The slow, salted hash of a case secret.
    ///
    /// - Parameter rounds: PBKDF2 iterations; costs about 0.1-0.3 s at the default in a release build.
    /// - Warning: below `minimumRounds` a stolen database could be searched faster; only tests go lower.
    public static func hashCaseSecret(_ secret: String, rounds: Int = defaultRounds) throws -> StoredSecret {
        let salt = randomBytes(16)
        let hash = try pbkdf2(secret, salt: salt, rounds: rounds)
        return StoredSecret(scheme: "pbkdf2-sha256", rounds: rounds, salt: salt, hash: hash)
    }

    /// Whether `secret` is the one `stored` was made from (constant-time comparison).
    public static func verifyCaseSecret(_ secret: String, against stored: StoredSecret) -> Bool {
        guard stored.scheme == "pbkdf2-sha256", secret.utf8.count <= 256,
              let hash = try? pbkdf2(secret, salt: stored.salt, rounds: stored.rounds) else { return false }
        return constantTimeEqual(hash, stored.hash)
    }

    static func pbkdf2(_ secret: String, salt: [UInt8], rounds: Int) throws -> [UInt8] {
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(secret.utf8), salt: salt, using: .sha256, outputByteCount: 32,
            unsafeUncheckedRounds: max(rounds, testingMinimumRounds))
        return key.withUnsafeBytes { Array($0) }
    }

    /// Equality of two byte strings in time independent of where they differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}

/// A platform API key: `ncc_<prefix>_<secret>`, the prefix (8 hex characters) to find the platform,
/// the secret 256 random bits in base64url.
///
/// Stored as the SHA-256 of the whole key, not a slow hash: the key is 256 random bits, so a fast hash
/// cannot be reversed by guessing, and a fast check keeps every match request cheap. The prefix is a
/// lookup handle, not part of the secret's strength.
public struct APIKey: Sendable, Hashable {
    /// The whole key, shown once to the operator.
    public let text: String
    /// The lookup prefix.
    public let prefix: String

    /// A fresh random key.
    public static func generate() -> APIKey {
        let prefix = HexCodec.encode(bytes: Secrets.randomBytes(4))
        return APIKey(text: "ncc_\(prefix)_\(Secrets.base64url(Secrets.randomBytes(32)))", prefix: prefix)
    }

    /// Reads a key given by a client; nil when it does not have the key's shape.
    public init?(parsing text: String) {
        let parts = text.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard text.utf8.count <= 128, parts.count == 3, parts[0] == "ncc", parts[1].utf8.count == 8, parts[2].utf8.count >= 32 else {
            return nil
        }
        self.init(text: text, prefix: String(parts[1]))
    }

    private init(text: String, prefix: String) {
        self.text = text
        self.prefix = prefix
    }

    /// SHA-256 of the whole key: what the store keeps.
    public var storedHash: [UInt8] { Array(SHA256.hash(data: Array(text.utf8))) }

    /// Whether this key is the one whose hash is `stored` (constant-time comparison).
    public func matches(storedHash stored: [UInt8]) -> Bool { Secrets.constantTimeEqual(storedHash, stored) }
}
