import Foundation
import NCCBank
import NCCBankPostgres
import Testing

/// What every driver shares, written once in NCCBank: secrets, match references, the token bucket, the
/// error codes; and the PostgreSQL URL and connection failures, which need no server.
@Suite struct BankStoreTests {
    @Test func secretsAreStoredSlowlyHashedAndVerified() throws {
        let secret = Secrets.newCaseSecret()
        #expect(secret.count == 43)
        let stored = try Secrets.hashCaseSecret(secret, rounds: Secrets.minimumRounds)
        #expect(stored.parameters == "pbkdf2-sha256$210000" && stored.salt.count == 16 && stored.hash.count == 32)
        #expect(Secrets.verifyCaseSecret(secret, against: stored))
        #expect(!Secrets.verifyCaseSecret(secret + "x", against: stored))
        let key = APIKey.generate()
        #expect(APIKey(parsing: key.text)?.matches(storedHash: key.storedHash) == true)
        #expect(APIKey(parsing: "ncc_short") == nil)
    }

    /// One random secret in 32 would start with `-` and read as an option on a command line.
    @Test func caseSecretsNeverStartWithADashOrUnderscore() {
        let firsts = Set((0..<2_000).map { _ in Secrets.newCaseSecret().first! })
        #expect(!firsts.contains("-") && !firsts.contains("_"))
        #expect(firsts.count > 40, "the first character should still vary over the alphabet")
    }

    @Test func storedSecretParametersAreReadBackOrRefused() throws {
        let read = try StoredSecret(parameters: "pbkdf2-sha256$600000", salt: [1], hash: [2])
        #expect(read == StoredSecret(scheme: "pbkdf2-sha256", rounds: 600_000, salt: [1], hash: [2]))
        for damaged in ["pbkdf2-sha256", "pbkdf2-sha256$", "pbkdf2-sha256$many", "a$1$2"] {
            let error = #expect(throws: BankError.self) { try StoredSecret(parameters: damaged, salt: [], hash: []) }
            #expect(error?.code == .storeCorrupt)
        }
    }

    @Test func caseIDsAndThrottleDigestsAreLowercaseHex() {
        let id = Secrets.newCaseID()
        #expect(Secrets.isWellFormedCaseID(id))
        #expect(!Secrets.isWellFormedCaseID(id.uppercased()))
        let digest = Secrets.throttleDigest("203.0.113.7")
        #expect(digest.count == 32 && digest.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(digest != Secrets.throttleDigest("203.0.113.8"))
    }

    @Test func matchReferenceKeysAreCheckedAndDeterministic() throws {
        let bytes = MatchReferenceKey.newKeyBytes()
        let key = try MatchReferenceKey(bytes: bytes)
        #expect(key.reference(platformID: 1, imageID: 2) == (try MatchReferenceKey(bytes: bytes)).reference(platformID: 1, imageID: 2))
        #expect(key.reference(platformID: 1, imageID: 2) != key.reference(platformID: 2, imageID: 1))
        #expect(key.reference(platformID: 1, imageID: 2) != (try MatchReferenceKey(bytes: MatchReferenceKey.newKeyBytes())).reference(platformID: 1, imageID: 2))
        let short = #expect(throws: BankError.self) { try MatchReferenceKey(bytes: Array(bytes.prefix(31))) }
        #expect(short?.code == .storeCorrupt)
        // HMAC-SHA256 of "7:9" under 32 zero bytes, its first 16 bytes (checked with Python's hmac module).
        let zero = try MatchReferenceKey(bytes: Array(repeating: 0, count: 32))
        #expect(zero.reference(platformID: 7, imageID: 9) == "m_" + Self.hmacZeroKey79)
    }

    /// `hmac.new(bytes(32), b"7:9", "sha256").hexdigest()[:32]`.
    static let hmacZeroKey79 = "f989ee5578cbee4a60dc10cbe60ddc8b"

    @Test func tokenBucketArithmetic() {
        let bucket = TokenBucket(capacity: 5, ratePerSecond: 0.5)
        #expect(bucket.refilled(0, after: 4) == 2)
        #expect(bucket.refilled(4, after: 100) == 5)
        #expect(bucket.refilled(3, after: -10) == 3)
        #expect(bucket.wait(having: 1) == nil)
        #expect(bucket.wait(having: 0.9) == 1)
        #expect(bucket.wait(having: 0) == 2)
        #expect(bucket.wait(needing: 50, having: 4) == 2)
        #expect(bucket.secondsToFull == 10)
    }

    @Test func errorCodesHaveStableDistinctTexts() {
        let texts = BankError.Code.allCases.map(\.rawValue)
        #expect(Set(texts).count == texts.count)
        #expect(texts.allSatisfy { $0.allSatisfy { $0 == "_" || ("a"..."z").contains($0) } })
        #expect(BankError.caseNotFound.description == "case_not_found: There is no case with this id.")
        #expect(BankError.Code.allCases.filter(\.isDatabaseAway) == [.databaseUnavailable, .databaseCommitUnknown])
        #expect(!BankError.Code.caseWithdrawn.isStoreFault && BankError.Code.storeLocked.isStoreFault)
    }

    @Test func databaseURLsAreParsed() throws {
        let url = try PostgresDatabaseURL("postgres://bank:s%40cret@db.example:6543/ncc?sslmode=require")
        #expect(url.host == "db.example" && url.port == 6543 && url.username == "bank" && url.password == "s@cret")
        #expect(url.database == "ncc" && url.sslMode == "require")
        #expect(!url.description.contains("cret"))
        #expect(try PostgresDatabaseURL("postgresql://bank@localhost").database == "bank")
        for bad in ["mysql://x@y/z", "postgres://x@y/z?sslmode=sometimes", "postgres://y/z"] {
            let error = #expect(throws: BankError.self) { try PostgresDatabaseURL(bad) }
            #expect(error?.code == .invalidDatabaseURL)
        }
    }

    @Test func unreachableDatabaseFailsClearly() async throws {
        let error = await #expect(throws: BankError.self) {
            _ = try await PostgresBankStore(url: "postgres://nobody@127.0.0.1:1/none?sslmode=disable", timeout: 2)
        }
        #expect(error?.code == .databaseUnavailable)
    }
}
