import ArgumentParser
import Foundation

/// The nccmatch command-line tool.
@main
struct NCCMatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nccmatch",
        abstract: "Privacy-preserving image hash matching for taking down non-consensual intimate images.",
        subcommands: [HashCommand.self, EvalCommand.self, EvalVideoCommand.self, MatchCommand.self, BenchCommand.self, ServeCommand.self, AdminCommand.self, CaseCommand.self, BankCommand.self, ExchangeCommand.self]
    )

    /// Parses and runs a subcommand; usage errors exit with status 2, as the documentation promises.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                // ArgumentParser's usage failures exit 64; nccmatch documents 2.
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }
}
