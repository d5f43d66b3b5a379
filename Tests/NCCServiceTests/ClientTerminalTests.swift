import Foundation
import NCCTestSupport
import Testing

/// The person's commands at a real terminal (a pseudo-terminal driven by Python's `pty` support): the secret
/// is not echoed and echo comes back on every path, Ctrl-C included; withdrawal and exact-only files ask y/N.
@Suite(.needsCLI) struct ClientTerminalTests {
    static let python: String? = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
        ?? ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map { "\($0)/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Drives `nccmatch ARGS` on a pseudo-terminal: `secret` types the secret at its prompt, `interrupt` sends
    /// SIGINT at the prompt, `answer` answers the y/N question. Prints one JSON object.
    static let driver = #"""
    import json, os, select, signal, subprocess, sys, termios, time
    binary, mode, *args = sys.argv[1:]
    master, slave = os.openpty()
    # As from a shell at a terminal: no signal blocked or ignored (a test runner may block some for its children).
    def as_from_a_shell():
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
            signal.signal(s, signal.SIG_DFL)
    p = subprocess.Popen([binary] + args, stdin=slave, stdout=slave, stderr=slave, start_new_session=True, preexec_fn=as_from_a_shell)
    out = b""
    def read_until(token, timeout=90):
        global out
        end = time.time() + timeout
        while token not in out and time.time() < end:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    out += os.read(master, 4096)
                except OSError:
                    break
        return token in out
    result = {}
    if mode in ("secret", "interrupt"):
        result["prompted"] = read_until(b"Case secret")
        time.sleep(0.2)
        result["echo_off_while_typing"] = not (termios.tcgetattr(slave)[3] & termios.ECHO)
        if mode == "secret":
            os.write(master, os.environ["SECRET"].encode() + b"\n")
        else:
            p.send_signal(signal.SIGINT)
    else:
        result["prompted"] = read_until(b"[y/N]")
        os.write(master, os.environ["ANSWER"].encode() + b"\n")
    try:
        p.wait(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        result["timeout"] = True
    while True:
        r, _, _ = select.select([master], [], [], 0.3)
        if not r:
            break
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    result["status"] = p.returncode
    result["echo_on_after"] = bool(termios.tcgetattr(slave)[3] & termios.ECHO)
    result["output"] = out.decode("utf-8", "replace")
    print(json.dumps(result))
    """#

    /// Runs the driver; its JSON answer.
    func drive(_ mode: String, _ arguments: [String], environment: [String: String], in dir: URL) throws -> [String: Any] {
        let script = dir.appendingPathComponent("drive.py")
        try Data(Self.driver.utf8).write(to: script)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.python))
        process.arguments = [script.path, CLIRunner.binary.path, mode] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(String(decoding: data, as: UTF8.self))")
    }

    @Test(.needsTool("python3"))
    func theSecretIsNotEchoedAndEchoAlwaysComesBack() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-tty")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url.appendingPathComponent("data"))
        defer { server.stop() }
        let url = server.base.absoluteString
        let submit = try CLIRunner.run(["case", "submit", "--json", "--server", url, TestPaths.packageRoot.appendingPathComponent("Samples/images/scikit-image__rocket.jpg").path])
        let opened = try #require(try submit.jsonLines().first)
        let caseID = try #require(opened["case_id"] as? String), secret = try #require(opened["secret"] as? String)
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "NCCMATCH_CASE_SECRET")

        let typed = try drive("secret", ["case", "status", "--server", url, caseID], environment: ["SECRET": secret, "NCCMATCH_CASE_SECRET": ""], in: dir.url)
        #expect(typed["prompted"] as? Bool == true && typed["echo_off_while_typing"] as? Bool == true, "\(typed)")
        #expect(typed["status"] as? Int == 0, "\(typed)")
        #expect((typed["output"] as? String)?.contains(secret) == false, "the secret never shows: \(typed)")
        #expect((typed["output"] as? String)?.contains("Case \(caseID): active") == true, "\(typed)")
        #expect(typed["echo_on_after"] as? Bool == true, "echo is back after the read")

        let interrupted = try drive("interrupt", ["case", "status", "--server", url, caseID], environment: ["NCCMATCH_CASE_SECRET": ""], in: dir.url)
        #expect(interrupted["echo_off_while_typing"] as? Bool == true, "\(interrupted)")
        #expect(interrupted["status"] as? Int == -Int(SIGINT), "ended by the interrupt: \(interrupted)")
        #expect(interrupted["echo_on_after"] as? Bool == true, "echo is back after Ctrl-C: \(interrupted)")
    }

    @Test(.needsTool("python3"))
    func withdrawalAndExactOnlyFilesAskAtATerminal() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-ask")
        defer { dir.remove() }
        let server = try ServerProcess(data: dir.url.appendingPathComponent("data"))
        defer { server.stop() }
        let url = server.base.absoluteString
        let webp = dir.url.appendingPathComponent("chat.webp")
        try Data(Array("RIFF".utf8) + [0x24, 0, 0, 0] + Array("WEBPVP8 ".utf8) + Array(repeating: 9, count: 64)).write(to: webp)

        let no = try drive("answer", ["case", "submit", "--server", url, webp.path], environment: ["ANSWER": ""], in: dir.url)
        #expect(no["prompted"] as? Bool == true && no["status"] as? Int == 1, "Enter alone is no: \(no)")
        #expect((no["output"] as? String)?.contains("Nothing was sent") == true && (no["output"] as? String)?.contains("Case id") == false, "\(no)")
        let yes = try drive("answer", ["case", "submit", "--server", url, webp.path], environment: ["ANSWER": "y"], in: dir.url)
        #expect(yes["status"] as? Int == 0 && (yes["output"] as? String)?.contains("Case id:") == true, "\(yes)")

        let output = yes["output"] as? String ?? ""
        let caseID = try #require(output.split(whereSeparator: \.isNewline).first { $0.contains("Case id:") }?.split(separator: " ").last.map(String.init))
        let secret = try #require(output.split(whereSeparator: \.isNewline).first { $0.contains("Secret:") }?.split(separator: " ").last.map(String.init))
        let keep = try drive("answer", ["case", "withdraw", "--server", url, "--secret", secret, caseID], environment: ["ANSWER": "n"], in: dir.url)
        #expect(keep["prompted"] as? Bool == true && keep["status"] as? Int == 1 && (keep["output"] as? String)?.contains("still open") == true, "\(keep)")
        let gone = try drive("answer", ["case", "withdraw", "--server", url, "--secret", secret, caseID], environment: ["ANSWER": "yes"], in: dir.url)
        #expect(gone["status"] as? Int == 0 && (gone["output"] as? String)?.contains("withdrawn") == true, "\(gone)")
    }
}
