import Foundation

/// A one-line progress bar on standard error, shown only when it is a terminal.
final class ProgressBar {
    private let total: Int
    private let enabled: Bool
    private var done = 0
    private var lastDrawn = Date.distantPast

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    /// Counts one more finished item and redraws at most ten times a second.
    func advance() {
        done += 1
        guard enabled, done == total || Date().timeIntervalSince(lastDrawn) > 0.1 else { return }
        lastDrawn = Date()
        let width = 30
        let filled = total == 0 ? width : width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) files".utf8))
    }

    /// Erases the bar so that a line on standard output does not interleave with it.
    func clear() {
        guard enabled, done > 0 else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// Leaves the terminal line clean.
    func finish() { clear() }
}
