import Foundation
import NCCTestSupport
import Testing

/// The person's page in a real browser: `Scripts/page/page_flow.py` drives headless Chromium (Debian's
/// `chromium` and `chromium-driver`, through Python Selenium) against the built `nccmatch serve`, records
/// every request through the DevTools protocol and checks what the page sends, the hashes against the CLI,
/// status, withdrawal, bad input, a video case (frames against `nccmatch hash`, matched through the API), the
/// languages and the headers.
///
/// Needs `/usr/bin/chromium`, `/usr/bin/chromedriver`, `ffmpeg` and a Python with `selenium`: `NCCMATCH_PAGE_PYTHON`
/// (CI makes a venv and sets it), else `/tmp/page-venv/bin/python`. Where any is missing the test shows as
/// skipped with that reason; under `CI=true` it runs and fails instead.
@Suite("Page in a real browser")
struct PageBrowserTests {
    /// The Python that has Selenium.
    static let python = ProcessInfo.processInfo.environment["NCCMATCH_PAGE_PYTHON"] ?? "/tmp/page-venv/bin/python"

    /// Why the browser test cannot run here, or nil when it can.
    static let missing: String? = {
        let files = FileManager.default
        if !files.isExecutableFile(atPath: "/usr/bin/chromium") { return "chromium is not installed (apt install chromium)" }
        if !files.isExecutableFile(atPath: "/usr/bin/chromedriver") { return "chromedriver is not installed (apt install chromium-driver)" }
        if !files.isExecutableFile(atPath: python) { return "no Python with selenium at \(python) (set NCCMATCH_PAGE_PYTHON)" }
        if TestRequirements.tool("ffmpeg") == nil { return "ffmpeg is not installed (apt install ffmpeg): the video part makes its clips with it" }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: python)
        probe.arguments = ["-c", "import selenium"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return "\(python) does not run" }
        probe.waitUntilExit()
        return probe.terminationStatus == 0 ? nil : "\(python) has no selenium (pip install selenium)"
    }()

    static var runs: Bool { missing == nil || ProcessInfo.processInfo.environment["CI"] == "true" }

    @Test("The whole flow in headless Chromium: only hashes leave the browser, equal to the CLI's; status, withdrawal, bad input, a video case, languages, CSP",
          .enabled(if: runs, "needs chromium, chromedriver and Python selenium: \(missing ?? "")"),
          .timeLimit(.minutes(10)))
    func wholeFlow() throws {
        if let missing = Self.missing { Issue.record("CI=true and the browser test cannot run: \(missing)"); return }
        let screenshots = ProcessInfo.processInfo.environment["NCCMATCH_PAGE_SCREENSHOTS"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("nccmatch-page-screenshots-\(getpid())").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [TestPaths.packageRoot.appendingPathComponent("Scripts/page/page_flow.py").path,
                             "--binary", CLIRunner.binary.path, "--screenshots", screenshots]
        var environment = ProcessInfo.processInfo.environment
        environment["SE_AVOID_STATS"] = "true"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let failures = text.split(separator: "\n").filter { $0.hasPrefix("FAIL") || $0.contains("Error") }
        #expect(process.terminationStatus == 0, "page_flow.py failed:\n\(failures.joined(separator: "\n"))\n--- last output ---\n\(text.suffix(3000))")
        #expect(text.contains("ok: the case id and secret are shown"))
        #expect(text.contains("ok: no request to another origin"))
        #expect(text.contains("ok: a case opened with a video"))
    }
}
