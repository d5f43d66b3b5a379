import Foundation
import HummingbirdCore

extension BankServer {
    /// Raises the soft limit of open files towards `wanted` (within the hard limit), so the connection limit,
    /// not the descriptor table, is what stops new connections.
    static func raiseOpenFileLimit(to wanted: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let target = min(rlim_t(wanted), limit.rlim_max)
        if limit.rlim_cur < target {
            limit.rlim_cur = target
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
    }
}
