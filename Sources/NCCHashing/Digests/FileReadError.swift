#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file could not be read at all (as opposed to read but not decoded).
public struct FileReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable machine-readable code: `file_not_found`, `permission_denied`, `is_a_directory`, `not_a_regular_file`
    /// (a pipe, device or socket, never read), `read_failed`.
    public let code: String
    /// What happened, in plain words, and what to do; never contains the file's name or content.
    public let message: String
    /// The operating system's error number, when there is one.
    public let errno: Int32?

    /// Makes an error from its parts.
    public init(code: String, message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    /// The error for a failed `open`, `fstat` or `read` with this `errno`.
    public init(errno code: Int32) {
        switch code {
        case ENOENT, ENOTDIR:
            self.init(code: "file_not_found", message: "There is no file at this path. Check the spelling and that the file is still there.", errno: code)
        case EACCES, EPERM:
            self.init(code: "permission_denied", message: "This file cannot be opened with your current permissions. Copy it to a folder you own, or check its permissions.", errno: code)
        case EISDIR:
            self.init(code: "is_a_directory", message: "This path is a folder, not a file.", errno: code)
        default:
            self.init(code: "read_failed", message: "The file could not be read (\(String(cString: strerror(code)))). Try copying it to a local folder first.", errno: code)
        }
    }

    public var description: String { "\(code): \(message)" }
}

extension FileReadError {
    /// The error for a path that is not a regular file (`type` from `stat`'s `st_mode & S_IFMT`): what it is,
    /// and that it was not read. Every reader of user paths says it the same way.
    public static func notRegularFile(_ type: mode_t) -> FileReadError {
        let kind: String
        switch type {
        case S_IFIFO: kind = "a named pipe (FIFO)"
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device"
        case S_IFSOCK: kind = "a socket"
        default: kind = "not a regular file"
        }
        return FileReadError(
            code: "not_a_regular_file",
            message: "This is \(kind), not a regular file, so it was not read. Only regular files are hashed; copy the picture into an ordinary file first.")
    }
}
