import ArgumentParser
import Foundation
import NCCHashing
import NCCIndex

/// `nccmatch match`: matches query hashes (or images, hashed on the fly) against a bank hash list.
struct MatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Match hashes or images against a bank of hashes.",
        discussion: """
            The bank and hash-list queries are JSON lines written by `nccmatch hash --format jsonl`, or text/CSV \
            lines whose first field is the hex hash and whose optional second field is an id (a header line and \
            `#` comments are allowed). A query may also be an image file or a folder of images, hashed on the fly.
            Output: one JSON object per query, in input order: \
            {"query": <id, path or line>, "matches": [{"id": <bank id or line>, "distance": n}, ...]}, \
            matches sorted by distance then bank order. A malformed line is reported with its file and line \
            number and skipped; the other lines are matched, and the exit status is 1 at the end. A hash list \
            written with `nccmatch hash --match-variants` (or --unletterbox, --caption-mask, --low-pass) sends \
            its companion hashes exactly as an image query does.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case jsonl, text }
    enum Algorithm: String, ExpressibleByArgument, CaseIterable { case pdq, phash, dhash }

    @Option(help: "The bank: a hash list file (or use --server).")
    var bank: String?

    @Option(help: "Match against a hash bank server instead of a file, e.g. http://127.0.0.1:8080 (needs --api-key).")
    var server: String?

    @Option(help: "The platform's API key for --server (else NCCMATCH_API_KEY).")
    var apiKey: String?

    @Option(help: "Items per request with --server (1 to 10000).")
    var batchSize: Int = 1000

    @Option(help: "Largest Hamming distance that matches, inclusive (default 31 for pdq, 8 for phash and dhash). With --server, one of the bank's levels: 31, 23 or 15 for pdq; 8, 6 or 4 for phash and dhash.")
    var maxDistance: Int?

    @Flag(help: "With --server: allow a plain http:// bank on another computer (the API key and hashes then travel unencrypted).")
    var allowInsecureHTTP = false

    @Option(help: "Which hash to match: pdq (default), phash or dhash.")
    var algorithm: Algorithm = .pdq

    @Flag(help: "Match any of the 8 rotations and flips of each PDQ query (from pdq_dihedral, or computed for images).")
    var dihedral = false

    @Option(help: "jsonl (default) or text.")
    var format: Format = .jsonl

    @Argument(help: "Hash lists, image files or folders of images; '-' reads a hash list from standard input.")
    var queries: [String]

    func validate() throws {
        let algorithm = hashAlgorithm
        if let d = maxDistance, !(0...algorithm.bitCount).contains(d) {
            throw ValidationError("--max-distance must be between 0 and \(algorithm.bitCount) for \(algorithm.rawValue).")
        }
        if dihedral && algorithm != .pdq {
            throw ValidationError("--dihedral applies to PDQ only; drop it or use --algorithm pdq.")
        }
        if queries.isEmpty { throw ValidationError("Give at least one query: a hash list, an image or a folder.") }
        if (bank == nil) == (server == nil) { throw ValidationError("Give either --bank FILE or --server URL.") }
        if server != nil && resolvedAPIKey == nil { throw ValidationError("--server needs --api-key KEY (or NCCMATCH_API_KEY).") }
        if !(1...10_000).contains(batchSize) { throw ValidationError("--batch-size must be between 1 and 10000.") }
        if server != nil, let d = maxDistance, !RemoteMatch.distanceLevels(algorithm).contains(d) {
            let levels = RemoteMatch.distanceLevels(algorithm).map(String.init).joined(separator: ", ")
            throw ValidationError("With --server, --max-distance for \(algorithm.rawValue) is one of the bank's fixed levels: \(levels) (pdq: 31, 23, 15; phash and dhash: 8, 6, 4). Pick one of them, or leave it out for the default.")
        }
    }

    var resolvedAPIKey: String? { apiKey ?? ProcessInfo.processInfo.environment["NCCMATCH_API_KEY"].flatMap { $0.isEmpty ? nil : $0 } }

    var hashAlgorithm: HashAlgorithm {
        switch algorithm {
        case .pdq: .pdq
        case .phash: .phash
        case .dhash: .dhash
        }
    }

    func run() throws {
        let algorithm = hashAlgorithm
        if let server, let key = resolvedAPIKey {
            try RemoteMatch(server: server, apiKey: key, algorithm: algorithm, maxDistance: maxDistance, dihedral: dihedral,
                            text: format == .text, batchSize: batchSize, allowInsecureHTTP: allowInsecureHTTP).run(queries: queries)
            return
        }
        guard let bank else { throw ExitCode(2) }
        let distance = maxDistance ?? algorithm.defaultMaxDistance
        let bankList: HashList
        do {
            bankList = try HashList.read(path: bank, algorithm: algorithm, bank: true, dihedral: false)
        } catch {
            FileHandle.standardError.write(Data("nccmatch match: \(error.matchMessage)\n".utf8))
            throw ExitCode(1)
        }
        var incomplete = !bankList.problems.isEmpty
        if incomplete {
            FileHandle.standardError.write(Data("nccmatch match: some lines of the bank were skipped:\n\(bankList.problemReport)\n".utf8))
        }
        let loaded = QuerySet.loadAll(queries, algorithm: algorithm, dihedral: dihedral, companions: algorithm == .pdq)
        incomplete = incomplete || !loaded.complete
        let queryLists = loaded.sets
        if bankList.count == 0 {
            FileHandle.standardError.write(Data("nccmatch match: note: the bank \(TerminalText.escaped(bank)) holds no hashes; nothing can match.\n".utf8))
        }
        let unhashed: Int
        if algorithm == .pdq {
            unhashed = emit(PDQIndex.self, bank: bankList, queries: queryLists, distance: distance)
        } else {
            unhashed = emit(Hash64Index.self, bank: bankList, queries: queryLists, distance: distance)
        }
        if unhashed > 0 {
            // Every query still got its line; the status tells scripts that some images were not hashed.
            FileHandle.standardError.write(Data("nccmatch match: \(unhashed) image(s) could not be hashed; see their \"error\" entries.\n".utf8))
            throw ExitCode(1)
        }
        if incomplete {
            FileHandle.standardError.write(Data("nccmatch match: every other line was matched; the lines named above were skipped.\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Writes one line per query; returns how many image queries could not be hashed.
    private func emit<Code: BinaryCode>(_: HammingIndex<Code>.Type, bank: HashList, queries: [QuerySet], distance: Int) -> Int {
        let index = HammingIndex<Code>(ids: (0..<UInt64(bank.count)).map { $0 }, words: bank.words)
        let out = LineOutput()
        var unhashed = 0
        for set in queries {
            for item in set.items {
                let line: String
                switch item.hashes {
                case .failure(let error):
                    unhashed += 1
                    line = render(query: item.id, matches: nil, error: error, bank: bank)
                case .success(let codes):
                    let variants = codes.words(for: hashAlgorithm)
                    // All variants in one batched search; keep each bank entry once, at its smallest distance.
                    let found = index.search(queryWords: variants, within: distance)
                    var best: [UInt64: Int] = [:]
                    for matches in found { for m in matches { best[m.id] = min(best[m.id] ?? Int.max, m.distance) } }
                    var sorted: [IndexMatch] = best.map { (key: UInt64, value: Int) in IndexMatch(id: key, distance: value) }
                    sorted.sort(by: Self.closerFirst)
                    line = render(query: item.id, matches: sorted, error: nil, bank: bank)
                }
                out.write(line)
            }
        }
        out.flush()
        return unhashed
    }

    static func closerFirst(_ a: IndexMatch, _ b: IndexMatch) -> Bool {
        a.distance < b.distance || (a.distance == b.distance && a.id < b.id)
    }

    private func render(query: HashListID, matches: [IndexMatch]?, error: HashListError?, bank: HashList) -> String {
        switch format {
        case .jsonl:
            if let error {
                return "{\"query\":\(query.json),\"matches\":[],\"error\":{\"code\":\(JSONObjectWriter.quoted(error.code)),\"message\":\(JSONObjectWriter.quoted(error.message))}}"
            }
            let items = (matches ?? []).map { "{\"id\":\(bank.ids[Int($0.id)].json),\"distance\":\($0.distance)}" }
            return "{\"query\":\(query.json),\"matches\":[\(items.joined(separator: ","))]}"
        case .text:
            let name = TerminalText.escaped(query.text)
            if let error { return "\(name): not hashed: \(error.message) (\(error.code))" }
            guard let matches, !matches.isEmpty else { return "\(name): no match" }
            return "\(name): " + matches.map { "\(TerminalText.escaped(bank.ids[Int($0.id)].text)) (distance \($0.distance))" }.joined(separator: ", ")
        }
    }
}

extension Error {
    /// The message of a hash-list error, or the description of another error.
    var matchMessage: String {
        if let e = self as? HashListError { return e.message }
        return String(describing: self)
    }
}

/// One query argument, expanded: the hashes of a list, or of the images of a file or folder.
struct QuerySet {
    struct Item {
        var id: HashListID
        /// Every hash of the query (see `QueryCodes`). Failure for an image that could not be hashed.
        var hashes: Result<QueryCodes, HashListError>
    }

    var items: [Item]

    /// Loads every query argument; an argument that cannot be read and malformed lines are reported on
    /// standard error and skipped, and `complete` is false, so the caller exits 1 after matching the rest.
    ///
    /// - Parameter companions: hash images with every PDQ companion (a remote match sends them whatever the
    ///   algorithm); a local pHash or dHash match needs only the plain hashes.
    static func loadAll(_ arguments: [String], algorithm: HashAlgorithm, dihedral: Bool, companions: Bool) -> (sets: [QuerySet], complete: Bool) {
        var sets: [QuerySet] = []
        var complete = true
        for argument in arguments {
            do {
                let (set, list) = try load(argument, algorithm: algorithm, dihedral: dihedral, companions: companions)
                sets.append(set)
                if let list, !list.problems.isEmpty {
                    complete = false
                    FileHandle.standardError.write(Data("nccmatch match: some lines were skipped:\n\(list.problemReport)\n".utf8))
                }
            } catch {
                complete = false
                FileHandle.standardError.write(Data("nccmatch match: \(error.message) It was skipped.\n".utf8))
            }
        }
        return (sets, complete)
    }

    /// One argument's queries: the images of a file or folder, or the entries of a hash list (returned too,
    /// for its problems).
    static func load(_ argument: String, algorithm: HashAlgorithm, dihedral: Bool, companions: Bool) throws(HashListError) -> (QuerySet, HashList?) {
        if argument != "-" {
            var info = stat()
            if stat(argument, &info) == 0 {
                let type = info.st_mode & S_IFMT
                if type == S_IFDIR {
                    return (QuerySet(items: InputFiles.expand([argument]).map { input in
                        switch input {
                        case .skipped(let path, let code, let message):
                            return Item(id: .named(path), hashes: .failure(HashListError(code: code, message: message)))
                        default:
                            return Item(id: .named(input.displayPath), hashes: ImageQueryHashing.hash(
                                path: input.displayPath, algorithm: algorithm, dihedral: dihedral, companions: companions))
                        }
                    }), nil)
                }
                if type != S_IFREG {
                    throw HashListError(
                        code: "not_a_regular_file",
                        message: "\(TerminalText.escaped(argument)) is not a regular file (a pipe, device or socket), so it was not read. Give a file, or pipe a hash list to '-'.")
                }
                if ImageQueryHashing.looksLikeImage(path: argument) {
                    return (QuerySet(items: [Item(id: .named(argument), hashes: ImageQueryHashing.hash(
                        path: argument, algorithm: algorithm, dihedral: dihedral, companions: companions))]), nil)
                }
            }
        }
        let list = try HashList.read(path: argument, algorithm: algorithm, bank: false, dihedral: dihedral)
        return (QuerySet(items: (0..<list.count).map { i in Item(id: list.ids[i], hashes: .success(list.queryCodes[i])) }), list)
    }
}

// MARK: - Seam: hashing images given as queries

/// SEAM (for the hashing facade's owner): how `match` turns an image file into query hashes.
///
/// It calls `ImageHasher.hashFile(atPath:options:)` with the default (fast) mode. Change only this enum
/// to give `match` other hashing options (exact mode, unletterboxing) or another folder walk; the rest of
/// `match` depends on nothing else of the hashing module.
enum ImageQueryHashing {
    /// JPEG and PNG signatures: anything else given as a query file is read as a hash list.
    static func looksLikeImage(path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = handle.readData(ofLength: 16)
        return head.withUnsafeBytes { ImageDecoder.detectFormat($0).imageFormat != nil }
    }

    /// Every hash of an image query: its PDQ codes (the plain one, with `dihedral` its other seven variants,
    /// and with `companions` the unletterboxed, caption-masked and low-passed ones), its pHash and dHash.
    static func hash(path: String, algorithm: HashAlgorithm, dihedral: Bool, companions: Bool) -> Result<QueryCodes, HashListError> {
        let result: FileHashResult
        do {
            // PDQ queries also send the picture with uniform borders stripped (when it has any), with
            // its top and its bottom quarter painted over, and its low-passed luma: padded, letterboxed,
            // captioned, blurred and re-brightened re-posts then match a case, which stores the same
            // variants (docs/robustness.md). The plain hash always goes too.
            let pdq = companions
            let options = HashingOptions(pdqDihedral: dihedral && algorithm == .pdq, unletterbox: pdq, captionMask: pdq, lowPass: pdq)
            result = try ImageHasher.hashFile(atPath: path, options: options)
        } catch {
            return .failure(HashListError(code: error.code, message: error.message))
        }
        switch result.image {
        case .failure(let error):
            return .failure(HashListError(code: error.code.rawValue, message: error.message))
        case .success(let hashes):
            var words = hashes.pdq.hash.codeWords
            if dihedral { for variant in hashes.pdq.dihedral.dropFirst() { words += variant.codeWords } }
            if let stripped = hashes.unletterboxed {
                words += stripped.pdq.hash.codeWords
                if dihedral { for variant in stripped.pdq.dihedral.dropFirst() { words += variant.codeWords } }
            }
            if let masked = hashes.captionMasked { words += masked.top.hash.codeWords + masked.bottom.hash.codeWords }
            if let lowPassed = hashes.lowPassed { words += lowPassed.hash.codeWords }
            return .success(QueryCodes(pdq: words, phash: hashes.phash.value, dhash: hashes.dhash.value))
        }
    }
}

