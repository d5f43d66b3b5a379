import Foundation
import NCCBank
import PostgresNIO

extension PostgresBankStore {
    /// Applies missing migrations; returns the versions applied now and the schema version.
    @discardableResult
    public func migrate() async throws -> (applied: [Int], current: Int) {
        let client = self.client, logger = self.logger
        return try await call(writing: true, deadline: .connection) { gate in
            try await Self.migrate(client: client, logger: logger, begin: { try gate.begin(nil) })
        }
    }

    /// One schema step: applied once, in order, inside its own transaction.
    struct Migration: Sendable {
        let version: Int
        let name: String
        let sql: [String]
    }

    /// Versioned schema migrations. Append new ones; never edit an applied one.
    static let migrations: [Migration] = [
        Migration(version: 1, name: "cases, images, hashes, platforms, match references, feedback, audit, changes", sql: [
            """
            CREATE TABLE cases (
                id TEXT PRIMARY KEY,
                secret_hash BYTEA NOT NULL,
                secret_salt BYTEA NOT NULL,
                secret_parameters TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('active', 'withdrawn')),
                created_at TIMESTAMPTZ NOT NULL,
                withdrawn_at TIMESTAMPTZ
            )
            """,
            """
            CREATE TABLE images (
                id BIGSERIAL PRIMARY KEY,
                case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
                image_key BIGINT NOT NULL,
                UNIQUE (case_id, image_key)
            )
            """,
            """
            CREATE TABLE hashes (
                id BIGSERIAL PRIMARY KEY,
                image_id BIGINT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
                algorithm TEXT NOT NULL CHECK (algorithm IN ('pdq', 'phash', 'dhash', 'md5', 'sha256')),
                value BYTEA NOT NULL,
                quality BIGINT
            )
            """,
            "CREATE INDEX hashes_image ON hashes(image_id)",
            """
            CREATE TABLE platforms (
                id BIGSERIAL PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                key_prefix TEXT NOT NULL UNIQUE,
                key_hash BYTEA NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                revoked_at TIMESTAMPTZ
            )
            """,
            """
            CREATE TABLE match_refs (
                ref TEXT PRIMARY KEY,
                platform_id BIGINT NOT NULL REFERENCES platforms(id),
                image_id BIGINT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
                created_at TIMESTAMPTZ NOT NULL,
                UNIQUE (platform_id, image_id)
            )
            """,
            """
            CREATE TABLE feedback (
                id BIGSERIAL PRIMARY KEY,
                match_ref TEXT NOT NULL REFERENCES match_refs(ref) ON DELETE CASCADE,
                platform_id BIGINT NOT NULL REFERENCES platforms(id),
                outcome TEXT NOT NULL CHECK (outcome IN ('pending_review', 'removed', 'not_violating')),
                content_id TEXT,
                created_at TIMESTAMPTZ NOT NULL
            )
            """,
            "CREATE INDEX feedback_ref ON feedback(match_ref)",
            """
            CREATE TABLE audit (
                id BIGSERIAL PRIMARY KEY,
                at TIMESTAMPTZ NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                case_id TEXT,
                match_ref TEXT,
                detail TEXT
            )
            """,
            // Every change to the matchable hashes, numbered without gaps in commit order (writers take
            // an advisory lock before numbering), so a replica can follow them and catch up from a sequence.
            """
            CREATE TABLE changes (
                seq BIGINT PRIMARY KEY,
                at TIMESTAMPTZ NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('hashes_added', 'case_withdrawn')),
                case_id TEXT NOT NULL,
                hash_ids BIGINT[] NOT NULL,
                image_ids BIGINT[] NOT NULL
            )
            """,
        ]),
        Migration(version: 2, name: "secret throttle shared by replicas", sql: [
            // One token bucket per case id for wrong secrets; kept here so every replica sees the same one.
            """
            CREATE TABLE secret_throttle (
                case_id TEXT PRIMARY KEY,
                tokens DOUBLE PRECISION NOT NULL,
                updated_at TIMESTAMPTZ NOT NULL
            )
            """,
        ]),
        Migration(version: 3, name: "bank keys (match references every replica can compute)", sql: [
            // `match_ref`: 32 random bytes (made by the first nccmatch to start) keying the HMAC that names
            // a platform's match reference for a bank picture, so replicas agree on it without the database.
            "CREATE TABLE bank_keys (name TEXT PRIMARY KEY, value BYTEA NOT NULL)",
        ]),
        Migration(version: 4, name: "videos (an image row is a picture or a video, whose PDQ hashes are its frames)", sql: [
            // Existing rows are pictures; a video's frames are PDQ hashes of an image row of kind 'video'.
            "ALTER TABLE images ADD COLUMN kind TEXT NOT NULL DEFAULT 'picture' CHECK (kind IN ('picture', 'video'))",
        ]),
        Migration(version: 5, name: "banks, exchanges, their records and checkpoints, imported match references, feedback outbox, quarantine", sql: [
            """
            CREATE TABLE banks (
                name TEXT PRIMARY KEY,
                role TEXT NOT NULL CHECK (role IN ('match', 'allow')),
                enabled BOOLEAN NOT NULL,
                pdq_distance INTEGER,
                distance_override BOOLEAN NOT NULL,
                created_at TIMESTAMPTZ NOT NULL
            )
            """,
            // The own bank, where victims' cases go, exists from the start (a bank from before v5 gets it here).
            "INSERT INTO banks (name, role, enabled, pdq_distance, distance_override, created_at) VALUES ('cases', 'match', TRUE, NULL, FALSE, now())",
            """
            CREATE TABLE exchanges (
                name TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                bank TEXT NOT NULL REFERENCES banks(name),
                endpoint TEXT,
                credential_environment TEXT NOT NULL,
                interval_seconds BIGINT NOT NULL,
                enabled BOOLEAN NOT NULL,
                created_at TIMESTAMPTZ NOT NULL
            )
            """,
            "CREATE TABLE exchange_checkpoints (exchange TEXT PRIMARY KEY REFERENCES exchanges(name) ON DELETE CASCADE, checkpoint TEXT NOT NULL, updated_at TIMESTAMPTZ NOT NULL)",
            // The store-wide version of imported-hash changes: one row, updated by every transaction that changes
            // exchange records. Its row lock (taken first, `FOR UPDATE`) serializes those writers until they
            // commit, so versions are handed out in commit order and a follower reading `version > v` never
            // skips a row committed later with a smaller version.
            "CREATE TABLE exchange_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL)",
            "INSERT INTO exchange_version (id, version) VALUES (1, 0)",
            // Imported-hash ids: stable while the record exists, never reused (a sequence never goes back).
            "CREATE SEQUENCE exchange_record_ids",
            // One row per exchange record, keyed by exchange, signal type, value and entry ('' without one,
            // else '<member>:<entry id>'): unique on `record_key`, the SHA-256 of type, value and entry
            // (`PostgresBankStore.recordKeySQL`), since an opaque value (up to 4,096 characters) is too long for
            // a btree entry. `algorithm`/`value`: the matchable form (NULL for kinds never matched).
            """
            CREATE TABLE exchange_records (
                id BIGINT PRIMARY KEY DEFAULT nextval('exchange_record_ids'),
                exchange TEXT NOT NULL REFERENCES exchanges(name),
                signal_type TEXT NOT NULL,
                signal_value TEXT NOT NULL,
                entry TEXT NOT NULL,
                status TEXT NOT NULL,
                case_numbers TEXT,
                feedback TEXT,
                last_modified BIGINT,
                classification TEXT,
                algorithm TEXT CHECK (algorithm IN ('pdq', 'md5')),
                value BYTEA,
                version BIGINT NOT NULL,
                record_key BYTEA NOT NULL,
                UNIQUE (exchange, record_key)
            )
            """,
            "CREATE INDEX exchange_records_version ON exchange_records(version) WHERE algorithm IS NOT NULL",
            "CREATE INDEX exchange_records_entry ON exchange_records(exchange, entry) WHERE entry <> ''",
            // A removed record's id, at the version of its removal, for followers of the change feed.
            "CREATE TABLE exchange_tombstones (version BIGINT PRIMARY KEY, id BIGINT NOT NULL, exchange TEXT NOT NULL)",
            // A platform's reference to an imported hash; kept after the record goes, so feedback on it can be
            // answered `hash_withdrawn`.
            """
            CREATE TABLE imported_match_refs (
                ref TEXT PRIMARY KEY,
                platform_id BIGINT NOT NULL REFERENCES platforms(id),
                hash_id BIGINT NOT NULL,
                exchange TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                UNIQUE (platform_id, hash_id)
            )
            """,
            // Every platform's feedback on an imported hash, as given (the outbox keeps one item per outcome).
            """
            CREATE TABLE imported_feedback (
                id BIGSERIAL PRIMARY KEY,
                match_ref TEXT NOT NULL REFERENCES imported_match_refs(ref),
                platform_id BIGINT NOT NULL REFERENCES platforms(id),
                outcome TEXT NOT NULL CHECK (outcome IN ('pending_review', 'removed', 'not_violating')),
                content_id TEXT,
                created_at TIMESTAMPTZ NOT NULL
            )
            """,
            // Feedback waiting to go back to an exchange (and, once delivered or failed, its outcome). Its times
            // are seconds since 2001-01-01 UTC, so they read back exactly as given.
            """
            CREATE TABLE exchange_feedback (
                id BIGSERIAL PRIMARY KEY,
                exchange TEXT NOT NULL,
                signal_type TEXT NOT NULL,
                signal_value TEXT NOT NULL,
                entry TEXT NOT NULL,
                outcome TEXT NOT NULL CHECK (outcome IN ('pending_review', 'removed', 'not_violating')),
                state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
                not_before DOUBLE PRECISION,
                delivered_at DOUBLE PRECISION,
                failure TEXT,
                attempts INTEGER NOT NULL,
                last_error TEXT,
                created_at TIMESTAMPTZ NOT NULL,
                record_key BYTEA NOT NULL,
                UNIQUE (exchange, record_key, outcome)
            )
            """,
            "CREATE INDEX exchange_feedback_pending ON exchange_feedback(id) WHERE state = 'pending'",
            """
            CREATE TABLE quarantine (
                bank TEXT NOT NULL REFERENCES banks(name) ON DELETE CASCADE,
                item_id BIGINT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (bank, item_id)
            )
            """,
        ]),
        Migration(version: 6, name: "feedback in doubt (a try's start, set before its request leaves), an exchange's feedback source", sql: [
            // Seconds since 2001-01-01 UTC, as the outbox's other times; NULL when no try is under way.
            "ALTER TABLE exchange_feedback ADD COLUMN sent_at DOUBLE PRECISION",
            // Our platform's name at the exchange (`ExchangeSettings.feedbackSource`).
            "ALTER TABLE exchanges ADD COLUMN feedback_source TEXT",
        ]),
    ]

    /// Applies the migrations not yet applied, under an advisory lock so concurrent starts take turns.
    static func migrate(client: PostgresClient, logger: Logger, begin: @Sendable () throws -> Void) async throws -> (applied: [Int], current: Int) {
        try await client.withTransaction(logger: logger) { connection in
            try begin()
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS nccmatch_migrations (
                    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)
                """, logger: logger)
            var done = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM nccmatch_migrations", logger: logger).decode(Int.self) {
                done.insert(version)
            }
            let known = Set(Self.migrations.map(\.version))
            if let newer = done.subtracting(known).max() {
                throw BankError(.storeTooNew, "The bank database has schema version \(newer), written by a newer nccmatch; run that version or newer.")
            }
            var applied: [Int] = []
            for migration in Self.migrations where !done.contains(migration.version) {
                for statement in migration.sql {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO nccmatch_migrations (version, name, applied_at) VALUES (\(migration.version), \(migration.name), \(Date()))",
                    logger: logger)
                applied.append(migration.version)
            }
            return (applied, Self.migrations.map(\.version).max() ?? 0)
        }
    }

    /// Advisory lock keys (arbitrary constants, the same in every nccmatch).
    static let migrationLock: Int64 = 0x6E63_636D_0001
    static let changeLock: Int64 = 0x6E63_636D_0002
}
