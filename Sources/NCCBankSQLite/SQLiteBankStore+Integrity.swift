import Foundation
import NCCBank
import GRDB
import NCCHashing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the start-up check of a SQLite bank found: counts and time only, never hash values.
public struct BankIntegrityReport: Sendable, Hashable {
    /// Stored hashes, all of the right length for their algorithm.
    public var hashes: Int
    /// Seconds spent in `PRAGMA quick_check`.
    public var quickCheckSeconds: Double
    /// Seconds spent validating every stored hash.
    public var hashCheckSeconds: Double
}

/// A SQLite bank opened by `nccmatch serve`: the store, the directory lock held for the server's life, and
/// what was found and repaired on the way (for the log).
public struct ServingBank: Sendable {
    /// The opened, checked store.
    public let store: SQLiteBankStore
    /// The exclusive lock on the data directory; keep it alive as long as the server runs.
    public let lock: BankDirectoryLock
    /// Repairs made while opening (modes tightened), one sentence each; no user data.
    public let notes: [String]
    /// The integrity check's counts and timings.
    public let integrity: BankIntegrityReport
}

extension SQLiteBankStore {
    /// The first 16 bytes of every SQLite database file.
    static let sqliteMagic = Array("SQLite format 3\u{0}".utf8)

    /// Opens the SQLite bank in `directory` for `nccmatch serve`: makes the directory and its files private
    /// (0700/0600, also when they exist), takes the directory lock, refuses an empty, damaged or foreign
    /// file, runs `PRAGMA quick_check`, migrates, and validates the length of every stored hash.
    ///
    /// Throws `BankError`: `store_locked` (another server holds the directory), `store_empty` (a 0-byte
    /// `bank.sqlite`), `store_corrupt` (damaged file or rows), `store_not_a_bank`, `store_permissions`,
    /// `store_too_new` or `store_unavailable`; each message says what to do.
    public static func openForServing(directory: String) throws -> ServingBank {
        let notes = try secureDirectory(directory)
        let lock = try BankDirectoryLock(directory: directory)
        let store = try SQLiteBankStore(directory: directory, checkingIntegrity: true)
        return ServingBank(store: store, lock: lock, notes: notes + store.openingNotes,
                           integrity: store.integrity ?? BankIntegrityReport(hashes: 0, quickCheckSeconds: 0, hashCheckSeconds: 0))
    }

    /// Creates `directory` mode 0700, or makes an existing one 0700 when others could enter or read it.
    /// Returns a sentence for the log for each repair.
    static func secureDirectory(_ directory: String) throws -> [String] {
        var info = stat()
        if stat(directory, &info) != 0 {
            guard errno == ENOENT else {
                throw BankError(.storeUnavailable, "The data directory \(directory) cannot be read (\(String(cString: strerror(errno)))); check the path and permissions.")
            }
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw BankError(.storeUnavailable, "The data directory \(directory) cannot be created; check the path and permissions.", underlying: error)
            }
            _ = chmod(directory, 0o700)
            return []
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw BankError(.storeUnavailable, "The data path \(directory) is not a directory; give --data a directory (it is created if missing).")
        }
        let mode = info.st_mode & 0o7777
        guard mode & 0o077 != 0 else { return [] }
        if chmod(directory, 0o700) != 0 {
            throw BankError(.storePermissions, "The data directory \(directory) can be read by other users (mode \(octal(mode))) and cannot be made private (\(String(cString: strerror(errno)))); as its owner run `chmod 700 \(directory)`, then start again.")
        }
        return ["the data directory \(directory) was mode \(octal(mode)); made it 0700 so that only this user can read the bank"]
    }

    /// Makes `bank.sqlite` and its `-wal`, `-shm` and `-journal` companions 0600 where they exist and
    /// others could read them. Returns a sentence for the log for each repair.
    static func secureFiles(_ path: String) -> [String] {
        var notes: [String] = []
        for file in [path, path + "-wal", path + "-shm", path + "-journal"] {
            var info = stat()
            guard lstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            let mode = info.st_mode & 0o7777
            if mode & 0o077 != 0, chmod(file, 0o600) == 0 {
                notes.append("\((file as NSString).lastPathComponent) was mode \(octal(mode)); made it 0600")
            }
        }
        return notes
    }

    /// Before SQLite sees the file: creates a missing `bank.sqlite` empty and 0600 (returns true), or checks
    /// that the existing one is a non-empty SQLite database (returns false). A fresh bank is made only when
    /// the file does not exist.
    static func prepareFile(path: String, directory: String) throws -> Bool {
        var info = stat()
        if lstat(path, &info) != 0 {
            guard errno == ENOENT else {
                throw BankError(.storeUnavailable, "The bank \(path) cannot be read (\(String(cString: strerror(errno)))); check the permissions of \(directory).")
            }
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 {
                close(fd)
                return true
            }
            guard errno == EEXIST else {
                throw BankError(.storeUnavailable, "The bank \(path) cannot be created (\(String(cString: strerror(errno)))); check that \(directory) is writable by this user.")
            }
            // Made by another process at this very moment: check it like any existing file.
            guard lstat(path, &info) == 0 else {
                throw BankError(.storeUnavailable, "The bank \(path) cannot be read (\(String(cString: strerror(errno)))).")
            }
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw BankError(.storeNotABank, "\(path) is not a regular file (a link, a folder or a device), so it is not a nccmatch bank. Move it away, or point --data at the directory that holds the bank.")
        }
        // Another process (`admin` beside a first `serve`) may have just made the file and not yet written
        // SQLite's header: give it a moment before calling the file empty.
        var waited = 0
        while info.st_size == 0, waited < 10 {
            usleep(20_000)
            waited += 1
            guard lstat(path, &info) == 0 else { break }
        }
        if info.st_size == 0 {
            throw BankError(.storeEmpty, """
                The bank \(path) is an empty (0-byte) file where a bank is expected, so the server does not start \
                (it would otherwise report ready with no hashes). If the bank held cases, restore bank.sqlite from \
                your latest backup. Only if this bank never held anything (its very first start was interrupted), \
                delete \(path) and start again: a new bank is made only where no file exists.
                """)
        }
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw BankError(.storeUnavailable, "The bank \(path) cannot be opened; check that it belongs to the user running nccmatch.")
        }
        defer { try? file.close() }
        let header = (try? file.read(upToCount: sqliteMagic.count)).map { Array($0) } ?? []
        if header != sqliteMagic {
            throw damaged(path, directory, what: "it does not start like a SQLite database (\(info.st_size) bytes; its header is overwritten, or it is another kind of file)",
                          exportHelps: false)
        }
        return false
    }

    /// Checks an existing bank through a read-only connection, before any connection that may write opens
    /// it (GRDB's pool writes a little at open; a damaged file must be left exactly as it was). Always
    /// `recognizeSchema` and the migrations table (a newer bank is `store_too_new`); with `full`, also
    /// `quickCheck` and `validateHashes`. Returns the full check's report, or nil without `full`.
    static func checkReadOnly(path: String, directory: String, full: Bool) throws -> BankIntegrityReport? {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try recognizeSchema(queue, path: path, directory: directory)
            let migrator = migrator
            if try queue.read({ try migrator.hasBeenSuperseded($0) }) {
                throw BankError.storeTooNew(path)
            }
        } catch {
            // Not even the schema can be read: `admin export` cannot help either.
            throw openFailure(error, path: path, directory: directory, exportHelps: false)
        }
        do {
            guard full else { return nil }
            let quick = try quickCheck(queue, path: path, directory: directory)
            let checked = try validateHashes(queue, path: path, directory: directory)
            return BankIntegrityReport(hashes: checked.hashes, quickCheckSeconds: quick, hashCheckSeconds: checked.seconds)
        } catch {
            throw openFailure(error, path: path, directory: directory)
        }
    }

    /// Refuses a file that opens as SQLite but is not a nccmatch bank, or whose first page lost its schema.
    static func recognizeSchema(_ pool: any DatabaseReader, path: String, directory: String) throws {
        let (tables, pages) = try pool.read { db in
            (try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"),
             try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0)
        }
        // A new file holds one or two pages until the first migration; a bank whose first page lost its
        // schema still has all its other pages.
        if tables.isEmpty, pages > 2 {
            throw damaged(path, directory, what: "it is \(pages) pages long but lists no tables (its first page is damaged)")
        }
        if !tables.isEmpty, !tables.contains("grdb_migrations") {
            throw BankError(.storeNotABank, """
                \(path) is a SQLite database but not a nccmatch bank (it has \(tables.count) tables of its own), so \
                it is left untouched. Point --data at the directory that holds the bank, or move this file away to \
                make a new bank there.
                """)
        }
    }

    /// `PRAGMA quick_check`: every page, record and free-list entry of the file (not index contents);
    /// throws `store_corrupt` unless SQLite answers `ok`. Returns the seconds it took.
    static func quickCheck(_ pool: any DatabaseReader, path: String, directory: String) throws -> Double {
        let start = Date()
        let problems: [String]
        do {
            problems = try pool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check(5)") }
        } catch {
            throw damaged(path, directory, what: "SQLite cannot read it through (\(reason(error)))", underlying: error)
        }
        if problems != ["ok"] {
            // SQLite's messages name pages and row ids, never stored values.
            let first = (problems.first ?? "no answer").replacingOccurrences(of: "*** in database main ***", with: "")
                .split(whereSeparator: \.isNewline).joined(separator: "; ")
            throw damaged(path, directory, what: "SQLite's integrity check found damage (\(first)\(problems.count > 1 ? ", and more" : ""))")
        }
        return Date().timeIntervalSince(start)
    }

    /// The stored byte length of each algorithm's hashes.
    static var hashByteCounts: [HashAlgorithm: Int] {
        Dictionary(uniqueKeysWithValues: HashAlgorithm.allCases.map { ($0, $0.bitCount / 8) })
    }

    /// Validates every stored hash (a BLOB of its algorithm's length, a known algorithm) in one pass; throws
    /// `store_corrupt` naming the table, the count of damaged rows per algorithm and what to do.
    ///
    /// Only the damaged rows are grouped, so the pass is a plain scan (1,000,000 hashes: about 0.1 s).
    static func validateHashes(_ pool: any DatabaseReader, path: String, directory: String) throws -> (hashes: Int, seconds: Double) {
        let start = Date()
        let lengths = HashAlgorithm.allCases.map { "WHEN '\($0.rawValue)' THEN \($0.bitCount / 8)" }.joined(separator: " ")
        let sql = """
            SELECT CASE WHEN typeof(algorithm) = 'text' THEN algorithm ELSE '(not text)' END AS name, COUNT(*) AS bad
            FROM hashes
            WHERE typeof(value) <> 'blob' OR length(value) <> CASE algorithm \(lengths) ELSE -1 END
            GROUP BY 1 ORDER BY 1
            """
        let total: Int
        let damagedRows: [(name: String, bad: Int)]
        do {
            (total, damagedRows) = try pool.read { db in
                // A bank whose first migration has not run yet holds no hashes.
                guard try db.tableExists("hashes") else { return (0, []) }
                let rows = try Row.fetchAll(db, sql: sql).map { row in
                    (String.fromDatabaseValue(row["name"]) ?? "(unknown)", Int.fromDatabaseValue(row["bad"]) ?? 0)
                }
                return (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM hashes") ?? 0, rows)
            }
        } catch {
            throw damaged(path, directory, what: "its hashes table cannot be read through (\(reason(error)))", underlying: error)
        }
        if !damagedRows.isEmpty {
            let count = damagedRows.reduce(0) { $0 + $1.bad }
            let detail = damagedRows.map { "\($0.name): \($0.bad)" }.joined(separator: ", ")
            throw damaged(path, directory, what: "table hashes holds \(count) row\(count == 1 ? "" : "s") whose value is not a hash of its algorithm's length (\(detail))",
                          exportSkips: true)
        }
        return (total, Date().timeIntervalSince(start))
    }

    /// The `store_corrupt` error: what is damaged, and what to do about it.
    ///
    /// `exportHelps` is false when not even the schema can be read (no SQLite header, a damaged first page),
    /// so `admin export` is not offered but SQLite's `.recover`; `exportSkips` says that export leaves
    /// damaged rows out.
    static func damaged(_ path: String, _ directory: String, what: String, exportHelps: Bool = true, exportSkips: Bool = false,
                        underlying: (any Error & Sendable)? = nil) -> BankError {
        let export = exportHelps ? """
             Without a backup, `nccmatch admin export FILE --data \(directory)` may still save the cases that can \
            be read\(exportSkips ? " (it leaves the damaged rows out)" : ""); import FILE into a new data directory with \
            `nccmatch admin import FILE --data NEWDIR` and serve that.
            """ : """
             Without a backup, SQLite's own recovery (`sqlite3 \(path) .recover`, into a new file) may still get \
            part of it back; do not delete the file.
            """
        return BankError(.storeCorrupt, """
            The bank \(path) is damaged: \(what). nccmatch serve does not start on a damaged bank, and nothing in \
            it was changed. Keep a copy of \(directory) as it is, then restore bank.sqlite from your latest backup.
            """ + export, underlying: underlying)
    }

    /// Maps a failure to open or read the file: damage becomes `store_corrupt`, the rest `store_unavailable`.
    /// `exportHelps` as in `damaged`.
    static func openFailure(_ error: any Error, path: String, directory: String, exportHelps: Bool = true) -> BankError {
        if let error = error as? BankError { return error }
        if let database = error as? DatabaseError, [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(database.resultCode) {
            return damaged(path, directory, what: "SQLite cannot read it (\(reason(error)))", exportHelps: exportHelps, underlying: database)
        }
        if error is RowDecodingError {
            // A column holds what its schema forbids (a NULL identifier, text for a number): damage.
            return damaged(path, directory, what: "a table holds values its schema forbids", exportHelps: exportHelps)
        }
        return BankError(.storeUnavailable, "The bank database \(path) cannot be opened; check that it is a nccmatch bank and that \(directory) is writable by this user.",
                         underlying: error)
    }

    /// SQLite's own words for a failure, without the statement (which could hold arguments).
    static func reason(_ error: any Error) -> String {
        if let database = error as? DatabaseError { return database.message ?? "\(database.resultCode)" }
        return "\(error)"
    }

    /// `0755`-style text of a mode.
    static func octal(_ mode: mode_t) -> String {
        let text = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }
}
