#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file could not be read at all (as opposed to read but not decoded).
public struct FileReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable codes. Their `rawValue`s are a public contract (`error.code` in `nccmatch hash --format jsonl`).
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// Nothing at this path (`ENOENT`, `ENOTDIR`).
        case fileNotFound = "file_not_found"
        /// The file cannot be opened with the current permissions (`EACCES`, `EPERM`).
        case permissionDenied = "permission_denied"
        /// The path is a folder.
        case isADirectory = "is_a_directory"
        /// A named pipe, device or socket: never read.
        case notARegularFile = "not_a_regular_file"
        /// Any other failure of `open`, `fstat` or `read`.
        case readFailed = "read_failed"
    }

    /// The stable code.
    public let code: Code
    /// What happened, in plain words, and what to do; never contains the file's name or content.
    public let message: String
    /// The operating system's error number, when there is one.
    public let errno: Int32?

    /// Makes an error from its parts.
    public init(code: Code, message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    /// The error for a failed `open`, `fstat` or `read` with this `errno`.
    public init(errno code: Int32) {
        switch code {
        case ENOENT, ENOTDIR:
            self.init(code: .fileNotFound, message: "There is no file at this path. Check the spelling and that the file is still there.", errno: code)
        case EACCES, EPERM:
            self.init(code: .permissionDenied, message: "This file cannot be opened with your current permissions. Copy it to a folder you own, or check its permissions.", errno: code)
        case EISDIR:
            self.init(code: .isADirectory, message: "This path is a folder, not a file.", errno: code)
        default:
            self.init(code: .readFailed, message: "The file could not be read (\(String(cString: strerror(code)))). Try copying it to a local folder first.", errno: code)
        }
    }

    /// `code: message`, for logs and test output.
    public var description: String { "\(code.rawValue): \(message)" }
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
            code: .notARegularFile,
            message: "This is \(kind), not a regular file, so it was not read. Only regular files are hashed; copy the picture into an ordinary file first.")
    }
}
