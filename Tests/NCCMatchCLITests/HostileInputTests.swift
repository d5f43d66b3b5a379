import Foundation
import NCCTestSupport
import Testing

/// `nccmatch hash` and `match` on trees an attacker (or a careless day) prepared: pipes, devices and sockets
/// are reported and skipped without being read, names that are not UTF-8 are named, reads are bounded, and
/// names never reach a terminal raw.
@Suite(.needsCLI) struct HostileInputTests {
    let samples = TestPaths.packageRoot.appendingPathComponent("Samples/images")
    /// Every run under `timeout`: a read that blocks fails the test (status 124) instead of hanging it.
    let timeout = ["/usr/bin/timeout", "60"]

    @Test func pipesDevicesAndSocketsAreSkippedNotRead() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-hostile")
        defer { dir.remove() }
        try FileManager.default.copyItem(at: samples.appendingPathComponent("scikit-image__rocket.jpg"), to: dir.url.appendingPathComponent("a.jpg"))
        let fifo = dir.url.appendingPathComponent("b-fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let socketPath = dir.url.appendingPathComponent("c-socket").path
        let socket = try Self.bindSocket(socketPath)
        defer { close(socket) }

        let folder = try CLIRunner.run(["hash", "--format", "jsonl", dir.url.path], wrapper: timeout)
        #expect(folder.status == 1, "a skipped entry makes the status 1: \(folder.stderr)")
        let records = try folder.jsonLines()
        #expect(records.count == 3, "\(folder.stdout)")
        #expect(records.first?["pdq"] is String, "the picture beside them is still hashed")
        for record in records.dropFirst() {
            #expect((record["error"] as? [String: Any])?["code"] as? String == "not_a_regular_file", "\(record)")
        }

        // Given directly: a FIFO with no writer and /dev/zero are refused at once, not read.
        let direct = try CLIRunner.run(["hash", "--format", "jsonl", fifo, "/dev/zero"], wrapper: timeout)
        #expect(direct.status == 1)
        let codes = try direct.jsonLines().map { ($0["error"] as? [String: Any])?["code"] as? String }
        #expect(codes == ["not_a_regular_file", "not_a_regular_file"], "\(direct.stdout)")

        // match reads neither as a hash list nor as a picture.
        let bank = dir.url.appendingPathComponent("bank.txt")
        try Data("\(String(repeating: "0", count: 64))\n".utf8).write(to: bank)
        let match = try CLIRunner.run(["match", "--bank", bank.path, fifo, "/dev/zero"], wrapper: timeout)
        #expect(match.status == 1 && match.stderr.contains("not a regular file"), "\(match.status) \(match.stderr)")
    }

    @Test func namesThatAreNotUTF8AreNamedNotDropped() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-names")
        defer { dir.remove() }
        // "bad", the byte 0xFF (never valid in UTF-8), ".png".
        var path: [CChar] = (Array(dir.url.path.utf8) + Array("/bad".utf8) + [0xFF] + Array(".png".utf8) + [0]).map { CChar(bitPattern: $0) }
        let picture = try Data(contentsOf: samples.appendingPathComponent("scikit-image__coffee.png"))
        let created = creat(&path, 0o600)
        try #require(created >= 0, "could not create a file with a non-UTF-8 name here")
        _ = picture.withUnsafeBytes { write(created, $0.baseAddress, $0.count) }
        close(created)

        let result = try CLIRunner.run(["hash", "--format", "text", dir.url.path], wrapper: timeout)
        #expect(result.status == 1, "the skipped file makes the status 1")
        #expect(result.stdout.contains("bad\\xff.png"), "the file is named, its odd byte escaped: \(result.stdout)")
        #expect(result.stdout.contains("name_not_utf8"))
    }

    @Test func controlCharactersInNamesNeverReachTheTerminalRaw() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-escape")
        defer { dir.remove() }
        let name = "x\u{1B}[2J\u{1B}]0;owned\u{07}\rfake.jpg"
        try FileManager.default.copyItem(at: samples.appendingPathComponent("scikit-image__rocket.jpg"), to: dir.url.appendingPathComponent(name))
        let text = try CLIRunner.run(["hash", "--format", "text", dir.url.path])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(!text.stdout.contains("\u{1B}") && !text.stdout.contains("\r") && !text.stdout.contains("\u{07}"), "\(text.stdout.debugDescription)")
        #expect(text.stdout.contains("x\\u{1b}[2J\\u{1b}]0;owned\\u{7}\\u{d}fake.jpg"), "\(text.stdout)")

        let bank = dir.url.appendingPathComponent("bank.jsonl")
        try Data(try CLIRunner.run(["hash", "--format", "jsonl", dir.url.appendingPathComponent(name).path]).stdout.utf8).write(to: bank)
        let match = try CLIRunner.run(["match", "--format", "text", "--bank", bank.path, dir.url.appendingPathComponent(name).path])
        #expect(match.status == 0, "\(match.stderr)")
        #expect(!match.stdout.contains("\u{1B}") && !match.stdout.contains("\r"), "\(match.stdout.debugDescription)")

        // CSV: RFC 4180 quoting keeps a name with a comma, a quote and line breaks in one field.
        let csvName = "a,b\"c\nd\re.jpg"
        try FileManager.default.copyItem(at: samples.appendingPathComponent("scikit-image__rocket.jpg"), to: dir.url.appendingPathComponent(csvName))
        let csv = try CLIRunner.run(["hash", "--format", "csv", dir.url.appendingPathComponent(csvName).path])
        #expect(csv.status == 0)
        let row = csv.stdout.dropFirst(csv.stdout.firstIndex(of: "\n").map { csv.stdout.distance(from: csv.stdout.startIndex, to: $0) + 1 } ?? 0)
        #expect(row.hasPrefix("\"" + dir.url.path + "/a,b\"\"c\nd\re.jpg\","), "\(row.debugDescription)")
    }

    @Test func readsAreBoundedByThePixelLimit() throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-bounded")
        defer { dir.remove() }
        // A "JPEG" of 20 MiB: its signature, then zeros. With a 1-megapixel limit at most 9 MiB may be read to decode.
        let big = dir.url.appendingPathComponent("huge.jpg")
        var data = Data([0xFF, 0xD8, 0xFF, 0xE0])
        data.append(Data(count: 20 << 20))
        try data.write(to: big)
        let result = try CLIRunner.run(["hash", "--format", "jsonl", "--max-megapixels", "1", big.path], wrapper: timeout)
        #expect(result.status == 1)
        let record = try #require(try result.jsonLines().first)
        let error = try #require(record["error"] as? [String: Any])
        #expect(error["code"] as? String == "file_too_large", "\(record)")
        #expect((error["message"] as? String)?.contains("9 MiB") == true, "\(error)")
        #expect(record["md5"] is String, "it still gets its digests")
    }

    /// The socket could not be made.
    struct SocketError: Error {}

    /// A bound Unix socket at `path`.
    static func bindSocket(_ path: String) throws -> Int32 {
        let fd = Foundation.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw SocketError() }
        return fd
    }
}
