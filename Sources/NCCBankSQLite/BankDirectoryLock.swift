import Foundation
import NCCBank
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The exclusive lock `nccmatch serve` holds on a SQLite data directory for as long as it runs.
///
/// Two servers on one SQLite bank would each keep their own in-memory index and silently diverge, so the
/// second refuses to start. The lock is a `flock` on `bank.lock` in the data directory: the kernel drops it
/// when the process ends, however it ends (even `kill -9`), so a stale lock file never blocks a restart.
/// Only `serve` takes it: `nccmatch admin` commands open the bank beside a running server on purpose.
/// The file holds the process id of the holder, for the refusal message.
public final class BankDirectoryLock: Sendable {
    /// The lock file's name inside the data directory.
    public static let fileName = "bank.lock"

    /// Path of the lock file.
    public let path: String
    /// The open lock file; the lock lives as long as this descriptor.
    private let descriptor: Int32

    /// Takes the lock on `directory` (which must exist), or throws `BankError` `store_locked` naming the
    /// directory (and the holder's process id) when another server holds it.
    public init(directory: String) throws {
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw BankError(.storeUnavailable, "The lock file \(path) cannot be opened (\(reason)); check that the data directory \(directory) belongs to the user running the server.")
        }
        _ = fchmod(fd, 0o600)
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let failure = errno
            let holder = Self.holder(fd)
            close(fd)
            if failure == EWOULDBLOCK || failure == EAGAIN {
                let who = holder.map { "(process \($0)) " } ?? ""
                throw BankError(.storeLocked, """
                    Another nccmatch serve \(who)is already serving the data directory \(directory); two servers \
                    on one SQLite bank would silently drift apart. Stop the other server first, or give this one \
                    its own --data directory (replicas sharing one bank need PostgreSQL: --database). \
                    nccmatch admin commands may run beside the server.
                    """)
            }
            throw BankError(.storeUnavailable, "The lock file \(path) cannot be locked (\(String(cString: strerror(failure)))); check that the data directory \(directory) is on a local file system.")
        }
        // Record who holds it (a hint for the refusal message only; the lock itself is the flock).
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        self.path = path
        self.descriptor = fd
    }

    /// The process id written in the lock file by its holder, if readable.
    private static func holder(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text)
    }

    deinit {
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
