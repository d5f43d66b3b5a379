import ArgumentParser
import Foundation
import NCCBank

/// `nccmatch admin`: the bank operator's commands, working on the data directory directly.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Operator commands: platforms and their API keys, the audit log.",
        subcommands: [PlatformCommand.self, AuditCommand.self]
    )
}

/// Options shared by the admin commands.
struct DataOption: ParsableArguments {
    @Option(help: "The server's data directory.")
    var data: String = "nccmatch-data"

    func open() throws -> SQLiteBankStore {
        do {
            return try SQLiteBankStore(directory: data)
        } catch {
            FileHandle.standardError.write(Data("nccmatch admin: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// Reports a store error and exits 1.
func adminFailure(_ error: any Error) -> ExitCode {
    let message = (error as? BankError)?.message ?? String(describing: error)
    FileHandle.standardError.write(Data("nccmatch admin: \(message)\n".utf8))
    return ExitCode(1)
}

struct PlatformCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "platform",
        abstract: "Add, list or revoke the platforms allowed to match.",
        subcommands: [Add.self, List.self, Revoke.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a platform and print its API key (shown only this once).")
        @Argument(help: "A unique name for the platform.") var name: String
        @OptionGroup var options: DataOption

        func validate() throws {
            if name.isEmpty || name.count > 100 || name.contains(where: { $0.isNewline }) {
                throw ValidationError("The name must be 1 to 100 characters on one line.")
            }
        }

        func run() async throws {
            let store = try options.open()
            let key = APIKey.generate()
            do {
                _ = try await store.addPlatform(name: name, key: key)
            } catch { throw adminFailure(error) }
            print(key.text)
            FileHandle.standardError.write(Data("""
                Platform \(name) added. Its API key is printed above, only this once: give it to the platform over \
                a safe channel. The bank keeps only a hash of it.

                """.utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List platforms (names, key prefixes, state; never keys).")
        @OptionGroup var options: DataOption

        func run() async throws {
            let store = try options.open()
            let platforms: [PlatformRecord]
            do { platforms = try await store.listPlatforms() } catch { throw adminFailure(error) }
            let format = ISO8601DateFormatter()
            if platforms.isEmpty { print("No platforms yet; add one with `nccmatch admin platform add NAME --data \(options.data)`.") }
            for p in platforms {
                let state = p.revokedAt.map { "revoked \(format.string(from: $0))" } ?? "active"
                print("\(p.name)\tncc_\(p.keyPrefix)_…\tadded \(format.string(from: p.createdAt))\t\(state)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a platform's key; a running server refuses it at once.")
        @Argument(help: "The platform's name.") var name: String
        @OptionGroup var options: DataOption

        func run() async throws {
            let store = try options.open()
            do { _ = try await store.revokePlatform(name: name) } catch { throw adminFailure(error) }
            print("The key of \(name) is revoked.")
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Print the audit log: who did what, when, with which match reference (never hashes or secrets).")
    @OptionGroup var options: DataOption
    @Option(help: "How many of the latest entries to print.") var limit: Int = 100
    @Flag(help: "One JSON object per line instead of tab-separated text.") var json = false

    func run() async throws {
        let store = try options.open()
        let entries: [AuditEntry]
        do { entries = try await store.auditEntries(limit: max(1, limit), after: nil) } catch { throw adminFailure(error) }
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for e in entries {
            if json {
                var object: [String: Any] = ["id": e.id, "at": format.string(from: e.at), "actor": e.actor, "action": e.action]
                if let c = e.caseID { object["case_id"] = c }
                if let m = e.matchRef { object["match_ref"] = m }
                if let d = e.detail { object["detail"] = d }
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print([String(e.id), format.string(from: e.at), e.actor, e.action, e.caseID ?? "-", e.matchRef ?? "-", e.detail ?? "-"].joined(separator: "\t"))
            }
        }
    }
}
