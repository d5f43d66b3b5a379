import Foundation
import NCCTestSupport
import Testing

/// The bank's PostgreSQL going away under a running `nccmatch serve`, and coming back.
///
/// Stopping a database would break every other test sharing CI's cluster, so this test starts its own
/// throwaway cluster (`Scripts/postgres-cluster.sh` in a temporary folder, its own loopback port) and stops it
/// with `pg_ctl -m immediate` (sessions cut off as in a crash). It needs the PostgreSQL binaries, which are
/// there whenever `NCCMATCH_TEST_POSTGRES_URL` is set; without the variable it shows as skipped (a failure under `CI=true`).
///
/// Every wait is bounded (HTTP timeouts, the cluster script under a watchdog, the server stopped with SIGKILL
/// when SIGTERM is not enough), so a regression fails the test instead of hanging the suite.
@Suite(.needsCLI) struct DatabaseOutageTests {
    /// Seconds a write may take to be refused while the database is away (the server waits at most 5 s for
    /// it, plus 1 s for a `COMMIT` already sent; the rest is slack for a loaded CI machine).
    static let refusalLimit = 9.0

    /// A private PostgreSQL cluster in a temporary folder.
    final class Cluster: Sendable {
        let directory: URL
        let url: String

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("nccmatch-outage-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            let result = try Self.script(["start", directory.appendingPathComponent("pg").path, String(try Self.freePort())], limit: 120)
            guard result.status == 0, let url = result.output.split(separator: "\n").last.map(String.init), url.hasPrefix("postgres://") else {
                throw ServiceTestError("the private PostgreSQL cluster did not start (status \(result.status)): \(result.error)")
            }
            self.url = url
        }

        /// `pg_ctl stop -m immediate`.
        func stop() throws {
            let result = try Self.script(["stop", directory.appendingPathComponent("pg").path, "immediate"], limit: 60)
            guard result.status == 0 else { throw ServiceTestError("stopping PostgreSQL failed: \(result.error)") }
        }

        /// Starts it again on the same port and data.
        func start() throws {
            let result = try Self.script(["start", directory.appendingPathComponent("pg").path, "0"], limit: 120)
            guard result.status == 0 else { throw ServiceTestError("starting PostgreSQL again failed: \(result.error)") }
        }

        /// Stops it (if running) and deletes its folder.
        func remove() {
            _ = try? Self.script(["stop", directory.appendingPathComponent("pg").path, "immediate"], limit: 60)
            try? FileManager.default.removeItem(at: directory)
        }

        /// Runs `Scripts/postgres-cluster.sh`, killed after `limit` seconds.
        ///
        /// Spawned with `posix_spawn` and reaped with `waitpid`, not with Foundation's `Process`: on Linux,
        /// `Process` learns of the end of its child through a socket the child inherits, and the PostgreSQL
        /// server that `pg_ctl start` leaves running inherits it too, so `Process` would wait for PostgreSQL.
        static func script(_ arguments: [String], limit: Double) throws -> (status: Int32, output: String, error: String) {
            let path = TestPaths.packageRoot.appendingPathComponent("Scripts/postgres-cluster.sh").path
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("nccmatch-outage-\(UUID().uuidString).out")
            let error = FileManager.default.temporaryDirectory.appendingPathComponent("nccmatch-outage-\(UUID().uuidString).err")
            defer {
                try? FileManager.default.removeItem(at: output)
                try? FileManager.default.removeItem(at: error)
            }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, error.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            var pid: pid_t = 0
            let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
            guard spawned == 0 else { throw ServiceTestError("could not run postgres-cluster.sh (error \(spawned))") }
            let deadline = Date().addingTimeInterval(limit)
            var status: Int32 = 0
            while true {
                let reaped = waitpid(pid, &status, WNOHANG)
                if reaped == pid { break }
                if reaped < 0 && errno != EINTR { throw ServiceTestError("waitpid failed for postgres-cluster.sh (errno \(errno))") }
                if Date() > deadline {
                    kill(pid, SIGKILL)
                    _ = waitpid(pid, &status, 0)
                    throw ServiceTestError("postgres-cluster.sh \(arguments.first ?? "") did not finish within \(Int(limit)) s")
                }
                usleep(20_000)
            }
            // WIFEXITED / WEXITSTATUS by hand (the C macros are not imported).
            let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
            let text = { (url: URL) in (try? String(contentsOf: url, encoding: .utf8)) ?? "" }
            return (exitStatus, text(output).trimmingCharacters(in: .whitespacesAndNewlines), text(error))
        }

        /// A loopback port nobody listens on just now.
        static func freePort() throws -> Int {
            #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
            #endif
            guard fd >= 0 else { throw ServiceTestError("no socket for a free port") }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                    bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
                }
            }
            guard bound else { throw ServiceTestError("could not find a free port") }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }

    /// Seconds since `start`.
    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Opens a case with one picture; the answer and the seconds it took.
    static func openCase(_ server: ServerProcess, pdq: String, timeout: Double = 30) async throws -> (answer: Answer, seconds: Double) {
        let start = ContinuousClock.now
        let answer = try await HTTP.send("POST", server.url("v1/cases"), json: ["hashes": Fake.picture(0, pdq: pdq)], timeout: timeout)
        return (answer, seconds(since: start))
    }

    /// The match answer for a PDQ hash (status, and whether it matched).
    static func match(_ server: ServerProcess, key: String, pdq: String) async throws -> (status: Int, matched: Bool) {
        let answer = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [["id": "u", "algorithm": "pdq", "value": pdq]]],
                                         bearer: key, timeout: 30)
        let results = answer.json["results"] as? [[String: Any]]
        return (answer.status, !((results?.first?["matches"] as? [Any])?.isEmpty ?? true))
    }

    // 10 minutes: catches a hang; the parallel suite on 2 cores can starve a test for minutes.
    @Test(.needsPostgres, .timeLimit(.minutes(10)))
    func writesAreRefusedPromptlyAndMatchesGoOnWhileTheDatabaseIsAway() async throws {
        let cluster = try Cluster()
        defer { cluster.remove() }
        let server = try ServerProcess(data: cluster.directory.appendingPathComponent("server"), database: cluster.url, startLimit: 120)
        defer {
            // A server stuck on a request would not exit on SIGTERM: that is a failure too.
            #expect(server.stop(within: 20), "the server did not exit within 20 s of SIGTERM")
        }
        let key = try server.addPlatform("outage")

        var acknowledged: [(id: String, secret: String, pdq: String)] = []
        for _ in 0..<3 {
            let pdq = Fake.hex(64)
            let (opened, _) = try await Self.openCase(server, pdq: pdq)
            try #require(opened.status == 201, "opening a case before the outage: \(opened.text)")
            acknowledged.append((opened.json["case_id"] as! String, opened.json["secret"] as! String, pdq))
        }
        // The platform is seen once while the database answers, so its key keeps working without it.
        let before = try await Self.match(server, key: key, pdq: acknowledged[0].pdq)
        #expect(before.status == 200 && before.matched)

        try cluster.stop()

        // Matching goes on from memory.
        for entry in acknowledged {
            let answer = try await Self.match(server, key: key, pdq: Fake.flip(entry.pdq, bits: 4))
            #expect(answer.status == 200 && answer.matched, "a match while the database is away answered \(answer.status), matched \(answer.matched)")
        }
        // Writes are refused with 503 database_unavailable within a bounded time: a new case and a withdrawal.
        let (refused, took) = try await Self.openCase(server, pdq: Fake.hex(64))
        #expect(refused.status == 503 && refused.errorCode == "database_unavailable", "opening a case answered \(refused.status): \(refused.text)")
        #expect(refused.headers["retry-after"] != nil)
        #expect(took < Self.refusalLimit, "opening a case took \(took) s to be refused")
        let start = ContinuousClock.now
        let withdrawal = try await HTTP.send("DELETE", server.url("v1/cases/\(acknowledged[1].id)"), bearer: acknowledged[1].secret, timeout: 30)
        let withdrawalTook = Self.seconds(since: start)
        #expect(withdrawal.status == 503 && withdrawal.errorCode == "database_unavailable", "a withdrawal answered \(withdrawal.status): \(withdrawal.text)")
        #expect(withdrawalTook < Self.refusalLimit, "a withdrawal took \(withdrawalTook) s to be refused")
        // Matches still answer after the refused writes.
        let after = try await Self.match(server, key: key, pdq: acknowledged[2].pdq)
        #expect(after.status == 200 && after.matched, "a match after the refused writes answered \(after.status)")

        try cluster.start()
        let back = ContinuousClock.now

        // A write succeeds within 5 s of the database's return.
        var reopened: (id: String, secret: String, pdq: String)?
        var last = ""
        while reopened == nil, Self.seconds(since: back) < 15 {
            let pdq = Fake.hex(64)
            let (opened, _) = try await Self.openCase(server, pdq: pdq, timeout: 15)
            if opened.status == 201 {
                reopened = (opened.json["case_id"] as! String, opened.json["secret"] as! String, pdq)
            } else {
                last = "\(opened.status): \(opened.text)"
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let firstWrite = Self.seconds(since: back)
        let written = try #require(reopened, "no write succeeded within 15 s of the database's return; the last answer was \(last)")
        #expect(firstWrite < 5, "the first write after the database's return succeeded only after \(firstWrite) s")
        acknowledged.append(written)

        // Every acknowledged case is still there, active and matching (the refused withdrawal changed nothing).
        for entry in acknowledged {
            let status = try await HTTP.send("GET", server.url("v1/cases/\(entry.id)"), bearer: entry.secret, timeout: 30)
            #expect(status.status == 200 && status.json["status"] as? String == "active", "an acknowledged case answered \(status.status): \(status.text)")
            let answer = try await Self.match(server, key: key, pdq: entry.pdq)
            #expect(answer.status == 200 && answer.matched, "an acknowledged case no longer matches (\(answer.status))")
        }
    }
}
