import ArgumentParser
import Foundation
import NCCBank
import NCCBankPostgres
import NCCBankSQLite

/// `nccmatch admin`: the bank operator's commands, working on the bank directly (the SQLite file in `--data`,
/// or PostgreSQL with `--database`; `DataOption.open` chooses the driver).
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Operator commands: platforms and their API keys, the audit log, schema migrations.",
        subcommands: [PlatformCommand.self, AuditCommand.self, MigrateCommand.self, ExportCommand.self, ImportCommand.self]
    )
}

/// Options shared by the admin commands.
struct DataOption: ParsableArguments {
    @Option(help: "The server's data directory.")
    var data: String = "nccmatch-data"

    @Option(help: ArgumentHelp("A PostgreSQL bank (postgres://...) instead of --data (default: $NCCMATCH_DATABASE_URL).", valueName: "url"))
    var database: String?

    /// `--database`, else `NCCMATCH_DATABASE_URL`, else nil (the SQLite file in --data).
    var databaseURL: String? {
        if let database, !database.isEmpty { return database }
        if let env = ProcessInfo.processInfo.environment["NCCMATCH_DATABASE_URL"], !env.isEmpty { return env }
        return nil
    }

    func open() async throws -> any BankStore {
        do {
            if let url = databaseURL { return try await PostgresBankStore(url: url) }
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
            let store = try await options.open()
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
            let store = try await options.open()
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
            let store = try await options.open()
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
        let store = try await options.open()
        let entries: [AuditEntry]
        do { entries = try await store.auditEntries(limit: max(1, limit), after: nil) } catch { throw adminFailure(error) }
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for e in entries {
            if json {
                let line = AuditLine(id: e.id, at: format.string(from: e.at), actor: e.actor, action: e.action,
                                     caseID: e.caseID, matchRef: e.matchRef, detail: e.detail)
                print(String(decoding: try encoder.encode(line), as: UTF8.self))
            } else {
                print([String(e.id), format.string(from: e.at), e.actor, e.action, e.caseID ?? "-", e.matchRef ?? "-", e.detail ?? "-"].joined(separator: "\t"))
            }
        }
    }
}

/// One audit entry as `admin audit --json` prints it (absent fields are left out).
private struct AuditLine: Encodable {
    var id: Int64
    var at: String
    var actor: String
    var action: String
    var caseID: String?
    var matchRef: String?
    var detail: String?

    enum CodingKeys: String, CodingKey {
        case id, at, actor, action, detail
        case caseID = "case_id"
        case matchRef = "match_ref"
    }
}

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Bring the bank's schema up to date (the server also does this at start).")
    @OptionGroup var options: DataOption

    func run() async throws {
        if let url = options.databaseURL {
            do {
                let store = try await PostgresBankStore(url: url)
                let result = try await store.migrate()
                let tls = try await store.connectionIsEncrypted() ? "TLS" : "not encrypted"
                print("PostgreSQL bank \(store.url) (\(tls)): schema version \(result.current).")
            } catch { throw adminFailure(error) }
        } else {
            _ = try await options.open()
            print("SQLite bank in \(options.data): schema up to date.")
        }
    }
}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the bank's active cases (hashes grouped by case and picture) to a file, for `admin import`.",
        discussion: """
            The file holds no case secret and no API key (only each case's slow, salted secret verifier, so its \
            owner can still check and withdraw it), and ends with a SHA-256 checksum that import verifies. \
            It does hold the bank's hashes: keep it private (it is written owner-readable) and delete it after \
            the import. Platforms, match references, feedback and the audit log are not exported.
            """)
    @OptionGroup var options: DataOption
    @Argument(help: "The file to write.") var file: String

    func run() async throws {
        let store = try await options.open()
        do {
            let summary = try await BankTransfer.export(from: store, to: file)
            print("Exported \(summary.cases) cases with \(summary.hashes) hashes to \(file).")
        } catch { throw adminFailure(error) }
    }
}

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add the cases of an `admin export` file to this bank, after checking its checksum.",
        discussion: """
            Nothing is written unless the whole file is complete and its checksum matches. Cases are added whole \
            (on PostgreSQL many per transaction, on SQLite one per transaction); a case whose id the bank already \
            has is skipped, so an interrupted import can be run again. Running servers on a PostgreSQL bank pick the cases up at once; restart servers on SQLite.
            """)
    @OptionGroup var options: DataOption
    @Argument(help: "The file written by `nccmatch admin export`.") var file: String

    func run() async throws {
        let store = try await options.open()
        do {
            let summary = try await BankTransfer.importBank(from: file, into: store) { done in
                FileHandle.standardError.write(Data("\(done) cases imported\n".utf8))
            }
            print("Imported \(summary.cases) cases with \(summary.hashes) hashes; \(summary.skipped) were already in the bank.")
        } catch { throw adminFailure(error) }
    }
}
