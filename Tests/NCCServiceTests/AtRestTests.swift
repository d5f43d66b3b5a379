import Foundation
import Synchronization
import NCCTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bank at rest and at start, through the real `nccmatch serve` binary and real files: private modes
/// (also for an existing directory and for -wal/-shm), one server per SQLite directory, an empty or damaged
/// bank refused with a message saying what to do (never a crash, never a silently new bank), and a port in
/// use said plainly.
@Suite(.serialized, .needsCLI) struct AtRestTests {
    // MARK: - Modes

    @Test func existingDirectoryAndEveryBankFileArePrivate() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-atrest")
        defer { dir.remove() }
        let data = dir.url.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        #expect(chmod(data.path, 0o755) == 0)
        let server = try ServeRun(data: data, log: dir.url.appendingPathComponent("serve.log"))
        let base = try #require(try server.waitListening())
        let opened = try await HTTP.send("POST", base.appendingPathComponent("v1/cases"), json: ["hashes": Fake.picture(0)])
        #expect(opened.status == 201)
        let bank = data.appendingPathComponent("bank.sqlite").path
        #expect(FileManager.default.fileExists(atPath: bank + "-wal"), "WAL mode keeps a -wal file while the server runs")
        #expect(mode(data.path) == 0o700)
        for file in [bank, bank + "-wal", bank + "-shm", data.appendingPathComponent("bank.lock").path] {
            #expect(mode(file) == 0o600, "\(file) is \(String(mode(file) ?? 0, radix: 8))")
        }
        // A crash leaves the -wal behind; loosened by hand, it is made private again at the next start.
        server.kill()
        #expect(chmod(bank + "-wal", 0o644) == 0 && chmod(bank, 0o644) == 0 && chmod(data.path, 0o750) == 0)
        let again = try ServeRun(data: data, log: dir.url.appendingPathComponent("serve2.log"))
        #expect(try again.waitListening() != nil)
        again.stop()
        #expect(mode(data.path) == 0o700)
        #expect(mode(bank) == 0o600)
        let log = try String(contentsOf: dir.url.appendingPathComponent("serve.log"), encoding: .utf8)
        #expect(log.contains("was mode 0755; made it 0700"), "the repair is said in the log: \(log)")
        let log2 = try String(contentsOf: dir.url.appendingPathComponent("serve2.log"), encoding: .utf8)
        #expect(log2.contains("bank.sqlite-wal was mode 0644; made it 0600"), "\(log2)")
        #expect(log2.contains("was mode 0750; made it 0700"))
    }

    @Test func adminCommandsMakePrivateFilesToo() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-atrest")
        defer { dir.remove() }
        let data = dir.url.appendingPathComponent("data")
        // No umask from `serve` here: the CLI runs with the usual 022.
        let added = try CLIRunner.run(["admin", "platform", "add", "p", "--data", data.path])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(mode(data.path) == 0o700)
        #expect(mode(data.appendingPathComponent("bank.sqlite").path) == 0o600)
    }

    // MARK: - One server per directory

    @Test func secondServeOnOneDirectoryRefusesAndAdminStillRuns() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-atrest")
        defer { dir.remove() }
        let first = try ServerProcess(data: dir.url)
        let second = try ServeRun(data: dir.url, log: nil)
        let ended = second.waitExit(seconds: 60)
        #expect(ended?.listened == false)
        #expect(ended?.status != 0)
        #expect(ended?.signaled == false)
        #expect(ended?.stderr.contains("store_locked") == true, "\(ended?.stderr ?? "")")
        #expect(ended?.stderr.contains("already serving the data directory \(dir.url.path)") == true)
        #expect(ended?.stderr.contains("(process \(first.process.processIdentifier))") == true)
        // The first server is untouched, and the operator's commands run beside it as before.
        let ready = try await HTTP.send("GET", first.url("readyz"))
        #expect(ready.status == 200)
        let key = try first.addPlatform("beside")
        #expect(key.hasPrefix("ncc_"))
        // The lock dies with its holder, however it dies: no stale lock after kill -9.
        first.kill()
        let third = try ServerProcess(data: dir.url)
        third.stop()
    }

    // MARK: - Port in use

    @Test func portInUseIsSaidPlainly() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-atrest")
        defer { dir.remove() }
        let first = try ServerProcess(data: dir.url.appendingPathComponent("a"))
        defer { first.stop() }
        let port = try #require(first.base.port)
        let second = try ServeRun(data: dir.url.appendingPathComponent("b"), log: nil, port: port)
        let ended = try #require(second.waitExit(seconds: 60))
        #expect(!ended.listened)
        #expect(ended.status != 0 && !ended.signaled)
        #expect(ended.stderr.contains("port \(port) on 127.0.0.1 is already in use; stop the other program or choose another --port"), "\(ended.stderr)")
        #expect(!ended.stderr.contains("could not be read"))
    }

    // MARK: - Empty and damaged banks

    @Test func emptyBankFileIsRefusedNotReplaced() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-atrest")
        defer { dir.remove() }
        let bank = dir.url.appendingPathComponent("bank.sqlite")
        #expect(FileManager.default.createFile(atPath: bank.path, contents: Data()))
        let run = try ServeRun(data: dir.url, log: nil)
        let ended = try #require(run.waitExit(seconds: 60))
        #expect(!ended.listened && ended.status != 0 && !ended.signaled)
        #expect(ended.stderr.contains("store_empty"), "\(ended.stderr)")
        #expect(ended.stderr.contains("empty (0-byte) file where a bank is expected"))
        #expect(ended.stderr.contains("restore bank.sqlite from"))
        #expect(try Data(contentsOf: bank).isEmpty, "no new bank was made in its place")
        // The operator's commands refuse it too, rather than making a new bank there.
        let admin = try CLIRunner.run(["admin", "platform", "list", "--data", dir.url.path])
        #expect(admin.status != 0)
        #expect(admin.stderr.contains("0-byte"))
        #expect(try Data(contentsOf: bank).isEmpty)
    }

    /// One damage of the matrix: what it does to a copy of a healthy bank, and words the refusal must hold.
    struct Damage: Sendable, CustomStringConvertible {
        var name: String
        var says: String
        /// Whether the refusal must offer `admin export` (it offers SQLite's `.recover` where not even the
        /// schema can be read).
        var exportHelps = true
        var apply: @Sendable (_ bank: URL) throws -> Void
        var description: String { name }
    }

    static let pageSize = 4096

    static let damages: [Damage] = [
        Damage(name: "truncated", says: "damaged", exportHelps: false) { bank in
            let bytes = try Data(contentsOf: bank)
            try bytes.prefix(bytes.count * 3 / 5 + 100).write(to: bank)
        },
        Damage(name: "random bytes over the header", says: "does not start like a SQLite database", exportHelps: false) { bank in
            var bytes = try Data(contentsOf: bank)
            var generator = SystemRandomNumberGenerator()
            for i in 0..<100 { bytes[i] = generator.next() }
            try bytes.write(to: bank)
        },
        // quick_check reports the page, or stops with SQLITE_CORRUPT when the page is a table's (which page is in the
        // middle depends on the rows' sizes): either way the bank is refused at that check.
        Damage(name: "a page of zeros in the middle", says: "is damaged: SQLite") { bank in
            var bytes = try Data(contentsOf: bank)
            let page = bytes.count / pageSize / 2
            bytes.replaceSubrange(page * pageSize..<(page + 1) * pageSize, with: Data(count: pageSize))
            try bytes.write(to: bank)
        },
        Damage(name: "a hash of the wrong length", says: "table hashes holds 1 row whose value is not a hash of its algorithm's length (pdq: 1)") { bank in
            try SQLiteC.execute(bank.path, "UPDATE hashes SET value = X'0123' WHERE id = (SELECT MIN(id) FROM hashes WHERE algorithm = 'pdq')")
        },
        Damage(name: "not a SQLite file", says: "does not start like a SQLite database", exportHelps: false) { bank in
            try Data("{\"format\":\"nccmatch-bank\",\"version\":1}\n".utf8).write(to: bank)
        },
    ]

    /// A healthy bank of 1,000 pictures (5,000 hashes, about 100 pages), its WAL folded in.
    static func healthyBank(in directory: URL) async throws -> URL {
        let server = try ServerProcess(data: directory)
        let pictures = (0..<1000).flatMap { Fake.picture($0) }
        let opened = try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": pictures])
        #expect(opened.status == 201, "\(opened.text)")
        server.stop()
        let bank = directory.appendingPathComponent("bank.sqlite")
        try SQLiteC.execute(bank.path, "PRAGMA wal_checkpoint(TRUNCATE)")
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: bank.path + suffix) }
        return bank
    }

    @Test func damagedBanksAreRefusedAtStart() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-atrest")
        defer { dir.remove() }
        let healthy = try await Self.healthyBank(in: dir.url.appendingPathComponent("healthy"))
        #expect(try Data(contentsOf: healthy).count > 50 * Self.pageSize)
        for damage in Self.damages {
            let data = dir.url.appendingPathComponent(damage.name.replacingOccurrences(of: " ", with: "-"))
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            let bank = data.appendingPathComponent("bank.sqlite")
            try FileManager.default.copyItem(at: healthy, to: bank)
            try damage.apply(bank)
            let before = try Data(contentsOf: bank)
            let run = try ServeRun(data: data, log: nil)
            let ended = try #require(run.waitExit(seconds: 120), "\(damage): the server did not stop")
            #expect(!ended.listened, "\(damage): the server started on a damaged bank")
            #expect(!ended.signaled, "\(damage): the server crashed: \(ended.stderr)")
            #expect(ended.status != 0, "\(damage)")
            #expect(ended.stderr.contains("store_corrupt"), "\(damage): \(ended.stderr)")
            #expect(ended.stderr.contains(damage.says), "\(damage): \(ended.stderr)")
            #expect(ended.stderr.contains("restore bank.sqlite from your latest backup"), "\(damage)")
            if damage.exportHelps {
                #expect(ended.stderr.contains("nccmatch admin export FILE --data \(data.path)"), "\(damage)")
            } else if !ended.stderr.contains("nccmatch admin export") {
                #expect(ended.stderr.contains(".recover"), "\(damage): \(ended.stderr)")
            }
            #expect(try Data(contentsOf: bank) == before, "\(damage): the refused bank was changed")
        }
    }

    /// The refusal's advice works: export leaves the damaged row out, the import serves the rest.
    @Test func wrongLengthHashIsRecoveredByExportAndImport() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-atrest")
        defer { dir.remove() }
        let data = dir.url.appendingPathComponent("damaged")
        let bank = try await Self.healthyBank(in: data)
        try SQLiteC.execute(bank.path, "UPDATE hashes SET value = randomblob(31) WHERE id = (SELECT MIN(id) FROM hashes WHERE algorithm = 'pdq')")
        let file = dir.url.appendingPathComponent("bank.export").path
        let exported = try CLIRunner.run(["admin", "export", file, "--data", data.path])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.contains("with 4999 hashes"), "\(exported.stdout)")
        let fresh = dir.url.appendingPathComponent("fresh")
        let imported = try CLIRunner.run(["admin", "import", file, "--data", fresh.path])
        #expect(imported.status == 0, "\(imported.stderr)")
        let server = try ServerProcess(data: fresh)
        server.stop()
    }

    // MARK: - Helpers

    func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o777
    }
}

/// `nccmatch serve` started for a test that expects it to start or to refuse: standard error to `log` (or
/// captured), stopped with SIGKILL if it outlives the test.
final class ServeRun: @unchecked Sendable {
    let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private let errorText = LockedText()
    private let log: URL?

    /// How a refused start ended.
    struct Ended {
        var status: Int32
        var signaled: Bool
        var listened: Bool
        var stderr: String
    }

    init(data: URL, log: URL?, port: Int = 0) throws {
        self.log = log
        process.executableURL = CLIRunner.binary
        process.arguments = ["serve", "--data", data.path, "--port", String(port), "--secret-rounds", "1000", "--log-level", "info"]
        process.standardOutput = output
        if let log {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: log)
        } else {
            process.standardError = errors
            let text = errorText, handle = errors.fileHandleForReading
            DispatchQueue.global().async { text.set(String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)) }
        }
        try process.run()
    }

    deinit { if process.isRunning { kill() } }

    /// The first line of standard output when it is `listening on ...` (the URL), nil when the process
    /// ended without listening.
    func waitListening() throws -> URL? {
        var line = Data()
        let fd = output.fileHandleForReading.fileDescriptor
        var byte: UInt8 = 0
        while true {
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "http://") else { return nil }
        let base = URL(string: String(text[range.lowerBound...]))!
        for _ in 0..<400 {
            if let answer = try? HTTP.sendSync("GET", base.appendingPathComponent("readyz")), answer.status == 200 { return base }
            usleep(25_000)
        }
        throw ServiceTestError("the server never became ready")
    }

    /// Waits up to `seconds` for the process to end by itself (it is killed after that, and nil returned).
    func waitExit(seconds: Double) -> Ended? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill()
            return nil
        }
        let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        var stderr = ""
        for _ in 0..<100 {
            if let text = errorText.get() { stderr = text; break }
            usleep(20_000)
        }
        if let log { stderr = (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        return Ended(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                     listened: stdout.contains("listening on"), stderr: stderr)
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

private final class LockedText: Sendable {
    private let value = Mutex<String?>(nil)
    func set(_ text: String) { value.withLock { $0 = text } }
    func get() -> String? { value.withLock { $0 } }
}

/// SQLite's C API, loaded from the system library the bank itself uses: the test writes damage the way a
/// faulty tool or disk would, below nccmatch.
enum SQLiteC {
    private typealias Open = @convention(c) (UnsafePointer<CChar>, UnsafeMutablePointer<OpaquePointer?>) -> Int32
    private typealias Exec = @convention(c) (OpaquePointer?, UnsafePointer<CChar>, UnsafeRawPointer?, UnsafeRawPointer?,
                                             UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32
    private typealias Close = @convention(c) (OpaquePointer?) -> Int32

    /// Runs `sql` on the database at `path` and closes it.
    static func execute(_ path: String, _ sql: String) throws {
        guard let library = dlopen("libsqlite3.so.0", RTLD_NOW) ?? dlopen("libsqlite3.so", RTLD_NOW) ?? dlopen("libsqlite3.dylib", RTLD_NOW),
              let openSymbol = dlsym(library, "sqlite3_open"), let execSymbol = dlsym(library, "sqlite3_exec"),
              let closeSymbol = dlsym(library, "sqlite3_close") else {
            throw ServiceTestError("libsqlite3 cannot be loaded")
        }
        let open = unsafeBitCast(openSymbol, to: Open.self)
        let exec = unsafeBitCast(execSymbol, to: Exec.self)
        let close = unsafeBitCast(closeSymbol, to: Close.self)
        var db: OpaquePointer?
        guard open(path, &db) == 0 else { throw ServiceTestError("sqlite3_open \(path) failed") }
        defer { _ = close(db) }
        var message: UnsafeMutablePointer<CChar>?
        let status = exec(db, sql, nil, nil, &message)
        guard status == 0 else {
            throw ServiceTestError("sqlite3_exec failed (\(status)): \(message.map { String(cString: $0) } ?? "")")
        }
    }
}
