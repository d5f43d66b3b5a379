import Foundation
import Testing

/// What a test needs beyond the package itself, and whether it runs.
///
/// A test whose dependency is missing shows as *skipped* with the reason, never as passed. Under `CI=true`
/// it runs anyway, so the missing dependency fails it: CI never skips what it was set up to test.
public enum TestRequirements {
    /// Whether this run is CI (`CI=true`), where a missing dependency is a failure rather than a skip.
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The PostgreSQL server the store and replica tests use (`NCCMATCH_TEST_POSTGRES_URL`, which `.ci/run`
    /// sets after starting a throwaway cluster), or nil when it is not set.
    public static var postgresURL: String? {
        let value = ProcessInfo.processInfo.environment["NCCMATCH_TEST_POSTGRES_URL"] ?? ""
        return value.isEmpty ? nil : value
    }

    /// Whether tests that need PostgreSQL run: when it is configured, and always under `CI=true`.
    public static var runPostgresTests: Bool { postgresURL != nil || isCI }

    /// The PostgreSQL URL, or an error saying how to provide it (a test that needs it fails rather than passing empty).
    public static func requirePostgresURL() throws -> String {
        guard let postgresURL else {
            throw CLIRunnerError(message: "NCCMATCH_TEST_POSTGRES_URL is not set; this test needs PostgreSQL (`.ci/run` starts a throwaway cluster with Scripts/postgres-cluster.sh and sets it)")
        }
        return postgresURL
    }

    /// Whether the `nccmatch` executable is built (`swift build --build-tests` builds it beside the tests).
    public static var binaryBuilt: Bool { FileManager.default.isExecutableFile(atPath: CLIRunner.binary.path) }

    /// Whether tests that run `nccmatch` run: when it is built, and always under `CI=true`.
    public static var runCLITests: Bool { binaryBuilt || isCI }

    /// The path of the executable `name` (python3, strace, node, ...) on `PATH` or in /usr/bin, /usr/local/bin;
    /// nil when it is not installed.
    public static func tool(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map(String.init) ?? []
        return (path + ["/usr/bin", "/usr/local/bin"]).lazy.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The path of the executable `name`, or an error saying to install it (a test that needs it fails
    /// rather than passing empty).
    public static func requireTool(_ name: String) throws -> String {
        guard let found = tool(name) else {
            throw CLIRunnerError(message: "\(name) is not installed; this test needs it (.ci/run installs it)")
        }
        return found
    }
}

extension TestRequirements {
    /// Runs `ffmpeg` quietly (`-nostdin -v error -y`, one thread) with `arguments`, to make a test clip; throws with
    /// its exit status when it fails.
    public static func runFFmpeg(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try requireTool("ffmpeg"))
        process.arguments = ["-nostdin", "-v", "error", "-y", "-threads", "1"] + arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CLIRunnerError(message: "ffmpeg \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)")
        }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only when `../shared` is beside the checkout (or `NCCMATCH_SHARED_DIR` names it); shown as
    /// skipped otherwise, and failing under `CI=true`. The test gets the folder with `TestPaths.requireShared()`.
    public static var needsShared: Self {
        .enabled(if: TestPaths.runSharedTests, "needs ../shared beside the checkout (or NCCMATCH_SHARED_DIR)")
    }

    /// Runs the test only when `NCCMATCH_TEST_POSTGRES_URL` names a PostgreSQL server; shown as skipped
    /// otherwise, and failing under `CI=true`. The test gets the URL with `TestRequirements.requirePostgresURL()`.
    public static var needsPostgres: Self {
        .enabled(if: TestRequirements.runPostgresTests, "needs PostgreSQL: NCCMATCH_TEST_POSTGRES_URL is not set (.ci/run starts one)")
    }

    /// Runs the test only when the `nccmatch` executable is built; shown as skipped otherwise, and failing
    /// under `CI=true`. Tests run it through `CLIRunner`.
    public static var needsCLI: Self {
        .enabled(if: TestRequirements.runCLITests, "needs the built nccmatch executable (swift build --build-tests, or NCCMATCH_BINARY)")
    }

    /// Runs the test only when the executable `name` is installed; shown as skipped otherwise, and failing
    /// under `CI=true` (whose `.ci/run` installs it). The test gets its path with `TestRequirements.requireTool(_:)`.
    public static func needsTool(_ name: String) -> Self {
        .enabled(if: TestRequirements.tool(name) != nil || TestRequirements.isCI, Comment(rawValue: "needs \(name) installed"))
    }
}
