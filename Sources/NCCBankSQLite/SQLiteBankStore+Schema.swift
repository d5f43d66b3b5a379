import Foundation
import GRDB
import NCCBank

extension SQLiteBankStore {
    /// Versioned schema migrations, applied in order at open; each runs once, in its own transaction.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: cases, images, hashes, platforms, match references, feedback, audit") { db in
            try db.execute(sql: """
                CREATE TABLE cases (
                    id TEXT PRIMARY KEY NOT NULL,
                    secret_hash BLOB NOT NULL,
                    secret_salt BLOB NOT NULL,
                    secret_parameters TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('active', 'withdrawn')),
                    created_at DATETIME NOT NULL,
                    withdrawn_at DATETIME
                );
                CREATE TABLE images (
                    id INTEGER PRIMARY KEY,
                    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
                    image_key INTEGER NOT NULL,
                    UNIQUE (case_id, image_key)
                );
                CREATE TABLE hashes (
                    id INTEGER PRIMARY KEY,
                    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
                    algorithm TEXT NOT NULL CHECK (algorithm IN ('pdq', 'phash', 'dhash', 'md5', 'sha256')),
                    value BLOB NOT NULL,
                    quality INTEGER
                );
                CREATE INDEX hashes_image ON hashes(image_id);
                CREATE TABLE platforms (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    key_prefix TEXT NOT NULL UNIQUE,
                    key_hash BLOB NOT NULL,
                    created_at DATETIME NOT NULL,
                    revoked_at DATETIME
                );
                CREATE TABLE match_refs (
                    ref TEXT PRIMARY KEY NOT NULL,
                    platform_id INTEGER NOT NULL REFERENCES platforms(id),
                    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
                    created_at DATETIME NOT NULL,
                    UNIQUE (platform_id, image_id)
                );
                CREATE TABLE feedback (
                    id INTEGER PRIMARY KEY,
                    match_ref TEXT NOT NULL REFERENCES match_refs(ref) ON DELETE CASCADE,
                    platform_id INTEGER NOT NULL REFERENCES platforms(id),
                    outcome TEXT NOT NULL CHECK (outcome IN ('pending_review', 'removed', 'not_violating')),
                    content_id TEXT,
                    created_at DATETIME NOT NULL
                );
                CREATE INDEX feedback_ref ON feedback(match_ref);
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY,
                    at DATETIME NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    case_id TEXT,
                    match_ref TEXT,
                    detail TEXT
                );
                """)
        }
        migrator.registerMigration("v2: videos (an image row is a picture or a video, whose PDQ hashes are its frames)") { db in
            // Existing rows are pictures; a video's frames are PDQ hashes of an image row of kind 'video'.
            try db.execute(sql: "ALTER TABLE images ADD COLUMN kind TEXT NOT NULL DEFAULT 'picture' CHECK (kind IN ('picture', 'video'))")
        }
        migrator.registerMigration("v3: banks, exchanges, their records and checkpoints, imported match references, feedback outbox, quarantine") { db in
            // Dates are REAL seconds since 1970. Entry keys are '' for records without an upstream entry, else
            // '<member>/<entry id>', so the unique key never holds a NULL (NULLs are distinct in SQLite).
            try db.execute(sql: """
                CREATE TABLE banks (
                    name TEXT PRIMARY KEY NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('match', 'allow')),
                    enabled INTEGER NOT NULL,
                    pdq_distance INTEGER,
                    distance_override INTEGER NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE exchanges (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    bank TEXT NOT NULL REFERENCES banks(name),
                    endpoint TEXT,
                    credential_environment TEXT NOT NULL,
                    interval_seconds INTEGER NOT NULL,
                    enabled INTEGER NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE exchange_checkpoints (
                    exchange_id INTEGER PRIMARY KEY NOT NULL REFERENCES exchanges(id) ON DELETE CASCADE,
                    checkpoint TEXT NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE TABLE store_version (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    value INTEGER NOT NULL
                );
                INSERT INTO store_version (id, value) VALUES (1, 0);
                CREATE TABLE exchange_records (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    exchange_id INTEGER NOT NULL REFERENCES exchanges(id),
                    entry_key TEXT NOT NULL,
                    signal_type TEXT NOT NULL,
                    signal_value TEXT NOT NULL,
                    entry_member INTEGER,
                    entry_id TEXT,
                    status TEXT NOT NULL,
                    case_numbers TEXT,
                    feedback TEXT,
                    last_modified INTEGER,
                    classification TEXT,
                    algorithm TEXT CHECK (algorithm IN ('pdq', 'md5')),
                    value BLOB,
                    version INTEGER NOT NULL
                );
                CREATE UNIQUE INDEX exchange_records_key ON exchange_records(exchange_id, entry_key, signal_type, signal_value);
                CREATE INDEX exchange_records_version ON exchange_records(version) WHERE algorithm IS NOT NULL;
                CREATE TABLE imported_tombstones (
                    hash_id INTEGER PRIMARY KEY NOT NULL,
                    version INTEGER NOT NULL
                );
                CREATE INDEX imported_tombstones_version ON imported_tombstones(version);
                CREATE TABLE imported_match_refs (
                    ref TEXT PRIMARY KEY NOT NULL,
                    platform_id INTEGER NOT NULL REFERENCES platforms(id),
                    hash_id INTEGER NOT NULL,
                    exchange TEXT NOT NULL,
                    entry_key TEXT NOT NULL,
                    signal_type TEXT NOT NULL,
                    signal_value TEXT NOT NULL,
                    entry_member INTEGER,
                    entry_id TEXT,
                    created_at REAL NOT NULL,
                    UNIQUE (platform_id, hash_id)
                );
                CREATE TABLE feedback_outbox (
                    id INTEGER PRIMARY KEY,
                    exchange TEXT NOT NULL,
                    entry_key TEXT NOT NULL,
                    signal_type TEXT NOT NULL,
                    signal_value TEXT NOT NULL,
                    entry_member INTEGER,
                    entry_id TEXT,
                    outcome TEXT NOT NULL CHECK (outcome IN ('pending_review', 'removed', 'not_violating')),
                    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
                    not_before REAL,
                    delivered_at REAL,
                    failed_code TEXT,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    created_at REAL NOT NULL,
                    UNIQUE (exchange, entry_key, signal_type, signal_value, outcome)
                );
                CREATE INDEX feedback_outbox_due ON feedback_outbox(id, not_before) WHERE state = 'pending';
                CREATE TABLE quarantine (
                    bank TEXT NOT NULL REFERENCES banks(name),
                    item_id INTEGER NOT NULL,
                    at REAL NOT NULL,
                    PRIMARY KEY (bank, item_id)
                );
                """)
            // The own bank, where victims' cases go, exists from the start (a bank from before v3 gets it here).
            try db.execute(sql: "INSERT INTO banks (name, role, enabled, pdq_distance, distance_override, created_at) VALUES (?, 'match', 1, NULL, 0, ?)",
                           arguments: [BankSettings.ownBankName, Date().timeIntervalSince1970])
        }
        migrator.registerMigration("v4: feedback in doubt (a try's start, set before its request leaves), an exchange's feedback source") { db in
            // `sent_at`: REAL seconds since 1970, NULL when no try is under way (`FeedbackItem.inDoubtSince`).
            // `feedback_source`: our platform's name at the exchange (`ExchangeSettings.feedbackSource`).
            try db.execute(sql: """
                ALTER TABLE feedback_outbox ADD COLUMN sent_at REAL;
                ALTER TABLE exchanges ADD COLUMN feedback_source TEXT;
                """)
        }
        return migrator
    }
}
