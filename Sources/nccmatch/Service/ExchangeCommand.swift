import ArgumentParser
import Foundation
import NCCBank
import NCCExchange
import Synchronization

/// `nccmatch exchange`: the hash exchanges that fill the banks (StopNCII, NCMEC, pytx files, signal CSV), working
/// on the store directly like `nccmatch admin`, so they work while `serve` runs (a running server sees added
/// exchanges on its next tick and imported hashes within about a second).
struct ExchangeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchange",
        abstract: "Hash exchanges filling the banks: add, list, fetch now, remove, the feedback sent back.",
        discussion: """
            Credentials are never stored: an exchange names the environment variables holding them \
            (StopNCII: fetch_key, subscription_key, feedback_key; NCMEC: user, password), read by \
            `nccmatch serve` and `nccmatch exchange fetch` from their own environment. See docs/exchanges.md.
            """,
        subcommands: [Add.self, List.self, Change.self, Fetch.self, Remove.self, Feedback.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an exchange feeding a bank (`nccmatch bank add` it first).",
            discussion: """
                Without --credential the variables are STOPNCII_FETCH_KEY, STOPNCII_SUBSCRIPTION_KEY, \
                STOPNCII_FEEDBACK_KEY (stopncii) and NCMEC_USER, NCMEC_PASSWORD (ncmec); name others with \
                --credential fetch_key=MY_VARIABLE. The endpoint is the API's base URL (StopNCII's public API by \
                default; NCMEC's environment, e.g. https://report.cybertip.org/hashsharing, is required) or the \
                file's absolute path (local_file, signal_csv).
                """)
        @Argument(help: "A unique name: 1 to 64 of a-z, 0-9, '_' and '-', starting with a letter.") var name: String
        @Option(help: "stopncii, ncmec, local_file or signal_csv.") var kind: ExchangeSettings.Kind
        @Option(help: "The bank its hashes fill (not `cases`).") var bank: String
        @Option(help: ArgumentHelp("The API's base URL, or the file's absolute path.", valueName: "url-or-path")) var endpoint: String?
        @Option(parsing: .singleValue, help: ArgumentHelp("A credential and the environment variable holding it (repeatable).", valueName: "name=VARIABLE"))
        var credential: [String] = []
        @Option(help: "Seconds between fetches in `serve` (at least 10).") var interval: Int = ExchangeSettings.defaultInterval
        @Flag(help: "Add it switched off: `serve` does not fetch it.") var disabled = false
        @Option(help: ArgumentHelp("Your platform's name as the exchange shows it on your feedback (StopNCII: the `source` of your CSPFeedbacks). With it, feedback whose sending was cut off is checked against the exchange's feed instead of being sent again.", valueName: "name"))
        var feedbackSource: String?
        @OptionGroup var options: DataOption

        func validate() throws {
            if let feedbackSource, !ExchangeSettings.isValidFeedbackSource(feedbackSource) {
                throw ValidationError("--feedback-source is 1 to \(ExchangeSettings.maxFeedbackSourceLength) characters, no control characters: the name the exchange shows for your platform.")
            }
            guard ExchangeSettings.isValidName(name) else {
                throw ValidationError("An exchange name is 1 to 64 characters of a-z, 0-9, '_' and '-', starting with a letter.")
            }
            guard interval >= ExchangeSettings.minimumInterval else {
                throw ValidationError("--interval is at least \(ExchangeSettings.minimumInterval) seconds (exchanges ask partners not to poll harder).")
            }
            _ = try credentials()
            let settings = try settings()
            do { try settings.validateEndpoint() } catch { throw ValidationError(error.message) }
        }

        /// The kind's default variables, with the operator's `--credential`s over them.
        func credentials() throws -> [String: String] {
            var map = kind.defaultCredentialEnvironment
            for item in credential {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, kind.credentialNames.contains(parts[0]) else {
                    let names = kind.credentialNames.isEmpty ? "none (it reads a file)" : kind.credentialNames.joined(separator: ", ")
                    throw ValidationError("--credential is name=VARIABLE; the names for \(kind.rawValue) are \(names).")
                }
                guard ExchangeSettings.isValidVariableName(parts[1]) else {
                    throw ValidationError("--credential \(parts[0])=… must name an environment variable (letters, digits and '_'), not hold the secret itself.")
                }
                map[parts[0]] = parts[1]
            }
            return map
        }

        func settings() throws -> ExchangeSettings {
            ExchangeSettings(name: name, kind: kind, bank: bank, endpoint: endpoint, credentialEnvironment: try credentials(),
                             intervalSeconds: interval, enabled: !disabled, feedbackSource: feedbackSource)
        }

        func run() async throws {
            let settings = try settings()
            let store = try await openExchangeBankStore(options)
            do { try await store.addExchange(settings) } catch { throw bankFailure(error) }
            print("Exchange \(name) added: \(kind.rawValue) into bank \(bank), every \(interval) s, \(disabled ? "disabled" : "enabled").")
            let environment = ProcessInfo.processInfo.environment
            for (credentialName, variable) in settings.credentialEnvironment.sorted(by: { $0.key < $1.key }) {
                let set = !(environment[variable] ?? "").isEmpty
                print("  \(credentialName) from $\(variable)\(set ? "" : " (not set here: set it where `serve` and `exchange fetch` run)")")
            }
            if kind == .stopNCII, feedbackSource == nil {
                print("  no --feedback-source: feedback whose sending is cut off (a crash, a time-out) is sent again, so StopNCII may receive it twice; `nccmatch exchange set \(name) --feedback-source NAME` adds it.")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List exchanges: kind, bank, interval, enabled, records held, checkpoint, feedback by state.")
        @OptionGroup var options: DataOption

        func run() async throws {
            let store = try await openExchangeBankStore(options)
            do {
                let exchanges = try await store.exchanges()
                let items = try await store.items()
                print(["exchange", "kind", "bank", "interval", "enabled", "records", "checkpoint",
                       "feedback_pending", "feedback_delivered", "feedback_failed"].joined(separator: "\t"))
                for exchange in exchanges {
                    let records = try await store.exchangeRecordCount(exchange: exchange.name)
                    let checkpoint = try await store.checkpoint(exchange: exchange.name)
                    let place = checkpoint == nil ? "none" : exchange.kind.readsFile ? "stored" : checkpoint!.isAtEnd ? "at_end" : "in_run"
                    var counts = [0, 0, 0]
                    for item in items where item.key.exchange == exchange.name {
                        switch item.state {
                        case .pending: counts[0] += 1
                        case .delivered: counts[1] += 1
                        case .failed: counts[2] += 1
                        }
                    }
                    print([exchange.name, exchange.kind.rawValue, exchange.bank, "\(exchange.intervalSeconds)", exchange.enabled ? "yes" : "no",
                           "\(records)", place] .joined(separator: "\t") + "\t" + counts.map(String.init).joined(separator: "\t"))
                }
            } catch { throw bankFailure(error) }
        }
    }

    struct Change: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Change an exchange: switch `serve`'s fetching on or off, its interval, its feedback source.")
        @Argument(help: "The exchange's name.") var name: String
        @Flag(help: "Switch fetching on or off.") var switchTo: Switch?
        @Option(help: "Seconds between fetches (at least 10).") var interval: Int?
        @Option(help: ArgumentHelp("Your platform's name as the exchange shows it on your feedback (see `exchange add`); an empty value removes it.", valueName: "name"))
        var feedbackSource: String?
        @OptionGroup var options: DataOption

        enum Switch: String, EnumerableFlag { case enable, disable }

        func validate() throws {
            if switchTo == nil && interval == nil && feedbackSource == nil {
                throw ValidationError("Nothing to change: give --enable, --disable, --interval N or --feedback-source NAME.")
            }
            if let feedbackSource, !feedbackSource.isEmpty, !ExchangeSettings.isValidFeedbackSource(feedbackSource) {
                throw ValidationError("--feedback-source is 1 to \(ExchangeSettings.maxFeedbackSourceLength) characters, no control characters: the name the exchange shows for your platform.")
            }
            if let interval, interval < ExchangeSettings.minimumInterval {
                throw ValidationError("--interval is at least \(ExchangeSettings.minimumInterval) seconds.")
            }
        }

        func run() async throws {
            let store = try await openExchangeBankStore(options)
            do {
                guard var exchange = try await store.exchanges().first(where: { $0.name == name }) else { throw BankError.exchangeNotFound(name) }
                if let switchTo { exchange.enabled = switchTo == .enable }
                if let interval { exchange.intervalSeconds = interval }
                if let feedbackSource { exchange.feedbackSource = feedbackSource.isEmpty ? nil : feedbackSource }
                try await store.updateExchange(exchange)
                let source = exchange.feedbackSource.map { ", feedback source \($0)" } ?? ""
                print("Exchange \(name): \(exchange.enabled ? "enabled" : "disabled"), every \(exchange.intervalSeconds) s\(source).")
            } catch { throw bankFailure(error) }
        }
    }

    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch an exchange's feed now, from its checkpoint, and print the counts (never values).",
            discussion: """
                Reads the credentials from this process's environment. Each page is stored with its checkpoint, so \
                an interrupted fetch resumes there; a running server picks the hashes up within about a second. \
                Prints one `name<TAB>count` line each: pages, stored, removed, entries_replaced, rejected and \
                rejected_<reason> per reason, end (yes when the feed was read to its end). Exits 1 on an exchange \
                error, after printing what was applied before it.
                """)
        @Argument(help: "The exchange's name.") var name: String
        @Option(help: "Read at most this many pages (the next fetch resumes).") var maxPages: Int = 10_000
        @OptionGroup var options: DataOption

        func validate() throws {
            if maxPages < 1 { throw ValidationError("--max-pages is at least 1.") }
        }

        func run() async throws {
            let store = try await openExchangeBankStore(options)
            let sync: ExchangeSync
            do {
                guard let settings = try await store.exchanges().first(where: { $0.name == name }) else { throw BankError.exchangeNotFound(name) }
                let importer = try settings.makeImporter(environment: ProcessInfo.processInfo.environment)
                sync = ExchangeSync(exchange: name, importer: importer, store: store, maxPages: maxPages)
            } catch { throw bankFailure(error) }
            let last = Mutex<ExchangeSync.Report?>(nil)
            do {
                let report = try await sync.run { report in last.withLock { $0 = report } }
                Self.print(report)
            } catch {
                if let report = last.withLock({ $0 }) { Self.print(report) } else { Swift.print("pages\t0") }
                throw bankFailure(error)
            }
        }

        static func print(_ report: ExchangeSync.Report) {
            var lines = [("pages", report.pages), ("stored", report.upserted), ("removed", report.removed),
                         ("entries_replaced", report.entriesReplaced), ("rejected", report.rejections.total)]
            for (code, count) in report.rejections.counts.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                lines.append(("rejected_\(code.rawValue)", count))
            }
            for (label, count) in lines { Swift.print("\(label)\t\(count)") }
            Swift.print("end\t\(report.reachedEnd ? "yes" : "no")")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an exchange with its records (they stop matching), checkpoint and unsent feedback.")
        @Argument(help: "The exchange's name.") var name: String
        @OptionGroup var options: DataOption

        func run() async throws {
            let store = try await openExchangeBankStore(options)
            let removed: Int
            do { removed = try await store.removeExchange(name: name) } catch { throw bankFailure(error) }
            print("Exchange \(name) removed with its \(removed) records; a running server stops matching them within about a second.")
        }
    }

    struct Feedback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The feedback sent back to exchanges: exchange, outcome, state, tries, last error.",
            discussion: """
                One line per item. Hash values are left out unless --show-values is given (they are the \
                exchange's data: keep such output private). State in_doubt: its sending was cut off (the server \
                stopped, or no answer came); with a feedback source (StopNCII) it is settled from the exchange's \
                feed (delivered when the feed shows it, else sent again, within three fetch intervals); without \
                one it is sent again. `at` is when it is looked at next.
                """)
        @Argument(help: "Only this exchange's items.") var name: String?
        @Flag(help: "Add each item's signal type and hash value.") var showValues = false
        @OptionGroup var options: DataOption

        func run() async throws {
            let store = try await openExchangeBankStore(options)
            let items: [FeedbackItem]
            do { items = try await store.items() } catch { throw bankFailure(error) }
            let format = ISO8601DateFormatter()
            var header = ["exchange", "outcome", "state", "at", "attempts", "last_error"]
            if showValues { header += ["signal_type", "value"] }
            print(header.joined(separator: "\t"))
            for item in items where name == nil || item.key.exchange == name {
                let (state, at): (String, String)
                switch item.state {
                case .pending(let notBefore): (state, at) = (item.inDoubtSince == nil ? "pending" : "in_doubt", format.string(from: notBefore))
                case .delivered(let date): (state, at) = ("delivered", format.string(from: date))
                case .failed(let code): (state, at) = ("failed:\(code.rawValue)", "-")
                }
                var line = [item.key.exchange, item.key.outcome.rawValue, state, at, "\(item.attempts)", item.lastError?.rawValue ?? "-"]
                if showValues { line += [item.key.record.signalType.description, item.key.record.signalValue] }
                print(line.joined(separator: "\t"))
            }
        }
    }
}

extension ExchangeSettings.Kind: ExpressibleByArgument {}
