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

    /// Says, once per process, that tests needing `../shared` are skipped.
    public static func noteSharedMissing(_ what: String) {
        print("note: ../shared is not present; skipping \(what)")
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
