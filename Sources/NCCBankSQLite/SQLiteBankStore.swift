import Foundation
import GRDB
import NCCBank
import NCCHashing
import Synchronization

/// The default `BankStore`: one SQLite file, `bank.sqlite`, in the data directory, through GRDB.
///
/// Durability: WAL journal with `synchronous = FULL`, so every committed transaction is fsynced to the
/// WAL before the call returns. An acknowledged write therefore survives `kill -9` (which `NORMAL` would
/// also give) and a power cut or kernel crash (which `NORMAL` would not). Commits are rare next to
/// matches (which only read), so the fsync per commit costs little.
///
/// Several processes may open the same file (the server and `nccmatch admin`): WAL lets readers and one
/// writer work at once; a writer waits up to 10 s for another.
///
/// The driver's files, by job: this one (opening, transactions), `+Schema` (migrations), `+Integrity` (the
/// start-up check, `openForServing`), `BankDirectoryLock`, `+Cases`, `+Platforms`, `+Matching` (match
/// references, feedback), `+Audit`, `+Transfer` (export).
public final class SQLiteBankStore: BankStore {
    /// The file name inside the data directory.
    public static let fileName = "bank.sqlite"

    let pool: DatabasePool
    /// Path of the database file.
    public let path: String
    /// Repairs made while opening (modes tightened to 0700/0600), one sentence each, for the log; no user data.
    public let openingNotes: [String]
    /// What the start-up integrity check found, when it ran (`openForServing`); nil otherwise.
    public let integrity: BankIntegrityReport?
    /// The bank's match-reference key, once read (`referenceKey(_:)`).
    let cachedReferenceKey = Mutex<MatchReferenceKey?>(nil)

    /// Opens (creating the folder and file on first use) the bank in `directory` and migrates it, without
    /// the full integrity check (`nccmatch admin`, which may run beside the server, opens it this way).
    ///
    /// The directory is made 0700 and the files 0600, also when they already exist. A fresh bank is made
    /// only where no `bank.sqlite` exists: an empty, foreign or unreadable file is refused.
    /// Throws `BankError` `store_unavailable` with the underlying cause when the folder or file cannot be
    /// made or opened, `store_empty`, `store_corrupt` or `store_not_a_bank` for a file that is not a
    /// usable bank, or `store_too_new` when the file was written by a newer nccmatch.
    public convenience init(directory: String) throws {
        try self.init(directory: directory, checkingIntegrity: false)
    }

    /// Opens the bank; with `checkingIntegrity`, also runs `PRAGMA quick_check` and validates every stored
    /// hash, read-only, before anything may write (see `openForServing`).
    init(directory: String, checkingIntegrity: Bool) throws {
        var notes = try Self.secureDirectory(directory)
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        let created = try Self.prepareFile(path: path, directory: directory)
        // Companions left by an earlier run (a -wal after a crash) get 0600 too; SQLite makes new -wal and
        // -shm files with the mode of the database file, which is 0600 from here on.
        notes += Self.secureFiles(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // 32 MiB of page cache (SQLite's default is 2 MiB): an exchange page of 800 records lands on about as
            // many leaves of the records' key index, and a small cache read each back from disk on every page
            // (600,000 reads for 200,000 records). Memory used only as the bank grows.
            try db.execute(sql: "PRAGMA cache_size = -32768")
        }
        /// Removes a bank this call created and could not finish, so that no empty file is left behind.
        func discardFresh() {
            guard created else { return }
            for file in [path, path + "-wal", path + "-shm"] { unlink(file) }
        }
        // An existing file is checked read-only first: nothing writes to a bank that is refused.
        let integrity = created ? nil : try Self.checkReadOnly(path: path, directory: directory, full: checkingIntegrity)
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            discardFresh()
            throw Self.openFailure(error, path: path, directory: directory, exportHelps: false)
        }
        notes += Self.secureFiles(path)
        let migrator = Self.migrator
        do {
            if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
                throw BankError.storeTooNew(path)
            }
            do {
                try migrator.migrate(pool)
            } catch {
                if let database = error as? DatabaseError, [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(database.resultCode) {
                    throw Self.openFailure(database, path: path, directory: directory, exportHelps: false)
                }
                throw BankError(.storeUnavailable, "The bank database \(path) could not be brought up to date; check that \(directory) is writable and the disk not full.", underlying: error)
            }
        } catch {
            discardFresh()
            throw Self.openFailure(error, path: path, directory: directory, exportHelps: false)
        }
        notes += Self.secureFiles(path)
        self.pool = pool
        self.path = path
        self.openingNotes = notes
        self.integrity = checkingIntegrity ? integrity ?? BankIntegrityReport(hashes: 0, quickCheckSeconds: 0, hashCheckSeconds: 0) : nil
    }

    /// Runs a write transaction, mapping database failures to `BankError`.
    func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch let error as BankError {
            throw error
        } catch {
            throw BankError(.storeFailed, "The bank could not save the change; nothing was changed.", underlying: error)
        }
    }

    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let error as BankError {
            throw error
        } catch {
            throw BankError(.storeFailed, "The bank could not be read.", underlying: error)
        }
    }
}
