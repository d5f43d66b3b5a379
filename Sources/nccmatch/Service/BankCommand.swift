import ArgumentParser
import Foundation
import NCCBank
import NCCExchange

/// `nccmatch bank`: the operator's named banks (the victims' own bank `cases`, exchange banks, allow-lists) and
/// quarantine, working on the store directly like `nccmatch admin`, so they work while `serve` runs (a running
/// server re-reads bank settings and quarantine within about a second).
struct BankCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bank",
        abstract: "Named banks: add, list, change or remove them; quarantine or release one item.",
        discussion: """
            The victims' cases go to the bank `cases`, which always exists. Exchanges (`nccmatch exchange add`) \
            fill the other banks. A bank with --role allow holds known false positives: an upload near one of its \
            hashes gets no match from any bank. Output never holds hash values.
            """,
        subcommands: [Add.self, List.self, Change.self, Remove.self, Quarantine.self, Release.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a bank (filled later by an exchange).")
        @Argument(help: "A unique name: 1 to 64 of a-z, 0-9, '_' and '-', starting with a letter.") var name: String
        @Option(help: "match (its hashes are answered) or allow (its hashes silence every match).") var role: BankRole = .match
        @Option(help: "PDQ distance its hashes match within (default: the service's, 31).") var pdqDistance: Int?
        @Flag(help: "Allow a --pdq-distance above 31 (unrelated pictures start matching there).") var allowWideDistance = false
        @Flag(help: "Add it switched off: its hashes are kept, never matched.") var disabled = false
        @OptionGroup var options: DataOption

        func run() async throws {
            let store = try await openExchangeBankStore(options)
            let settings = BankSettings(name: name, role: role, enabled: !disabled, pdqDistance: pdqDistance, distanceOverride: allowWideDistance)
            do { try await store.addBank(settings) } catch { throw bankFailure(error) }
            print("Bank \(name) added (\(role.rawValue), \(disabled ? "disabled" : "enabled"), PDQ distance \(pdqDistance.map(String.init) ?? "default")).")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List banks: name, role, enabled, PDQ distance, hashes held, the exchanges filling it.")
        @OptionGroup var options: DataOption

        func run() async throws {
            let store = try await openExchangeBankStore(options)
            do {
                let banks = try await store.banks()
                let exchanges = try await store.exchanges()
                print(["bank", "role", "enabled", "pdq_distance", "hashes", "exchanges"].joined(separator: "\t"))
                for bank in banks {
                    let filling = exchanges.filter { $0.bank == bank.name }
                    var held = 0
                    if bank.name == BankSettings.ownBankName {
                        held = try await store.loadHashes().count
                    } else {
                        for exchange in filling { held += try await store.exchangeRecordCount(exchange: exchange.name) }
                    }
                    let distance = bank.pdqDistance.map { "\($0)\(bank.distanceOverride ? " (override)" : "")" } ?? "default"
                    print([bank.name, bank.role.rawValue, bank.enabled ? "yes" : "no", distance, String(held),
                           filling.isEmpty ? "-" : filling.map(\.name).joined(separator: ",")].joined(separator: "\t"))
                }
            } catch { throw bankFailure(error) }
        }
    }

    struct Change: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Change a bank: switch it on or off, its PDQ distance.",
            discussion: "A running server applies the change within about a second.")
        @Argument(help: "The bank's name.") var name: String
        @Flag(help: "Switch it on or off.") var switchTo: Switch?
        @Option(help: "PDQ distance its hashes match within.") var pdqDistance: Int?
        @Flag(help: "Go back to the service's default PDQ distance.") var defaultDistance = false
        @Flag(help: "Allow a --pdq-distance above 31.") var allowWideDistance = false
        @OptionGroup var options: DataOption

        enum Switch: String, EnumerableFlag { case enable, disable }

        func validate() throws {
            if pdqDistance != nil && defaultDistance { throw ValidationError("Give --pdq-distance or --default-distance, not both.") }
            if switchTo == nil && pdqDistance == nil && !defaultDistance && !allowWideDistance {
                throw ValidationError("Nothing to change: give --enable, --disable, --pdq-distance N or --default-distance.")
            }
        }

        func run() async throws {
            let store = try await openExchangeBankStore(options)
            do {
                guard var bank = try await store.banks().first(where: { $0.name == name }) else { throw BankError.bankNotFound(name) }
                if let switchTo { bank.enabled = switchTo == .enable }
                if let pdqDistance { bank.pdqDistance = pdqDistance }
                if defaultDistance {
                    bank.pdqDistance = nil
                    bank.distanceOverride = false
                }
                if allowWideDistance { bank.distanceOverride = true }
                try await store.updateBank(bank)
                print("Bank \(name): \(bank.enabled ? "enabled" : "disabled"), PDQ distance \(bank.pdqDistance.map(String.init) ?? "default").")
            } catch { throw bankFailure(error) }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a bank no exchange fills (remove its exchanges first; `cases` stays).")
        @Argument(help: "The bank's name.") var name: String
        @OptionGroup var options: DataOption

        func run() async throws {
            let store = try await openExchangeBankStore(options)
            do { try await store.removeBank(name: name) } catch { throw bankFailure(error) }
            print("Bank \(name) removed.")
        }
    }

    struct Quarantine: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop one bank item from matching: <bank>/<id>, as the audit log's quarantine_flagged entries name it.")
        @Argument(help: "The item, <bank>/<id>.") var item: String
        @OptionGroup var options: DataOption

        func run() async throws {
            try await setQuarantine(item, true, options)
            print("\(item) is quarantined: it no longer matches. `nccmatch bank release \(item)` undoes it.")
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a quarantined item match again: <bank>/<id>.")
        @Argument(help: "The item, <bank>/<id>.") var item: String
        @OptionGroup var options: DataOption

        func run() async throws {
            try await setQuarantine(item, false, options)
            print("\(item) is released: it matches again.")
        }
    }
}

extension BankRole: ExpressibleByArgument {}

private func setQuarantine(_ text: String, _ quarantined: Bool, _ options: DataOption) async throws {
    guard let reference = BankItemReference(parsing: text) else {
        throw ValidationError("An item is <bank>/<id>, such as stopncii/1234 (the audit log's quarantine_flagged entries name them).")
    }
    let store = try await openExchangeBankStore(options)
    do { try await store.setQuarantined(reference, quarantined) } catch { throw bankFailure(error) }
}

/// The store behind `options` as an `ExchangeBankStore`, or exit 1 saying so.
func openExchangeBankStore(_ options: DataOption) async throws -> any BankStore & ExchangeBankStore {
    let store = try await options.open()
    guard let banks = store as? any BankStore & ExchangeBankStore else {
        FileHandle.standardError.write(Data("nccmatch: this bank's store does not hold named banks and exchanges.\n".utf8))
        throw ExitCode(1)
    }
    return banks
}

/// Reports a store or exchange error (its code and message, never a value) and exits 1.
func bankFailure(_ error: any Error) -> ExitCode {
    let message: String
    switch error {
    case let error as BankError: message = "\(error.code.rawValue): \(error.message)"
    case let error as ExchangeError: message = error.description
    case let error as ExchangeConnectionError: message = error.description
    case let error as ExitCode: return error
    default: message = String(describing: error)
    }
    FileHandle.standardError.write(Data("nccmatch: \(message)\n".utf8))
    return ExitCode(1)
}
