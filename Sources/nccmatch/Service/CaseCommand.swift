import ArgumentParser
import Foundation
import NCCClient
import NCCHashing

/// `nccmatch case`: a victim's (or a helper's) commands: open a case from pictures hashed on this machine,
/// add pictures to it, check it, withdraw it.
struct CaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case",
        abstract: "Open a case with hashes of your pictures, add pictures, check on it, or withdraw it.",
        discussion: "Pictures are hashed on this computer; only the hashes are sent. The pictures never leave it.",
        subcommands: [Submit.self, Add.self, Status.self, Withdraw.self]
    )

    /// Options every command that hashes pictures for a case shares.
    struct PictureOptions: ParsableArguments {
        @Flag(help: "Go on without asking when some files (videos, formats nccmatch cannot decode, damaged or very plain pictures) can only be matched as exact copies (MD5, SHA-256).")
        var exactOnlyOk = false

        @Option(help: .hidden) var hashesPerRequest: Int = CaseUpload.maxHashesPerRequest

        func validate() throws {
            if !(20...CaseUpload.maxHashesPerRequest).contains(hashesPerRequest) {
                throw ValidationError("--hashes-per-request must be between 20 and \(CaseUpload.maxHashesPerRequest).")
            }
        }
    }

    struct Submit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hash pictures on this computer and open a case with the hashes only.",
            discussion: """
                Before anything is sent, files that can only be matched as exact copies (formats nccmatch cannot hash \
                by their look, such as videos or damaged pictures) and files that could not be read are named, and you \
                are asked whether to go on (--exact-only-ok answers yes). Many pictures are sent in several requests.
                """)
        @Option(help: "The hash bank's address, e.g. https://bank.example.org (or http://127.0.0.1:8080 on this computer).") var server: String
        @Flag(help: "Print the answer as one JSON object (case_id, secret, accepted, rejected, pictures, skipped) for scripts.") var json = false
        @Flag(help: "Allow a plain http:// bank on another computer (the secret and hashes then travel unencrypted).") var allowInsecureHTTP = false
        @OptionGroup var pictureOptions: PictureOptions
        @Argument(help: "Pictures, or folders of pictures.")
        var paths: [String]

        func run() throws {
            let client = try CaseCommand.client(server, allowInsecureHTTP: allowInsecureHTTP, command: "case submit")
            let (pictures, skipped) = try CasePictures.hash(paths, command: "case submit")
            try CasePictures.review(pictures, skipped: skipped, exactOnlyOK: pictureOptions.exactOnlyOk, command: "case submit")
            let outcome: CaseUpload.Outcome
            do {
                outcome = try CaseUpload(client: client).send(pictures.map(\.hashes), firstImage: 0, existing: nil, limit: pictureOptions.hashesPerRequest)
            } catch let error as BankClientError {
                FileHandle.standardError.write(Data("nccmatch case submit: \(error.message)\nNo case was opened. Your pictures stayed on this computer.\n".utf8))
                throw ExitCode(1)
            }
            let report = CaseReport(pictures: pictures, skipped: skipped, outcome: outcome, firstImage: 0, server: server)
            if json {
                print(try report.json())
            } else {
                print(report.submitText(), terminator: "")
            }
            if outcome.failure != nil { throw ExitCode(1) }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hash more pictures on this computer and add their hashes to your open case.",
            discussion: "The new pictures are numbered after those already in the case. Files are checked as for `case submit`.")
        @OptionGroup var options: SecretOptions
        @OptionGroup var pictureOptions: PictureOptions
        @Argument(help: "Pictures, or folders of pictures.")
        var paths: [String]

        func run() throws {
            let client = try CaseCommand.client(options.server, allowInsecureHTTP: options.allowInsecureHTTP, command: "case add")
            let (pictures, skipped) = try CasePictures.hash(paths, command: "case add")
            try CasePictures.review(pictures, skipped: skipped, exactOnlyOK: pictureOptions.exactOnlyOk, command: "case add")
            let secret = options.resolvedSecret()
            let outcome: CaseUpload.Outcome
            let first: Int
            do {
                // New pictures are numbered after the highest picture number the case already has.
                let status = try client.caseStatus(caseID: options.caseID, secret: secret)
                if status.status == "withdrawn" {
                    FileHandle.standardError.write(Data("nccmatch case add: this case was withdrawn, so pictures cannot be added to it. You can open a new case with nccmatch case submit. Nothing was sent.\n".utf8))
                    throw ExitCode(1)
                }
                first = (status.images.map(\.image).max() ?? -1) + 1
                outcome = try CaseUpload(client: client).send(pictures.map(\.hashes), firstImage: first, existing: (options.caseID, secret), limit: pictureOptions.hashesPerRequest)
            } catch let error as BankClientError {
                FileHandle.standardError.write(Data("nccmatch case add: \(error.message)\nNothing was added. Your pictures stayed on this computer.\n".utf8))
                throw ExitCode(1)
            }
            let report = CaseReport(pictures: pictures, skipped: skipped, outcome: outcome, firstImage: first, server: options.server)
            if options.json {
                print(try report.json())
            } else {
                print(report.addText(), terminator: "")
            }
            if outcome.failure != nil { throw ExitCode(1) }
        }
    }

    /// A client for `server`, or a message and exit status 1.
    static func client(_ server: String, allowInsecureHTTP: Bool, command: String) throws -> BankClient {
        do {
            return try BankClient(server: server, allowInsecureHTTP: allowInsecureHTTP)
        } catch let error as BankClientError {
            FileHandle.standardError.write(Data("nccmatch \(command): \(error.message) Nothing was sent.\n".utf8))
            throw ExitCode(1)
        }
    }
}
