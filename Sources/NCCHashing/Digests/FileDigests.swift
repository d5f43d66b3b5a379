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
    /// - Warning: For files, use `of(fileAt:)`: reading a whole video into memory first costs
    ///   gigabytes for nothing.
    public static func of(_ bytes: UnsafeRawBufferPointer) -> FileDigests {
        var md5 = Insecure.MD5()
        var sha = SHA256()
        md5.update(bufferPointer: bytes)
        sha.update(bufferPointer: bytes)
        return FileDigests(md5: hex(md5.finalize()), sha256: hex(sha.finalize()))
    }

    /// Digests of the file at `path`, read in 1 MiB chunks so memory stays flat for large videos.
    ///
    /// - Throws: `FileDigestsError` saying, in plain words, why the file could not be read
    ///   (missing, a folder, no permission, read failure).
    public static func of(fileAt path: String) throws(FileDigestsError) -> FileDigests {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileDigestsError(path: path, errno: errno, action: "open") }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw FileDigestsError(path: path, reason: "it is a folder, not a file")
        }
        var md5 = Insecure.MD5()
        var sha = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer {
            // The chunk may hold image or video bytes: wipe it before it is freed.
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            buffer.deallocate()
        }
        while true {
            let got = read(fd, buffer.baseAddress, chunkSize)
            if got < 0 {
                if errno == EINTR { continue }
                throw FileDigestsError(path: path, errno: errno, action: "read")
            }
            if got == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<got])
            md5.update(bufferPointer: chunk)
            sha.update(bufferPointer: chunk)
        }
        return FileDigests(md5: hex(md5.finalize()), sha256: hex(sha.finalize()))
    }

    private static func hex<D: Digest>(_ digest: D) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(D.byteCount * 2)
        digest.withUnsafeBytes { bytes in
            for b in bytes {
                out.append(digits[Int(b >> 4)])
                out.append(digits[Int(b & 15)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Why a file's digests could not be computed, in words a user can act on.
public struct FileDigestsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The path that was asked for.
    public let path: String
    /// Plain explanation, e.g. "there is no file at this path".
    public let reason: String

    /// Makes an error with an explanation.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    init(path: String, errno code: Int32, action: String) {
        let reason: String
        switch code {
        case ENOENT: reason = "there is no file at this path"
        case EACCES, EPERM: reason = "permission to read it was denied"
        case EISDIR: reason = "it is a folder, not a file"
        case ENOTDIR: reason = "a part of the path is not a folder"
        default: reason = "could not \(action) it (\(String(cString: strerror(code))))"
        }
        self.init(path: path, reason: reason)
    }

    /// "Could not read <path>: <reason>."
    public var description: String { "Could not read \(path): \(reason)." }
}
