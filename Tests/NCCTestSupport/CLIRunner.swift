import Foundation
import Synchronization

/// What a finished `nccmatch` process left behind.
public struct CLIResult: Sendable {
    /// Exit status.
    public let status: Int32
    /// Standard output as UTF-8 text.
    public let stdout: String
    /// Standard error as UTF-8 text.
    public let stderr: String

    /// Standard output split into non-empty lines.
    public var lines: [String] { stdout.split(separator: "\n").map(String.init) }

    /// Each standard-output line parsed as a JSON object.
    public func jsonLines() throws -> [[String: Any]] {
        try lines.map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw CLIRunnerError(message: "not a JSON object: \(line)")
            }
            return object
        }
    }
}

/// A failure to run or read the CLI.
public struct CLIRunnerError: Error, CustomStringConvertible {
    /// What went wrong.
    public let message: String
    public var description: String { message }
}

/// Runs the built `nccmatch` executable as a user would.
public enum CLIRunner {
    /// The executable: `NCCMATCH_BINARY` if set, else the one built beside the tests.
    public static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["NCCMATCH_BINARY"] { return URL(fileURLWithPath: path) }
        let candidates = [
            TestPaths.nccmatchBinary,
            TestPaths.packageRoot.appendingPathComponent(".build/debug/nccmatch"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// Runs `nccmatch` with `arguments`, optional standard input, in `directory`; waits for it to end.
    /// - Parameter wrapper: a command and its arguments to run `nccmatch` under (for example strace).
    public static func run(
        _ arguments: [String], stdin: Data? = nil, directory: URL? = nil,
        environment: [String: String]? = nil, wrapper: [String] = []
    ) throws -> CLIResult {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw CLIRunnerError(message: "nccmatch is not built at \(binary.path): run `swift build --build-tests` (or set NCCMATCH_BINARY)")
        }
        let process = Process()
        if wrapper.isEmpty {
            process.executableURL = binary
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: wrapper[0])
            process.arguments = Array(wrapper.dropFirst()) + [binary.path] + arguments
        }
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        // Read both pipes concurrently so a full pipe never stalls the child.
        let outData = PipeContents(), errData = PipeContents()
        let group = DispatchGroup()
        for (pipe, sink) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                sink.data.withLock { $0 = data }
                group.leave()
            }
        }
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        group.wait()
        process.waitUntilExit()
        return CLIResult(
            status: process.terminationStatus,
            stdout: String(decoding: outData.data.withLock { $0 }, as: UTF8.self),
            stderr: String(decoding: errData.data.withLock { $0 }, as: UTF8.self)
        )
    }
}

/// What one pipe of the child held, filled by the thread reading it.
private final class PipeContents: Sendable {
    let data = Mutex(Data())
}
