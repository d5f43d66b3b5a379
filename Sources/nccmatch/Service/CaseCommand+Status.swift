import ArgumentParser
import Foundation
import NCCClient
import NCCWire

extension CaseCommand {
    /// Where a command finds the server and the case secret: --secret, then NCCMATCH_CASE_SECRET, then one
    /// line of standard input (read without echo on a terminal).
    struct SecretOptions: ParsableArguments {
        @Option(help: "The hash bank's address.") var server: String
        @Option(help: "The case secret (else NCCMATCH_CASE_SECRET, else asked for without showing what you type).") var secret: String?
        @Flag(help: "Print the server's answer as JSON.") var json = false
        @Flag(help: "Allow a plain http:// bank on another computer (the secret then travels unencrypted).") var allowInsecureHTTP = false
        @Argument(help: "The case id.") var caseID: String

        func resolvedSecret() -> String {
            if let secret { return secret }
            if let env = ProcessInfo.processInfo.environment["NCCMATCH_CASE_SECRET"], !env.isEmpty { return env }
            return (TerminalPrompt.readSecret("Case secret (it is not shown as you type): ") ?? "").trimmingCharacters(in: .whitespaces)
        }

        /// Asks the bank for the case's status (`withdraw`: withdraws it first) with its secret and prints the
        /// status answered (text, or JSON with `--json`); a bank error is printed after `command` and ends the
        /// run with status 1.
        func sendAndShow(withdraw: Bool, with client: BankClient, command: String) throws {
            do {
                let secret = resolvedSecret()
                let answer = withdraw ? try client.withdrawCase(caseID: caseID, secret: secret) : try client.caseStatus(caseID: caseID, secret: secret)
                print(json ? try CaseStatusText.json(answer) : CaseStatusText.text(answer), terminator: json ? "\n" : "")
            } catch let error as BankClientError {
                FileHandle.standardError.write(Data("nccmatch \(command): \(error.message)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show whether platforms found your pictures and what they did.")
        @OptionGroup var options: SecretOptions

        func run() throws {
            let client = try CaseCommand.client(options.server, allowInsecureHTTP: options.allowInsecureHTTP, command: "case status")
            try options.sendAndShow(withdraw: false, with: client, command: "case status")
        }
    }

    struct Withdraw: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Withdraw your case: its hashes are deleted and no longer matched.",
            discussion: "You are asked to confirm first; --yes confirms without asking (needed when there is no terminal).")
        @OptionGroup var options: SecretOptions
        @Flag(help: "Withdraw without asking for confirmation.") var yes = false

        func run() throws {
            let client = try CaseCommand.client(options.server, allowInsecureHTTP: options.allowInsecureHTTP, command: "case withdraw")
            if !yes {
                guard TerminalPrompt.isInteractive else {
                    FileHandle.standardError.write(Data("""
                        nccmatch case withdraw: withdrawing deletes your case's hashes, so platforms will no longer find \
                        these pictures, and it cannot be undone. It needs your confirmation, and there is no terminal to \
                        ask it at. Nothing was changed. Run it in a terminal to be asked, or add --yes if you are sure.

                        """.utf8))
                    throw ExitCode(1)
                }
                let question = """
                    Withdraw case \(TerminalText.escaped(options.caseID))? Its hashes will be deleted and platforms will no longer \
                    find these pictures. This cannot be undone (you can open a new case later).
                    """
                guard TerminalPrompt.confirm(question) else {
                    FileHandle.standardError.write(Data("Nothing was changed; your case is still open.\n".utf8))
                    throw ExitCode(1)
                }
            }
            try options.sendAndShow(withdraw: true, with: client, command: "case withdraw")
        }
    }
}

/// How a case's status is shown to the person: what was found, what each platform's outcome means, what the
/// person can do next and where to get help. Calm, plain, never blaming.
enum CaseStatusText {
    /// Where to get help, in every status.
    static let help = """
        Where to get help:
          StopNCII.org (https://stopncii.org) helps adults whose intimate images are shared or threatened.
          Take It Down (https://takeitdown.ncmec.org) helps if you were under 18 in the pictures.
          A local helpline or the police can help too; if you are in danger right now, call your local emergency number.
          You are not to blame for what someone else does with your pictures.

        """

    /// The answer as one JSON line, keys sorted.
    static func json(_ answer: CaseStatusResponse) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(answer), as: UTF8.self)
    }

    /// The answer in words.
    static func text(_ answer: CaseStatusResponse) -> String {
        var text = ""
        if !answer.message.isEmpty { text += TerminalText.escaped(answer.message) + "\n" }
        let status = answer.status
        text += "Case \(TerminalText.escaped(answer.caseID)): \(TerminalText.escaped(status))\n"
        var outcomes: (removed: Int, pending: Int, notViolating: Int, found: Int) = (0, 0, 0, 0)
        for image in answer.images {
            let n = image.image + 1
            let item = image.kind == "video" ? "video" : "picture"
            let platforms = image.platformsMatched
            let feedback = image.feedback
            let (removed, pending, notViolating) = (feedback["removed"] ?? 0, feedback["pending_review"] ?? 0, feedback["not_violating"] ?? 0)
            outcomes.removed += removed
            outcomes.pending += pending
            outcomes.notViolating += notViolating
            if platforms == 0 {
                text += "  \(item) \(n): not found so far\n"
                continue
            }
            outcomes.found += 1
            var parts: [String] = []
            if removed > 0 { parts.append("removed: \(removed)") }
            if pending > 0 { parts.append("under review: \(pending)") }
            if notViolating > 0 { parts.append("judged not violating: \(notViolating)") }
            let reported = parts.isEmpty ? "no outcome reported yet" : parts.joined(separator: ", ")
            text += "  \(item) \(n): found on \(platforms) platform\(platforms == 1 ? "" : "s"); \(reported)\n"
        }
        if status == "withdrawn" {
            text += "\nThe bank no longer holds your hashes, so nothing more will be found. You can open a new case at any time.\n\n"
            return text + help
        }
        text += "\nWhat this means:\n"
        if outcomes.found == 0 {
            text += "  No platform has found a copy of your pictures so far. The bank keeps checking what platforms send, so this can change.\n"
        } else {
            text += """
                  "Found" means that a platform checked something uploaded to it against the bank, and it matched the
                  hashes of one of your pictures. Nobody at the bank has seen the upload. The platform then has it reviewed
                  and reports what it did:

                """
            text += "  - removed: the platform took the upload down.\n"
            text += "  - under review: the platform is still looking at it; check again later.\n"
            if outcomes.notViolating > 0 {
                text += """
                      - judged not violating: the platform's reviewer decided that the upload did not break its rules, so
                        it stayed up. Sometimes a different picture that looks alike matches. If you think it is your
                        picture, you can report it to that platform directly (most have a form for intimate images shared
                        without consent), or ask StopNCII.org, Take It Down, a helpline or the police for help with it.

                    """
            } else {
                text += "  - judged not violating: the platform's reviewer decided the upload did not break its rules.\n"
            }
            if outcomes.removed + outcomes.pending + outcomes.notViolating < outcomes.found {
                text += "  A platform that has not reported an outcome yet may still be reviewing.\n"
            }
        }
        text += "\n" + help
        return text
    }
}
