/// Why a file could not be read at all (as opposed to read but not decoded).
public struct FileReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable machine-readable code: `file_not_found`, `permission_denied`, `is_a_directory`, `read_failed`.
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

    public var description: String { "\(code): \(message)" }
}
