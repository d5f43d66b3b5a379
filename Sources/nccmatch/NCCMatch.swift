import ArgumentParser

/// The nccmatch command-line tool.
@main
struct NCCMatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nccmatch",
        abstract: "Privacy-preserving image hash matching for taking down non-consensual intimate images.",
        subcommands: []
    )
}
