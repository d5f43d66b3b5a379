import Foundation
import NCCTestSupport
import Testing

/// Invariant 1 of the design: hashing creates and writes no file, anywhere.
@Suite(.needsCLI) struct PrivacyTests {
    /// Runs `nccmatch hash` over a folder under strace, with empty HOME, TMPDIR and working
    /// folder, and checks that no system call created, wrote, renamed or deleted a file.
    @Test(.needsTool("strace")) func hashingAFolderCreatesAndWritesNoFile() throws {
        let strace = try TestRequirements.requireTool("strace")
        let work = try TemporaryDirectory(prefix: "nccmatch-privacy")
        defer { work.remove() }
        let images = work.url.appendingPathComponent("images")
        let home = work.url.appendingPathComponent("home")
        let tmp = work.url.appendingPathComponent("tmp")
        let cwd = work.url.appendingPathComponent("cwd")
        for folder in [home, tmp, cwd] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        try FileManager.default.copyItem(at: TestPaths.packageRoot.appendingPathComponent("Samples/images"), to: images)
        try Data("not an image".utf8).write(to: images.appendingPathComponent("notes.txt"))
        // One picture of each format decoded through libheif, libwebp and giflib (issue 11).
        let formats = ["heic/irot.heic", "avif/photo.avif", "webp/alpha-lossy.webp", "gif/animated.gif"]
        for file in formats {
            let source = TestPaths.fixtures.appendingPathComponent("images/\(file)")
            try FileManager.default.copyItem(at: source, to: images.appendingPathComponent(source.lastPathComponent))
        }
        let log = work.url.appendingPathComponent("strace.log")
        let before = try snapshot(work.url, excluding: log)

        let result = try CLIRunner.run(
            ["hash", "--format", "jsonl", "--mode", "exact", images.path],
            directory: cwd,
            environment: ["HOME": home.path, "TMPDIR": tmp.path, "PATH": "/usr/bin:/bin"],
            wrapper: [strace, "-f", "-qq", "-o", log.path, "-e",
                      "trace=open,openat,openat2,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,unlink,unlinkat,truncate,ftruncate"]
        )
        #expect(result.status == 1, "the text file is reported as not an image: \(result.stderr)")
        #expect(try result.jsonLines().count == 6 + formats.count)
        #expect(try result.jsonLines().filter { $0["pdq"] is String }.count == 5 + formats.count, "every picture hashed")

        let calls = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        #expect(calls.contains { $0.contains("openat(") }, "strace recorded the run")
        let writes = calls.filter { call in
            if call.contains(" --- ") || call.contains(" +++ ") { return false }  // signals and exits, not calls
            if call.contains("= -1 ") { return false }  // failed calls changed nothing
            if call.contains("open") {
                let writing = ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"].contains { call.contains($0) }
                return writing && !call.contains("\"/dev/")
            }
            return true  // creat, mkdir, rename, link, unlink, truncate: none may succeed
        }
        #expect(writes.isEmpty, "system calls that write files: \(writes)")
        #expect(try snapshot(work.url, excluding: log) == before, "no file appeared, changed or vanished")
    }

    private func snapshot(_ root: URL, excluding: URL) throws -> [String: String] {
        var entries: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.fileSizeKey, .contentModificationDateKey])
        while let url = enumerator?.nextObject() as? URL {
            if url.path == excluding.path { continue }
            let values = try url.resourceValues(forKeys: [.fileSizeKey, .contentModificationDateKey])
            entries[url.path] = "\(values.fileSize ?? -1) \(values.contentModificationDate?.timeIntervalSince1970 ?? 0)"
        }
        return entries
    }
}
