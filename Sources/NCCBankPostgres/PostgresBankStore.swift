import Crypto
import Foundation
import Logging
import NCCBank
import NCCHashing
import PostgresNIO

/// A `BankStore` on a PostgreSQL server, for several service replicas sharing one bank.
///
/// Connections come from postgres-nio's `PostgresClient` pool (up to 16 per process), with TLS when the
/// URL asks for it (`sslmode=require` or `verify-full`). Every method is one transaction: a failure rolls
/// it back, and a method returns only after `COMMIT` succeeded, so an acknowledged write is durable as
/// PostgreSQL makes it (`synchronous_commit = on`, its default, is set for every transaction here).
///
/// Every change to the matchable hashes also writes a row of `changes` with the next sequence number and
/// notifies the `nccmatch_changes` channel, which replicas follow (`changes(after:)`).
///
/// When the server cannot be reached, calls fail within `timeout` seconds with `database_unavailable`;
/// the pool reconnects by itself when the server returns.
public final class PostgresBankStore: BankStore {
    /// The LISTEN/NOTIFY channel announcing new changes (the payload is the sequence number).
    public static let changeChannel = "nccmatch_changes"

    let client: PostgresClient
    let runner: Task<Void, Never>
    let logger: Logger
    /// The server, with the password hidden.
    public let url: PostgresDatabaseURL
    /// Seconds a call may wait for the database before it fails with `database_unavailable`.
    public let timeout: Double
    /// The bank's match-reference key (loaded at start).
    private let matchRefKey = LockedValue<[UInt8]>([])

    /// Connects to the server named by `url` and brings its schema up to date (`migrate`).
    ///
    /// Throws `invalid_database_url`, `store_too_new`, or `database_unavailable` when the server cannot be
    /// reached or refuses the login.
    public init(url text: String, timeout: Double = 5, logger: Logger = Logger(label: "nccmatch.postgres")) async throws {
        url = try PostgresDatabaseURL(text)
        self.timeout = timeout
        self.logger = logger
        client = PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: Self.quiet(logger))
        let client = self.client
        runner = Task { await client.run() }
        do {
            _ = try await migrate()
            let key = try await transaction { c, logger -> [UInt8] in
                let fresh = Data((0..<32).map { _ in UInt8.random(in: 0...255) })
                try await c.query("INSERT INTO bank_keys (name, value) VALUES ('match_ref', \(fresh)) ON CONFLICT (name) DO NOTHING", logger: logger)
                var value = Data()
                for try await stored in try await c.query("SELECT value FROM bank_keys WHERE name = 'match_ref'", logger: logger).decode(Data.self) {
                    value = stored
                }
                return Array(value)
            }
            guard key.count == 32 else { throw BankError(code: "store_corrupt", message: "The bank's match-reference key is missing or damaged.") }
            matchRefKey.set(key)
        } catch {
            runner.cancel()
            throw error
        }
    }

    /// The match reference of a bank picture for a platform: `m_` and 128 bits of HMAC-SHA256 under the bank's
    /// key, the same on every replica, computable while the database is away. Reveals nothing about the
    /// picture or the case; differs between platforms.
    public func matchReference(platformID: Int64, imageID: Int64) -> String {
        let key = SymmetricKey(data: matchRefKey.get())
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(platformID):\(imageID)".utf8), using: key)
        return "m_" + Array(mac).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    deinit { runner.cancel() }

    /// postgres-nio logs connection details at debug level; keep its background logger at warning or above.
    static func quiet(_ logger: Logger) -> Logger {
        var quiet = logger
        if quiet.logLevel < .warning { quiet.logLevel = .warning }
        return quiet
    }

    /// Applies missing migrations; returns the versions applied now and the schema version.
    @discardableResult
    public func migrate() async throws -> (applied: [Int], current: Int) {
        let client = self.client, logger = self.logger
        return try await call(writing: true, deadline: .connection) { gate in
            try await Self.migrate(client: client, logger: logger, begin: { try gate.begin(nil) })
        }
    }

    /// Whether this store's connections to the server are encrypted (TLS), as the server sees them.
    public func connectionIsEncrypted() async throws -> Bool {
        try await transaction(writing: false) { c, logger in
            var encrypted = false
            for try await value in try await c.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: logger).decode(Bool.self) {
                encrypted = value
            }
            return encrypted
        }
    }

    /// Stops the connection pool.
    public func close() {
        runner.cancel()
    }

    // MARK: - Plumbing

    /// How a call's deadline counts.
    enum Deadline: Sendable, Equatable {
        /// The whole call, from asking for a connection to the answer of its `COMMIT`, within the timeout: the
        /// calls that answer requests. Past it, a transaction that has not sent `COMMIT` is abandoned (its
        /// connection closed, so the server rolls it back) and the call fails with `database_unavailable`; one
        /// whose `COMMIT` is on its way gets `commitGrace` more seconds, then fails with
        /// `database_commit_unknown` (it may or may not have been committed).
        case whole
        /// Only getting a connection counts; once it holds one the call runs to its end (loading the index,
        /// migrations, exports, imports: long by nature, and not answering anyone who is waiting).
        case connection
    }

    /// Seconds a `COMMIT` already sent may still take past the deadline before its outcome is declared unknown.
    static let commitGrace: Double = 1

    /// Runs `body`, mapping failures to `BankError`. `body` calls `gate.begin(connection)` once it holds a
    /// connection and `gate.commit()` just before sending `COMMIT`; both throw once the deadline has passed,
    /// so a call answered as failed never starts or commits later.
    func call<T: Sendable>(writing: Bool, deadline: Deadline = .whole, timeout: Double? = nil,
                           _ body: @Sendable @escaping (_ gate: CallGate<T>) async throws -> T) async throws -> T {
        var limit = timeout ?? self.timeout
        if deadline == .whole, let budget = DatabaseBudget.current {
            limit = min(limit, budget.remaining())
            if limit <= 0 {
                throw BankError(code: "database_unavailable", message: "The bank's database did not answer within this request's \(Int(budget.seconds)) s.")
            }
        }
        let timeout = limit
        let gate = CallGate<T>(bounded: deadline == .whole)
        do {
            return try await withCheckedThrowingContinuation { continuation in
                gate.install(continuation)
                let work = Task {
                    do {
                        gate.finish(.success(try await body(gate)))
                    } catch {
                        gate.finish(.failure(error))
                    }
                }
                gate.setTimer(Task {
                    try? await Task.sleep(for: .seconds(timeout))
                    if Task.isCancelled { return }
                    let late = BankError(code: "database_unavailable", message: "The bank's database did not answer within \(Int(timeout)) s.")
                    switch gate.expire(late) {
                    case .failed:
                        work.cancel()
                    case .committing:
                        try? await Task.sleep(for: .seconds(Self.commitGrace))
                        if Task.isCancelled { return }
                        let unknown = BankError(
                            code: "database_commit_unknown",
                            message: "The bank's database stopped answering while this change was being committed, so it may or may not have been made.")
                        if gate.expireCommit(unknown) { work.cancel() }
                    case .unaffected:
                        break
                    }
                })
            }
        } catch {
            throw Self.bankError(error, writing: writing)
        }
    }

    /// A transaction on a pooled connection (`BEGIN` … `COMMIT`, `ROLLBACK` on any failure), within the call's
    /// deadline, with error mapping.
    func transaction<T: Sendable>(writing: Bool = true, deadline: Deadline = .whole, timeout: Double? = nil,
                                  _ body: @Sendable @escaping (PostgresConnection, Logger) async throws -> T) async throws -> T {
        let client = self.client, logger = self.logger
        return try await call(writing: writing, deadline: deadline, timeout: timeout) { gate in
            try await client.withConnection { connection in
                try gate.begin(connection)
                try await connection.query("BEGIN", logger: logger)
                let value: T
                do {
                    value = try await body(connection, logger)
                    try gate.commit()
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
                do {
                    try await connection.query("COMMIT", logger: logger)
                } catch let error as PSQLError where error.serverInfo == nil {
                    // The connection broke with the COMMIT sent: the server may have committed it.
                    throw BankError(code: "database_commit_unknown",
                                    message: "The connection to the bank's database broke while this change was being committed, so it may or may not have been made.",
                                    underlying: SafeDescription(error))
                }
                return value
            }
        }
    }

    /// Maps a postgres-nio failure to a `BankError`: unreachable server → `database_unavailable`; an error the
    /// server reported → `store_failed`. Neither message holds query parameters.
    static func bankError(_ error: any Error, writing: Bool) -> BankError {
        if let error = error as? BankError { return error }
        if let error = error as? PostgresTransactionError {
            if let inner = error.closureError ?? error.beginError ?? error.commitError {
                return bankError(inner, writing: writing)
            }
        }
        let nothing = writing ? " Nothing was changed; try again shortly." : " Try again shortly."
        if let error = error as? PSQLError, let server = error.serverInfo {
            let state = server[.sqlState] ?? "?"
            let message = server[.message] ?? ""
            // Class 08 (connection), 53 (resources), 57 (shutdown, admin): the server is going away.
            if state.hasPrefix("08") || state.hasPrefix("57") || state.hasPrefix("53") {
                return BankError(code: "database_unavailable", message: "The bank's database is not available (\(state)).\(nothing)")
            }
            return BankError(code: "store_failed", message: "The bank's database refused the operation (\(state): \(message)).\(nothing)")
        }
        if error is CancellationError {
            return BankError(code: "database_unavailable", message: "The bank's database call was cancelled.\(nothing)")
        }
        return BankError(code: "database_unavailable", message: "The bank's database cannot be reached.\(nothing)", underlying: SafeDescription(error))
    }

    /// A `Sendable` text of an underlying error (postgres-nio errors hide queries and binds in descriptions).
    struct SafeDescription: Error, Sendable, CustomStringConvertible {
        let description: String
        init(_ error: any Error) { description = String(describing: type(of: error)) + ": " + String(describing: error) }
    }

    static func audit(_ c: PostgresConnection, _ logger: Logger, actor: String, action: String, caseID: String? = nil, matchRef: String? = nil, detail: String? = nil) async throws {
        try await c.query("""
            INSERT INTO audit (at, actor, action, case_id, match_ref, detail) VALUES (\(Date()), \(actor), \(action), \(caseID), \(matchRef), \(detail))
            """, logger: logger)
    }

    /// Numbers a change (gap-free, in commit order: the advisory lock is held until this transaction ends)
    /// and notifies followers at commit.
    static func recordChange(_ c: PostgresConnection, _ logger: Logger, kind: String, caseID: String, hashIDs: [Int64], imageIDs: [Int64]) async throws {
        try await c.query("SELECT pg_advisory_xact_lock(\(changeLock))", logger: logger)
        let rows = try await c.query("""
            INSERT INTO changes (seq, at, kind, case_id, hash_ids, image_ids)
            SELECT COALESCE(MAX(seq), 0) + 1, \(Date()), \(kind), \(caseID), \(hashIDs), \(imageIDs) FROM changes
            RETURNING seq
            """, logger: logger)
        var seq: Int64 = 0
        for try await value in rows.decode(Int64.self) { seq = value }
        try await c.query("SELECT pg_notify(\(changeChannel), \(String(seq)))", logger: logger)
    }

    /// Inserts hashes of a case in a few statements (pictures first, then hashes 10,000 at a time).
    static func insertHashes(_ c: PostgresConnection, _ logger: Logger, caseID: String, hashes: [NewHash]) async throws -> [StoredHash] {
        var imageIDs: [Int: Int64] = [:]
        for try await (id, key) in try await c.query("SELECT id, image_key FROM images WHERE case_id = \(caseID)", logger: logger).decode((Int64, Int64).self) {
            imageIDs[Int(key)] = id
        }
        let missing = Set(hashes.map(\.imageKey)).subtracting(imageIDs.keys).sorted().map(Int64.init)
        if !missing.isEmpty {
            for try await (id, key) in try await c.query("""
                INSERT INTO images (case_id, image_key) SELECT \(caseID), k FROM UNNEST(\(missing)::bigint[]) AS k ORDER BY k RETURNING id, image_key
                """, logger: logger).decode((Int64, Int64).self) {
                imageIDs[Int(key)] = id
            }
        }
        var stored: [StoredHash] = []
        stored.reserveCapacity(hashes.count)
        var start = 0
        while start < hashes.count {
            let chunk = hashes[start..<min(hashes.count, start + 10_000)]
            start += chunk.count
            var images: [Int64] = [], algorithms: [String] = [], values: [ByteBuffer] = [], qualities: [Int64] = []
            for hash in chunk {
                guard let imageID = imageIDs[hash.imageKey] else {
                    throw BankError(code: "store_failed", message: "The bank's database did not number a new picture.")
                }
                images.append(imageID)
                algorithms.append(hash.algorithm.rawValue)
                values.append(ByteBuffer(bytes: hash.value))
                qualities.append(Int64(hash.quality ?? -1))
            }
            stored += try await fetchHashes(try await c.query("""
                INSERT INTO hashes (image_id, algorithm, value, quality)
                SELECT i, a, v, NULLIF(q, -1)
                FROM UNNEST(\(images)::bigint[], \(algorithms)::text[], \(values)::bytea[], \(qualities)::bigint[]) WITH ORDINALITY AS t(i, a, v, q, n)
                ORDER BY n
                RETURNING id, image_id, algorithm, value
                """, logger: logger))
        }
        return stored.sorted { $0.id < $1.id }
    }

    static func caseStatus(_ c: PostgresConnection, _ logger: Logger, caseID: String) async throws -> String? {
        var status: String?
        for try await value in try await c.query("SELECT status FROM cases WHERE id = \(caseID) FOR UPDATE", logger: logger).decode(String.self) {
            status = value
        }
        return status
    }

    static func requireActive(_ c: PostgresConnection, _ logger: Logger, caseID: String) async throws {
        guard let status = try await caseStatus(c, logger, caseID: caseID) else {
            throw BankError(code: "case_not_found", message: "There is no case with this id.")
        }
        if status != CaseState.active.rawValue {
            throw BankError(code: "case_withdrawn", message: "This case was withdrawn, so it no longer accepts changes. You can open a new case at any time.")
        }
    }

    static func fetchHashes(_ rows: PostgresRowSequence) async throws -> [StoredHash] {
        var result: [StoredHash] = []
        for try await (id, imageID, name, value) in rows.decode((Int64, Int64, String, Data).self) {
            guard let algorithm = HashAlgorithm(rawValue: name) else { continue }
            result.append(StoredHash(id: id, imageID: imageID, algorithm: algorithm, value: Array(value)))
        }
        return result
    }

    // MARK: - BankStore

    /// Stores a new case and its hashes in one transaction, with a `case_opened` audit record and a change.
    public func createCase(_ newCase: NewCase) async throws -> [StoredHash] {
        try await transaction { c, logger in
            try await c.query("""
                INSERT INTO cases (id, secret_hash, secret_salt, secret_parameters, status, created_at)
                VALUES (\(newCase.id), \(Data(newCase.secret.hash)), \(Data(newCase.secret.salt)), \(newCase.secret.parameters), 'active', \(Date()))
                """, logger: logger)
            let stored = try await Self.insertHashes(c, logger, caseID: newCase.id, hashes: newCase.hashes)
            let images = Set(newCase.hashes.map(\.imageKey)).count
            try await Self.audit(c, logger, actor: "case", action: "case_opened", caseID: newCase.id, detail: "\(stored.count) hashes of \(images) pictures")
            try await Self.recordChange(c, logger, kind: "hashes_added", caseID: newCase.id, hashIDs: stored.map(\.id), imageIDs: Array(Set(stored.map(\.imageID))).sorted())
            return stored
        }
    }

    /// The stored secret and state of a case; nil when there is no such case.
    public func caseCredentials(caseID: String) async throws -> (secret: StoredSecret, state: CaseState)? {
        let found = try await transaction(writing: false) { c, logger -> CredentialRow? in
            var row: CredentialRow?
            for try await (hash, salt, parameters, status) in try await c.query(
                "SELECT secret_hash, secret_salt, secret_parameters, status FROM cases WHERE id = \(caseID)", logger: logger
            ).decode((Data, Data, String, String).self) {
                row = CredentialRow(hash: hash, salt: salt, parameters: parameters, status: status)
            }
            return row
        }
        guard let found else { return nil }
        let parts = found.parameters.split(separator: "$")
        guard parts.count == 2, let rounds = Int(parts[1]) else {
            throw BankError(code: "store_corrupt", message: "The stored secret of a case has unknown parameters.")
        }
        return (StoredSecret(scheme: String(parts[0]), rounds: rounds, salt: Array(found.salt), hash: Array(found.hash)),
                CaseState(rawValue: found.status) ?? .withdrawn)
    }

    struct CredentialRow: Sendable {
        let hash: Data, salt: Data, parameters: String, status: String
    }

    /// Adds hashes to an active case, with a `hashes_added` audit record and a change.
    public func addHashes(caseID: String, hashes: [NewHash]) async throws -> [StoredHash] {
        try await transaction { c, logger in
            try await Self.requireActive(c, logger, caseID: caseID)
            let stored = try await Self.insertHashes(c, logger, caseID: caseID, hashes: hashes)
            try await Self.audit(c, logger, actor: "case", action: "hashes_added", caseID: caseID, detail: "\(stored.count) hashes")
            try await Self.recordChange(c, logger, kind: "hashes_added", caseID: caseID, hashIDs: stored.map(\.id), imageIDs: Array(Set(stored.map(\.imageID))).sorted())
            return stored
        }
    }

    /// Deletes a case's hashes and marks it withdrawn; the audit record keeps only counts.
    public func withdrawCase(caseID: String) async throws -> [StoredHash] {
        try await transaction { c, logger in
            guard let status = try await Self.caseStatus(c, logger, caseID: caseID) else {
                throw BankError(code: "case_not_found", message: "There is no case with this id.")
            }
            if status == CaseState.withdrawn.rawValue { return [] }
            let removed = try await Self.fetchHashes(try await c.query("""
                DELETE FROM hashes h USING images i WHERE i.id = h.image_id AND i.case_id = \(caseID)
                RETURNING h.id, h.image_id, h.algorithm, h.value
                """, logger: logger))
            try await c.query("UPDATE cases SET status = 'withdrawn', withdrawn_at = \(Date()) WHERE id = \(caseID)", logger: logger)
            try await Self.audit(c, logger, actor: "case", action: "case_withdrawn", caseID: caseID, detail: "\(removed.count) hashes deleted")
            try await Self.recordChange(c, logger, kind: "case_withdrawn", caseID: caseID, hashIDs: removed.map(\.id), imageIDs: Array(Set(removed.map(\.imageID))).sorted())
            return removed.sorted { $0.id < $1.id }
        }
    }

    /// Per picture: hash count, platforms that matched it, latest outcome per match reference.
    public func caseStatus(caseID: String) async throws -> CaseStatusReport? {
        try await transaction(writing: false) { c, logger -> CaseStatusReport? in
            var report: CaseStatusReport?
            for try await (status, created, withdrawn) in try await c.query(
                "SELECT status, created_at, withdrawn_at FROM cases WHERE id = \(caseID)", logger: logger
            ).decode((String, Date, Date?).self) {
                report = CaseStatusReport(caseID: caseID, state: CaseState(rawValue: status) ?? .withdrawn,
                                          createdAt: created, withdrawnAt: withdrawn, images: [])
            }
            guard var report else { return nil }
            var images: [(Int64, Int64, Int64, Int64)] = []
            for try await row in try await c.query("""
                SELECT i.id, i.image_key,
                       (SELECT COUNT(*) FROM hashes h WHERE h.image_id = i.id),
                       (SELECT COUNT(DISTINCT platform_id) FROM match_refs m WHERE m.image_id = i.id)
                FROM images i WHERE i.case_id = \(caseID) ORDER BY i.image_key
                """, logger: logger).decode((Int64, Int64, Int64, Int64).self) {
                images.append(row)
            }
            for (imageID, key, hashes, platforms) in images {
                var feedback: [FeedbackOutcome: Int] = [:]
                for try await (outcome, n) in try await c.query("""
                    SELECT f.outcome, COUNT(*) FROM feedback f
                    JOIN match_refs m ON m.ref = f.match_ref
                    WHERE m.image_id = \(imageID) AND f.id = (SELECT MAX(id) FROM feedback g WHERE g.match_ref = f.match_ref)
                    GROUP BY f.outcome
                    """, logger: logger).decode((String, Int64).self) {
                    if let value = FeedbackOutcome(rawValue: outcome) { feedback[value] = Int(n) }
                }
                report.images.append(.init(image: Int(key), hashes: Int(hashes), platformsMatched: Int(platforms), feedback: feedback))
            }
            return report
        }
    }

    /// Every stored hash, in id order, for building the indexes.
    /// - Warning: returns bank hash values; never log or serve them.
    public func loadHashes() async throws -> [StoredHash] {
        try await loadHashesAndSequence().hashes
    }

    /// Every stored hash with the sequence of the last change they include, read in one snapshot, so a
    /// replica that follows changes after that sequence misses none and applies none twice.
    public func loadHashesAndSequence() async throws -> (hashes: [StoredHash], sequence: Int64) {
        let client = self.client, logger = self.logger
        return try await call(writing: false, deadline: .connection) { gate in
            try await client.withConnection { c in
                try gate.begin(c)
                try await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
                do {
                    var sequence: Int64 = 0
                    for try await value in try await c.query("SELECT COALESCE(MAX(seq), 0) FROM changes", logger: logger).decode(Int64.self) {
                        sequence = value
                    }
                    let hashes = try await Self.loadAllHashes(c, logger)
                    try await c.query("COMMIT", logger: logger)
                    return (hashes, sequence)
                } catch {
                    _ = try? await c.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    /// Every stored hash in id order, read 100,000 at a time as a few arrays per algorithm (ids, picture ids,
    /// and the values concatenated) rather than one row per hash, which is several times faster to decode.
    /// - Warning: returns bank hash values; never log or serve them.
    static func loadAllHashes(_ c: PostgresConnection, _ logger: Logger) async throws -> [StoredHash] {
        var result: [StoredHash] = []
        var after: Int64 = 0
        while true {
            var chunk: [StoredHash] = []
            for try await (name, ids, imageIDs, values) in try await c.query("""
                SELECT algorithm, array_agg(id ORDER BY id), array_agg(image_id ORDER BY id), string_agg(value, ''::bytea ORDER BY id)
                FROM (SELECT id, image_id, algorithm, value FROM hashes WHERE id > \(after) ORDER BY id LIMIT 100000) AS chunk
                GROUP BY algorithm
                """, logger: logger).decode((String, [Int64], [Int64], Data).self) {
                guard let algorithm = HashAlgorithm(rawValue: name) else { continue }
                let size = algorithm.bitCount / 8
                guard imageIDs.count == ids.count, values.count == ids.count * size else {
                    throw BankError(code: "store_corrupt", message: "Stored \(name) hashes do not have the length of their kind; the bank's database is damaged.")
                }
                values.withUnsafeBytes { bytes in
                    for (i, id) in ids.enumerated() {
                        chunk.append(StoredHash(id: id, imageID: imageIDs[i], algorithm: algorithm,
                                                value: Array(bytes[(i * size)..<((i + 1) * size)])))
                    }
                }
                after = max(after, ids.last ?? after)
            }
            if chunk.isEmpty { return result }
            chunk.sort { $0.id < $1.id }
            result += chunk
        }
    }

    /// One change to the matchable hashes, as a replica applies it.
    public struct Change: Sendable, Hashable {
        /// Its sequence number (1, 2, 3, ... in commit order).
        public var sequence: Int64
        /// `hashes_added` or `case_withdrawn`.
        public var kind: String
        /// For `hashes_added`: the hashes now matchable (without those deleted since).
        public var hashes: [StoredHash]
        /// For `case_withdrawn`: the images (bank pictures) no longer matchable.
        public var removedImageIDs: [Int64]
    }

    /// The changes after `sequence`, oldest first, at most `limit`; added hashes come with their values
    /// (those since deleted by a later withdrawal are left out: that withdrawal removes them anyway).
    /// - Warning: returns bank hash values; never log or serve them.
    ///
    /// The whole call must finish within `timeout` seconds (default: the store's), else it fails with
    /// `database_unavailable`.
    public func changes(after sequence: Int64, limit: Int = 1000, timeout: Double? = nil) async throws -> [Change] {
        try await transaction(writing: false, timeout: timeout) { c, logger -> [Change] in
            var rows: [(Int64, String, [Int64], [Int64])] = []
            for try await row in try await c.query("""
                SELECT seq, kind, hash_ids, image_ids FROM changes WHERE seq > \(sequence) ORDER BY seq LIMIT \(limit)
                """, logger: logger).decode((Int64, String, [Int64], [Int64]).self) {
                rows.append(row)
            }
            var result: [Change] = []
            for (seq, kind, ids, images) in rows {
                if kind == "hashes_added" {
                    let hashes = ids.isEmpty ? [] : try await Self.fetchHashes(try await c.query(
                        "SELECT id, image_id, algorithm, value FROM hashes WHERE id = ANY(\(ids)) ORDER BY id", logger: logger))
                    result.append(Change(sequence: seq, kind: kind, hashes: hashes, removedImageIDs: []))
                } else {
                    result.append(Change(sequence: seq, kind: kind, hashes: [], removedImageIDs: images))
                }
            }
            return result
        }
    }

    /// The sequence of the latest change.
    public func latestSequence() async throws -> Int64 {
        try await transaction(writing: false) { c, logger in
            var sequence: Int64 = 0
            for try await value in try await c.query("SELECT COALESCE(MAX(seq), 0) FROM changes", logger: logger).decode(Int64.self) {
                sequence = value
            }
            return sequence
        }
    }

    /// Runs `onNotification` for each change notification until the connection drops or the task is
    /// cancelled. Throws when the connection cannot be made or is lost; the caller reconnects and catches up.
    public func listenForChanges(_ onNotification: @Sendable @escaping () async -> Void) async throws {
        let client = self.client
        do {
            try await client.withConnection { c in
                // The closure form sends UNLISTEN when it ends, so the connection goes back to the pool clean.
                try await c.listen(on: Self.changeChannel) { notifications in
                    await onNotification()  // catch up on what happened before LISTEN took effect
                    for try await _ in notifications {
                        await onNotification()
                    }
                }
            }
        } catch {
            throw Self.bankError(error, writing: false)
        }
    }

    /// The wrong-secret throttle shared by all replicas: a token bucket per case id (`capacity` tokens, refilled
    /// at `ratePerSecond`, on the database's clock). With `take`, one token is taken (a wrong secret was
    /// sent). Returns nil when a try is allowed, else the whole seconds to wait (at least 1).
    public func secretThrottle(caseID: String, capacity: Double, ratePerSecond: Double, take: Bool) async throws -> Int? {
        try await transaction(writing: take) { c, logger -> Int? in
            var tokens = capacity
            for try await value in try await c.query("""
                SELECT LEAST(\(capacity), tokens + EXTRACT(EPOCH FROM (now() - updated_at))::float8 * \(ratePerSecond))
                FROM secret_throttle WHERE case_id = \(caseID) FOR UPDATE
                """, logger: logger).decode(Double.self) {
                tokens = value
            }
            if take {
                let left = max(0, tokens - 1)
                try await c.query("""
                    INSERT INTO secret_throttle (case_id, tokens, updated_at) VALUES (\(caseID), \(left), now())
                    ON CONFLICT (case_id) DO UPDATE SET tokens = EXCLUDED.tokens, updated_at = EXCLUDED.updated_at
                    """, logger: logger)
                // Buckets idle long enough to be full again carry no information: drop them now and then.
                if Int.random(in: 0..<100) == 0 {
                    let full = capacity / ratePerSecond
                    try await c.query("DELETE FROM secret_throttle WHERE updated_at < now() - make_interval(secs => \(full))", logger: logger)
                }
                return tokens >= 1 ? nil : max(1, Int(((1 - tokens) / ratePerSecond).rounded(.up)))
            }
            return tokens >= 1 ? nil : max(1, Int(((1 - tokens) / ratePerSecond).rounded(.up)))
        }
    }

    static func platforms(_ rows: PostgresRowSequence) async throws -> [PlatformRecord] {
        var result: [PlatformRecord] = []
        for try await (id, name, prefix, hash, created, revoked) in rows.decode((Int64, String, String, Data, Date, Date?).self) {
            result.append(PlatformRecord(id: id, name: name, keyPrefix: prefix, keyHash: Array(hash), createdAt: created, revokedAt: revoked))
        }
        return result
    }

    /// The platform whose key has this prefix, revoked or not.
    public func platform(keyPrefix: String) async throws -> PlatformRecord? {
        try await transaction(writing: false) { c, logger in
            try await Self.platforms(try await c.query(
                "SELECT id, name, key_prefix, key_hash, created_at, revoked_at FROM platforms WHERE key_prefix = \(keyPrefix)", logger: logger)).first
        }
    }

    /// Adds a platform with the SHA-256 of its key, with a `platform_added` audit record.
    public func addPlatform(name: String, key: APIKey) async throws -> PlatformRecord {
        try await transaction { c, logger in
            try await c.query("LOCK TABLE platforms IN SHARE ROW EXCLUSIVE MODE", logger: logger)
            let existing = try await Self.platforms(try await c.query(
                "SELECT id, name, key_prefix, key_hash, created_at, revoked_at FROM platforms WHERE name = \(name)", logger: logger))
            if !existing.isEmpty {
                throw BankError(code: "platform_exists", message: "A platform named \(name) already exists; pick another name, or revoke it and add it under a new name.")
            }
            let added = try await Self.platforms(try await c.query("""
                INSERT INTO platforms (name, key_prefix, key_hash, created_at) VALUES (\(name), \(key.prefix), \(Data(key.storedHash)), \(Date()))
                RETURNING id, name, key_prefix, key_hash, created_at, revoked_at
                """, logger: logger))
            try await Self.audit(c, logger, actor: "operator", action: "platform_added", detail: name)
            guard let platform = added.first else { throw BankError(code: "store_failed", message: "The bank's database did not store the platform.") }
            return platform
        }
    }

    /// Every platform, in the order they were added.
    public func listPlatforms() async throws -> [PlatformRecord] {
        try await transaction(writing: false) { c, logger in
            try await Self.platforms(try await c.query(
                "SELECT id, name, key_prefix, key_hash, created_at, revoked_at FROM platforms ORDER BY id", logger: logger))
        }
    }

    /// Revokes a platform's key (idempotent), with a `platform_revoked` audit record.
    public func revokePlatform(name: String) async throws -> PlatformRecord {
        try await transaction { c, logger in
            let updated = try await Self.platforms(try await c.query("""
                UPDATE platforms SET revoked_at = COALESCE(revoked_at, \(Date())) WHERE name = \(name)
                RETURNING id, name, key_prefix, key_hash, created_at, revoked_at
                """, logger: logger))
            guard let platform = updated.first else {
                throw BankError(code: "platform_not_found", message: "There is no platform named \(name); `nccmatch admin platform list` shows them.")
            }
            try await Self.audit(c, logger, actor: "operator", action: "platform_revoked", detail: name)
            return platform
        }
    }

    /// Gets or makes the platform's match reference for each live image, one `match` audit record each.
    public func matchReferences(platform: PlatformRecord, imageIDs: [Int64]) async throws -> [Int64: String] {
        if imageIDs.isEmpty { return [:] }
        return try await transaction { c, logger in
            var refs: [Int64: String] = [:]
            let now = Date()
            for imageID in Set(imageIDs).sorted() {
                // Locks the image's case row against a concurrent withdrawal until this transaction ends.
                var live = false
                for try await _ in try await c.query("""
                    SELECT 1 FROM images i JOIN cases c ON c.id = i.case_id WHERE i.id = \(imageID) AND c.status = 'active' FOR SHARE OF c
                    """, logger: logger).decode(Int.self) {
                    live = true
                }
                guard live else { continue }
                let fresh = self.matchReference(platformID: platform.id, imageID: imageID)
                try await c.query("""
                    INSERT INTO match_refs (ref, platform_id, image_id, created_at) VALUES (\(fresh), \(platform.id), \(imageID), \(now))
                    ON CONFLICT (platform_id, image_id) DO NOTHING
                    """, logger: logger)
                var ref: String?
                for try await value in try await c.query(
                    "SELECT ref FROM match_refs WHERE platform_id = \(platform.id) AND image_id = \(imageID)", logger: logger
                ).decode(String.self) {
                    ref = value
                }
                guard let ref else { continue }
                refs[imageID] = ref
                try await Self.audit(c, logger, actor: "platform:\(platform.name)", action: "match", matchRef: ref)
            }
            return refs
        }
    }

    /// Stores a review outcome for one of the platform's match references, with a `feedback` audit record.
    public func recordFeedback(platform: PlatformRecord, matchRef: String, outcome: FeedbackOutcome, contentID: String?) async throws {
        try await transaction { c, logger in
            var status: String?
            for try await value in try await c.query("""
                SELECT c.status FROM match_refs m JOIN images i ON i.id = m.image_id JOIN cases c ON c.id = i.case_id
                WHERE m.ref = \(matchRef) AND m.platform_id = \(platform.id) FOR SHARE OF c
                """, logger: logger).decode(String.self) {
                status = value
            }
            guard let status else {
                throw BankError(code: "match_ref_not_found", message: "This match reference is not one your platform received; check the value returned by /v1/match.")
            }
            if status != CaseState.active.rawValue {
                throw BankError(code: "case_withdrawn", message: "The picture behind this match reference was withdrawn from the bank; no feedback is needed.")
            }
            try await c.query("""
                INSERT INTO feedback (match_ref, platform_id, outcome, content_id, created_at) VALUES (\(matchRef), \(platform.id), \(outcome.rawValue), \(contentID), \(Date()))
                """, logger: logger)
            try await Self.audit(c, logger, actor: "platform:\(platform.name)", action: "feedback", matchRef: matchRef, detail: outcome.rawValue)
        }
    }

    /// Audit entries, oldest first: the latest `limit`, or those after the id `after`.
    public func auditEntries(limit: Int, after: Int64?) async throws -> [AuditEntry] {
        try await transaction(writing: false) { c, logger in
            let rows: PostgresRowSequence
            if let after {
                rows = try await c.query("""
                    SELECT id, at, actor, action, case_id, match_ref, detail FROM audit WHERE id > \(after) ORDER BY id LIMIT \(limit)
                    """, logger: logger)
            } else {
                rows = try await c.query("""
                    SELECT * FROM (SELECT id, at, actor, action, case_id, match_ref, detail FROM audit ORDER BY id DESC LIMIT \(limit)) AS latest ORDER BY id
                    """, logger: logger)
            }
            var entries: [AuditEntry] = []
            for try await (id, at, actor, action, caseID, matchRef, detail) in rows.decode((Int64, Date, String, String, String?, String?, String?).self) {
                entries.append(AuditEntry(id: id, at: at, actor: actor, action: action, caseID: caseID, matchRef: matchRef, detail: detail))
            }
            return entries
        }
    }

    /// Every active case with its secret verifier and hashes (picture numbers kept), ordered by case id.
    public func exportCases() async throws -> [NewCase] {
        try await transaction(writing: false, deadline: .connection) { c, logger -> [NewCase] in
            var cases: [NewCase] = []
            var index: [String: Int] = [:]
            for try await (id, hash, salt, parameters) in try await c.query(
                "SELECT id, secret_hash, secret_salt, secret_parameters FROM cases WHERE status = 'active' ORDER BY id", logger: logger
            ).decode((String, Data, Data, String).self) {
                let parts = parameters.split(separator: "$")
                guard parts.count == 2, let rounds = Int(parts[1]) else {
                    throw BankError(code: "store_corrupt", message: "The stored secret of a case has unknown parameters.")
                }
                index[id] = cases.count
                cases.append(NewCase(id: id, secret: StoredSecret(scheme: String(parts[0]), rounds: rounds, salt: Array(salt), hash: Array(hash)), hashes: []))
            }
            for try await (caseID, key, name, value, quality) in try await c.query("""
                SELECT i.case_id, i.image_key, h.algorithm, h.value, h.quality FROM hashes h JOIN images i ON i.id = h.image_id ORDER BY h.id
                """, logger: logger).decode((String, Int64, String, Data, Int64?).self) {
                guard let at = index[caseID], let algorithm = HashAlgorithm(rawValue: name) else { continue }
                cases[at].hashes.append(NewHash(algorithm: algorithm, value: Array(value), quality: quality.map(Int.init), imageKey: Int(key)))
            }
            return cases
        }
    }

    /// Stores imported cases in one transaction with few statements (arrays unnested on the server), skipping
    /// case ids the bank already has; returns those skipped. Each case gets its `case_opened` audit record
    /// and its numbered change, as `createCase` gives it, so running replicas pick the cases up.
    public func importCases(_ cases: [NewCase]) async throws -> Set<String> {
        if cases.isEmpty { return [] }
        return try await transaction(deadline: .connection) { c, logger -> Set<String> in
            let now = Date()
            var inserted = Set<String>()
            for try await id in try await c.query("""
                INSERT INTO cases (id, secret_hash, secret_salt, secret_parameters, status, created_at)
                SELECT i, h, s, p, 'active', \(now)
                FROM UNNEST(\(cases.map(\.id))::text[], \(cases.map { ByteBuffer(bytes: $0.secret.hash) })::bytea[],
                            \(cases.map { ByteBuffer(bytes: $0.secret.salt) })::bytea[], \(cases.map(\.secret.parameters))::text[])
                     WITH ORDINALITY AS t(i, h, s, p, n)
                ORDER BY n
                ON CONFLICT (id) DO NOTHING
                RETURNING id
                """, logger: logger).decode(String.self) {
                inserted.insert(id)
            }
            let fresh = cases.filter { inserted.contains($0.id) }
            if fresh.isEmpty { return Set(cases.map(\.id)) }

            // Pictures, numbered by the server; read back as one row of arrays per case.
            var imageCases: [String] = [], imageKeys: [Int64] = []
            for entry in fresh {
                for key in Set(entry.hashes.map(\.imageKey)).sorted() {
                    imageCases.append(entry.id)
                    imageKeys.append(Int64(key))
                }
            }
            var imageIDs: [String: [Int64: Int64]] = [:]
            var caseOfImage: [Int64: String] = [:]
            caseOfImage.reserveCapacity(imageKeys.count)
            for try await (caseID, ids, keys) in try await c.query("""
                WITH ins AS (
                    INSERT INTO images (case_id, image_key)
                    SELECT ca, k FROM UNNEST(\(imageCases)::text[], \(imageKeys)::bigint[]) WITH ORDINALITY AS t(ca, k, n) ORDER BY n
                    RETURNING id, case_id, image_key)
                SELECT case_id, array_agg(id ORDER BY image_key), array_agg(image_key ORDER BY image_key) FROM ins GROUP BY case_id
                """, logger: logger).decode((String, [Int64], [Int64]).self) {
                var byKey: [Int64: Int64] = [:]
                for (id, key) in zip(ids, keys) {
                    byKey[key] = id
                    caseOfImage[id] = caseID
                }
                imageIDs[caseID] = byKey
            }

            // Hashes, 50,000 per statement, with their picture ids bound directly; their new ids come back as
            // two arrays per statement.
            var rows: [(imageID: Int64, hash: NewHash)] = []
            rows.reserveCapacity(fresh.reduce(0) { $0 + $1.hashes.count })
            for entry in fresh {
                for hash in entry.hashes {
                    guard let imageID = imageIDs[entry.id]?[Int64(hash.imageKey)] else {
                        throw BankError(code: "store_failed", message: "The bank's database did not number a new picture.")
                    }
                    rows.append((imageID, hash))
                }
            }
            var hashIDs: [String: [Int64]] = [:]
            var start = 0
            while start < rows.count {
                let chunk = rows[start..<min(rows.count, start + 50_000)]
                start += chunk.count
                for try await (ids, images) in try await c.query("""
                    WITH ins AS (
                        INSERT INTO hashes (image_id, algorithm, value, quality)
                        SELECT i, a, v, NULLIF(q, -1)
                        FROM UNNEST(\(chunk.map(\.imageID))::bigint[], \(chunk.map { $0.hash.algorithm.rawValue })::text[],
                                    \(chunk.map { ByteBuffer(bytes: $0.hash.value) })::bytea[], \(chunk.map { Int64($0.hash.quality ?? -1) })::bigint[])
                             WITH ORDINALITY AS t(i, a, v, q, n)
                        ORDER BY n
                        RETURNING id, image_id)
                    SELECT COALESCE(array_agg(id ORDER BY id), '{}'), COALESCE(array_agg(image_id ORDER BY id), '{}') FROM ins
                    """, logger: logger).decode(([Int64], [Int64]).self) {
                    for (id, image) in zip(ids, images) {
                        guard let caseID = caseOfImage[image] else { continue }
                        hashIDs[caseID, default: []].append(id)
                    }
                }
            }

            let details = fresh.map { "\($0.hashes.count) hashes of \(Set($0.hashes.map(\.imageKey)).count) pictures" }
            try await c.query("""
                INSERT INTO audit (at, actor, action, case_id, match_ref, detail)
                SELECT \(now), 'case', 'case_opened', ca, NULL, d FROM UNNEST(\(fresh.map(\.id))::text[], \(details)::text[]) WITH ORDINALITY AS t(ca, d, n) ORDER BY n
                """, logger: logger)

            // One numbered change per case, exactly as createCase records it.
            for entry in fresh {
                let images = imageIDs[entry.id].map { Array($0.values).sorted() } ?? []
                try await Self.recordChange(c, logger, kind: "hashes_added", caseID: entry.id, hashIDs: (hashIDs[entry.id] ?? []).sorted(), imageIDs: images)
            }
            return Set(cases.map(\.id)).subtracting(inserted)
        }
    }

    /// Appends one audit record.
    public func appendAudit(actor: String, action: String, caseID: String?, matchRef: String?, detail: String?) async throws {
        try await transaction { c, logger in
            try await Self.audit(c, logger, actor: actor, action: action, caseID: caseID, matchRef: matchRef, detail: detail)
        }
    }
}
