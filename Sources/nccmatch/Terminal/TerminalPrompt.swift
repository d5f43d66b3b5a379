import Foundation

/// Questions asked of a person at a terminal: a yes/no confirmation, and a secret read without echo.
///
/// Both read standard input only when it is a terminal; a caller that is not interactive must decide
/// (with a flag) before asking.
enum TerminalPrompt {
    /// Whether standard input is a terminal a person can answer from.
    static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 }

    /// Asks `question` on standard error and reads one answer; only "y" or "yes" (any case) is yes, so a
    /// bare Enter or the end of input keeps the safe default of no.
    static func confirm(_ question: String) -> Bool {
        FileHandle.standardError.write(Data((question + " [y/N] ").utf8))
        guard let answer = readLine(strippingNewline: true) else {
            FileHandle.standardError.write(Data("\n".utf8))
            return false
        }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }

    /// Prints `prompt` on standard error and reads one line without showing what is typed.
    ///
    /// On a terminal, echo is switched off (termios) for the read and switched back on afterwards: on return,
    /// and also when the process is interrupted (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT) while waiting, so the
    /// terminal is never left silent. Without a terminal it reads a plain line.
    static func readSecret(_ prompt: String) -> String? {
        guard isInteractive else { return readLine(strippingNewline: true) }
        var original = termios()
        guard tcgetattr(STDIN_FILENO, &original) == 0 else {
            FileHandle.standardError.write(Data(prompt.utf8))
            return readLine(strippingNewline: true)
        }
        EchoRestore.install(original)
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        silent.c_lflag |= tcflag_t(ECHONL)
        _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        // The prompt comes once echo is off, so nothing typed after it can show.
        FileHandle.standardError.write(Data(prompt.utf8))
        defer {
            EchoRestore.restore()
            EchoRestore.uninstall()
        }
        return readLine(strippingNewline: true)
    }
}

/// The terminal settings to put back if a signal ends the process while echo is off.
///
/// Signal handlers cannot capture context, so the saved settings live in a global written before the
/// handlers are installed and only read by them.
private enum EchoRestore {
    nonisolated(unsafe) static var saved = termios()
    nonisolated(unsafe) static var active = false
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    static func install(_ settings: termios) {
        saved = settings
        active = true
        for s in signals {
            signal(s) { number in
                EchoRestore.restore()
                // Then end as the signal would have: default action, raised again.
                signal(number, SIG_DFL)
                raise(number)
            }
        }
    }

    static func restore() {
        guard active else { return }
        _ = tcsetattr(STDIN_FILENO, TCSANOW, &saved)
    }

    static func uninstall() {
        active = false
        for s in signals { signal(s, SIG_DFL) }
    }
}
