import ArgumentParser
import Foundation
import NCCHashing

/// `nccmatch case`: a victim's (or a helper's) commands: open a case from pictures hashed on this machine,
/// check it, withdraw it.
struct CaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case",
        abstract: "Open a case with hashes of your pictures, check on it, or withdraw it.",
        discussion: "Pictures are hashed on this computer; only the hashes are sent. The pictures never leave it.",
        subcommands: [Submit.self, Status.self, Withdraw.self]
    )

    struct Submit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hash pictures on this computer and open a case with the hashes only.")
        @Option(help: "The hash bank's address, e.g. http://127.0.0.1:8080.") var server: String
        @Flag(help: "Print the answer as one JSON object (case_id, secret, accepted, rejected) for scripts.") var json = false
        @Argument(help: "Pictures, or folders of pictures (other files, such as videos, are sent as MD5 and SHA-256 only).")
        var paths: [String]

        func run() throws {
            let client = try BankClient(server: server)
            var files: [String] = []
            for path in paths {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                    FileHandle.standardError.write(Data("nccmatch case submit: \(path) was not found; check the path. Nothing was sent.\n".utf8))
                    throw ExitCode(1)
                }
                files += isDirectory.boolValue ? ImageQueryHashing.imageFiles(in: path) : [path]
            }
            var hashes: [[String: Any]] = []
            var described: [String] = []
            for (k, path) in files.enumerated() {
                let result: FileHashResult
                do {
                    // The bank keeps PDQ of the 8 rotated and mirrored pictures (not the cheaper DCT variants),
                    // of the picture without uniform borders, with its caption bands painted over and
                    // low-passed: see docs/robustness.md.
                    result = try ImageHasher.hashFile(
                        atPath: path,
                        options: HashingOptions(pdqDihedral: false, unletterbox: true, pixelDihedral: true, captionMask: true, lowPass: true)
                    )
                } catch {
                    FileHandle.standardError.write(Data("nccmatch case submit: \(path) could not be read (\(error.message)); it was skipped.\n".utf8))
                    continue
                }
                var kinds: [String] = []
                switch result.image {
                case .success(let h):
                    hashes.append(["algorithm": "pdq", "value": h.pdq.hash.hex, "quality": h.pdq.quality, "image": k])
                    var seen: Set<String> = [h.pdq.hash.hex]
                    for variant in h.pdqPixelDihedral where seen.insert(variant.hex).inserted {
                        hashes.append(["algorithm": "pdq", "value": variant.hex, "quality": h.pdq.quality, "image": k])
                    }
                    // The unletterboxed, caption-masked and low-passed hashes are companions of the picture: they
                    // are sent with the picture's own quality, so the bank admits them when it admits the picture
                    // (stripping, masking or blurring lowers PDQ's score without making the picture plainer). The
                    // evaluation measured them so: no false match at 31 between different pictures.
                    let companions = (h.unletterboxed.map { [$0.pdq.hash] } ?? [])
                        + (h.captionMasked.map { [$0.top.hash, $0.bottom.hash] } ?? []) + (h.lowPassed.map { [$0.hash] } ?? [])
                    for variant in companions where seen.insert(variant.hex).inserted {
                        hashes.append(["algorithm": "pdq", "value": variant.hex, "quality": h.pdq.quality, "image": k])
                    }
                    hashes.append(["algorithm": "phash", "value": h.phash.hex, "image": k])
                    hashes.append(["algorithm": "dhash", "value": h.dhash.hex, "image": k])
                    kinds = ["PDQ, plus \(seen.count - 1) more so that turned, mirrored, re-framed, captioned or blurred copies match too", "pHash", "dHash"]
                case .failure:
                    kinds = []
                }
                hashes.append(["algorithm": "md5", "value": result.digests.md5, "image": k])
                hashes.append(["algorithm": "sha256", "value": result.digests.sha256, "image": k])
                kinds += ["MD5", "SHA-256"]
                described.append("  picture \(k + 1), \((path as NSString).lastPathComponent): \(kinds.joined(separator: ", "))")
            }
            if hashes.isEmpty {
                FileHandle.standardError.write(Data("nccmatch case submit: no file could be read, so nothing was sent.\n".utf8))
                throw ExitCode(1)
            }
            let answer: [String: Any]
            do {
                answer = try client.sendJSON("POST", "v1/cases", json: ["hashes": hashes])
            } catch let error as BankClientError {
                FileHandle.standardError.write(Data("nccmatch case submit: \(error.message)\nNo case was opened. Your pictures stayed on this computer.\n".utf8))
                throw ExitCode(1)
            }
            if json {
                let data = try JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            let caseID = answer["case_id"] as? String ?? "?"
            let secret = answer["secret"] as? String ?? "?"
            var text = """
                Your pictures were hashed on this computer. Only these hashes were sent, never the pictures:
                \(described.joined(separator: "\n"))

                Your case is open.
                  Case id: \(caseID)
                  Secret:  \(secret)

                Please keep the case id and the secret somewhere safe, for example in a password manager.
                They are shown only this once, and you need both to check on your case or to withdraw it.
                Nobody else is given them.

                """
            if let rejected = answer["rejected"] as? [[String: Any]], !rejected.isEmpty {
                var notes = Set<String>()
                for r in rejected {
                    if let i = r["index"] as? Int, i < hashes.count, let k = hashes[i]["image"] as? Int {
                        notes.insert("  picture \(k + 1): \(r["message"] as? String ?? "")")
                    }
                }
                text += "\nSome hashes could not be added:\n" + notes.sorted().joined(separator: "\n") + "\n"
            }
            text += "\nCheck on it any time with: nccmatch case status --server \(server) \(caseID)\n"
            print(text, terminator: "")
        }
    }

    /// Where a command finds the case secret: --secret, then NCCMATCH_CASE_SECRET, then one line of standard input.
    struct SecretOptions: ParsableArguments {
        @Option(help: "The hash bank's address.") var server: String
        @Option(help: "The case secret (else NCCMATCH_CASE_SECRET, else one line read from standard input).") var secret: String?
        @Flag(help: "Print the server's answer as JSON.") var json = false
        @Argument(help: "The case id.") var caseID: String

        func resolvedSecret() -> String {
            if let secret { return secret }
            if let env = ProcessInfo.processInfo.environment["NCCMATCH_CASE_SECRET"], !env.isEmpty { return env }
            if isatty(0) != 0 { FileHandle.standardError.write(Data("Case secret: ".utf8)) }
            return (readLine(strippingNewline: true) ?? "").trimmingCharacters(in: .whitespaces)
        }

        func show(_ answer: [String: Any]) throws {
            if json {
                let data = try JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            print(answer["message"] as? String ?? "")
            print("Case \(answer["case_id"] as? String ?? caseID): \(answer["status"] as? String ?? "?")")
            for image in answer["images"] as? [[String: Any]] ?? [] {
                let n = (image["image"] as? Int).map { $0 + 1 } ?? 0
                let platforms = image["platforms_matched"] as? Int ?? 0
                let feedback = image["feedback"] as? [String: Int] ?? [:]
                print("  picture \(n): found on \(platforms) platform\(platforms == 1 ? "" : "s"); removed: \(feedback["removed"] ?? 0), under review: \(feedback["pending_review"] ?? 0), judged not violating: \(feedback["not_violating"] ?? 0)")
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show whether platforms found your pictures and what they did.")
        @OptionGroup var options: SecretOptions

        func run() throws {
            let client = try BankClient(server: options.server)
            do {
                try options.show(try client.sendJSON("GET", "v1/cases/\(options.caseID)", bearer: options.resolvedSecret()))
            } catch let error as BankClientError {
                FileHandle.standardError.write(Data("nccmatch case status: \(error.message)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct Withdraw: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Withdraw your case: its hashes are deleted and no longer matched.")
        @OptionGroup var options: SecretOptions

        func run() throws {
            let client = try BankClient(server: options.server)
            do {
                try options.show(try client.sendJSON("DELETE", "v1/cases/\(options.caseID)", bearer: options.resolvedSecret()))
            } catch let error as BankClientError {
                FileHandle.standardError.write(Data("nccmatch case withdraw: \(error.message)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
