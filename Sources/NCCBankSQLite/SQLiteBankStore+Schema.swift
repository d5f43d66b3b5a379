import GRDB

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
        return migrator
    }
}
