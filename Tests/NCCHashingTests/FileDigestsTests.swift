import Foundation
import NCCTestSupport
import Testing
@testable import NCCHashing

@Suite("File digests (MD5, SHA-256)")
struct FileDigestsTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let length: Int
        let seed: UInt32
        let md5: String
        let sha256: String
        var testDescription: String { "\(length) bytes" }

        /// xorshift32 noise, one byte (state >> 24) per step, as the generator script makes it.
        func bytes() -> [UInt8] {
            var state = seed
            return (0..<length).map { _ in
                state ^= state << 13
                state ^= state >> 17
                state ^= state << 5
                return UInt8(state >> 24)
            }
        }
    }

    /// The digest records of `Tests/Fixtures/perceptual-synthetic.jsonl` (values from hashlib).
    static let vectors: [Vector] = {
        let url = TestPaths.fixtures.appendingPathComponent("perceptual-synthetic.jsonl")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["type"] as? String == "digest" else { return nil }
            return Vector(length: object["length"] as! Int, seed: UInt32(object["seed"] as! Int),
                          md5: object["md5"] as! String, sha256: object["sha256"] as! String)
        }
    }()

    @Test func emptyInput() {
        let digests = [UInt8]().withUnsafeBytes { FileDigests.of($0) }
        #expect(digests.md5 == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(digests.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func knownText() {
        let digests = Array("abc".utf8).withUnsafeBytes { FileDigests.of($0) }
        #expect(digests.md5 == "900150983cd24fb0d6963f7d28e17f72")
        #expect(digests.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func fixtureHasDigestRecords() {
        #expect(Self.vectors.count >= 4)
    }

    @Test(arguments: vectors)
    func bytesAndFileEqualHashlib(_ vector: Vector) throws {
        let bytes = vector.bytes()
        let inMemory = bytes.withUnsafeBytes { FileDigests.of($0) }
        #expect(inMemory == FileDigests(md5: vector.md5, sha256: vector.sha256))

        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let file = folder.url.appendingPathComponent("sample.bin")
        try Data(bytes).write(to: file)
        let streamed = try FileDigests.of(fileAt: file.path)
        #expect(streamed == inMemory)
    }

    @Test func missingFileSaysSo() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.url.appendingPathComponent("no-such-file.mp4").path
        let error = try #require(throws: FileReadError.self) { try FileDigests.of(fileAt: path) }
        #expect(error.code == .fileNotFound)
        #expect(!error.description.contains("no-such-file"), "file names stay out of messages (they may end up in logs)")
    }

    @Test func folderIsRefused() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let error = try #require(throws: FileReadError.self) { try FileDigests.of(fileAt: folder.url.path) }
        #expect(error.code == .isADirectory)
    }
}
