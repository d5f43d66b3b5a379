import Foundation

/// Where the tests find the package, its fixtures, `../shared`, and the built `nccmatch` binary.
public enum TestPaths {
    /// The package's root folder (the one holding Package.swift).
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        // Tests/NCCTestSupport/TestPaths.swift -> package root
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// `Tests/Fixtures`: images the project generated and the reference values computed for them.
    public static let fixtures: URL = packageRoot.appendingPathComponent("Tests/Fixtures", isDirectory: true)

    /// The `shared` folder beside the checkout (`NCCMATCH_SHARED_DIR` overrides), or nil when absent.
    public static let shared: URL? = {
        let env = ProcessInfo.processInfo.environment["NCCMATCH_SHARED_DIR"]
        let candidate = env.map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? packageRoot.deletingLastPathComponent().appendingPathComponent("shared", isDirectory: true)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return nil
        }
        return candidate
    }()

    /// Whether tests that need `../shared` run: when it is there, and always under `CI=true`, where its absence
    /// must fail them rather than skip them. Elsewhere they show as skipped, with the reason.
    public static var runSharedTests: Bool {
        shared != nil || TestRequirements.isCI
    }

    /// `../shared`, or an error saying it is missing (a test that needs it fails rather than passing empty).
    public static func requireShared() throws -> URL {
        guard let shared else {
            throw CLIRunnerError(message: "../shared is not beside the checkout (or NCCMATCH_SHARED_DIR); this test needs it")
        }
        return shared
    }

    /// The `nccmatch` executable built beside the test bundle.
    public static var nccmatchBinary: URL {
        // The test bundle lives in .build/<triple>/<config>/; the executable is built into the same folder.
        let bundle = Bundle.main.bundleURL
        let candidates = [
            bundle.appendingPathComponent("nccmatch"),
            bundle.deletingLastPathComponent().appendingPathComponent("nccmatch"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }
}
