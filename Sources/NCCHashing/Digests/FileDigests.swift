import Crypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// MD5 and SHA-256 of a file's exact bytes, as lowercase hex (what StopNCII-style banks use to
/// match videos and exact copies).
public struct FileDigests: Sendable, Hashable {
    /// MD5 of the bytes, 32 lowercase hex characters.
    public var md5: String
    /// SHA-256 of the bytes, 64 lowercase hex characters.
    public var sha256: String

    /// Makes a value from already computed hex digests.
    public init(md5: String, sha256: String) {
        self.md5 = md5
        self.sha256 = sha256
    }

    /// Size of the chunks `of(fileAt:)` reads: 1 MiB.
    public static let chunkSize = 1 << 20

    /// Digests of bytes already in memory.
    public static func of(_ bytes: UnsafeRawBufferPointer) -> FileDigests {
        var stream = Stream()
        stream.update(bytes)
        return stream.finalize()
    }

    /// Digests of the file at `path`, read in 1 MiB chunks so memory stays flat for large videos.
    ///
    /// - Throws: `FileReadError` saying, in plain words, why the file could not be read
    ///   (missing, a folder, no permission, read failure).
    public static func of(fileAt path: String) throws(FileReadError) -> FileDigests {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileReadError(errno: errno) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { throw FileReadError(errno: EISDIR) }
        var stream = Stream()
        // The chunk may hold image or video bytes: PixelBuffer wipes it before it is freed.
        let chunk = PixelBuffer(count: chunkSize)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, chunkSize) }
            if got < 0 {
                if errno == EINTR { continue }
                throw FileReadError(errno: errno)
            }
            if got == 0 { break }
            chunk.withUnsafeBytes { stream.update(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
        }
        return stream.finalize()
    }
}
