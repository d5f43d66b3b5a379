import ArgumentParser
import Foundation
import NCCHashList
import NCCHashing
import NCCVideo
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

    @Option(help: "The bank: a hash list file (or use --server). With --server: the name of a bank to match against, repeatable (default: every bank the server holds).")
    var bank: [String] = []

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
    var algorithm: HashListAlgorithm = .pdq

    @Flag(help: "Match any of the 8 rotations and flips of each PDQ query (from pdq_dihedral, or computed for images).")
    var dihedral = false

    @Option(help: "jsonl (default) or text.")
    var format: Format = .jsonl

    @Flag(help: "Match videos with vPDQ: the bank and the queries are video files, folders of them, `hash --format jsonl` or `hash --format vpdq` output.")
    var video = false

    @Option(help: "With --video: smallest share of the query's frames that must match a bank video, in percent (default 80).")
    var videoQueryPercent: Double = 80

    @Option(help: "With --video: smallest share of the bank video's frames that must match the query, in percent (default 0).")
    var videoBankPercent: Double = 0

    @Argument(help: "Hash lists, image files or folders of images (with --server, video files too, matched with vPDQ); '-' reads a hash list from standard input.")
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
        if video && (server != nil || bank.isEmpty) { throw ValidationError("--video matches against a local bank only: give --bank (video files, a folder, or hash output). With --server, leave --video out: video files are matched as videos.") }
        if video && !((0...100).contains(videoQueryPercent) && (0...100).contains(videoBankPercent)) { throw ValidationError("--video-query-percent and --video-bank-percent are percentages from 0 to 100.") }
        if bank.isEmpty && server == nil { throw ValidationError("Give either --bank FILE or --server URL.") }
        if server == nil && bank.count > 1 { throw ValidationError("A local match takes one --bank FILE; several --bank names restrict a --server match.") }
        if server != nil && bank.count > 32 { throw ValidationError("--bank names at most 32 banks with --server; leave it out to match every bank.") }
        if server != nil && resolvedAPIKey == nil { throw ValidationError("--server needs --api-key KEY (or NCCMATCH_API_KEY).") }
        if !(1...10_000).contains(batchSize) { throw ValidationError("--batch-size must be between 1 and 10000.") }
        if server != nil, let d = maxDistance, !RemoteMatch.distanceLevels(algorithm).contains(d) {
            let levels = RemoteMatch.distanceLevels(algorithm).map(String.init).joined(separator: ", ")
            throw ValidationError("With --server, --max-distance for \(algorithm.rawValue) is one of the bank's fixed levels: \(levels) (pdq: 31, 23, 15; phash and dhash: 8, 6, 4). Pick one of them, or leave it out for the default.")
        }
    }

    var resolvedAPIKey: String? { apiKey ?? ProcessInfo.processInfo.environment["NCCMATCH_API_KEY"].flatMap { $0.isEmpty ? nil : $0 } }

    var hashAlgorithm: HashAlgorithm { algorithm.hashAlgorithm }

    func run() throws {
        if video {
            try VideoMatch(bank: bank, queries: queries,
                           policy: VPDQMatchPolicy(frameDistance: maxDistance ?? 31, queryMatchPercent: videoQueryPercent, bankMatchPercent: videoBankPercent),
                           options: VideoDecodingOptions(), text: format == .text).run()
            return
        }
        let algorithm = hashAlgorithm
        if let server, let key = resolvedAPIKey {
            try RemoteMatch(server: server, apiKey: key, algorithm: algorithm, maxDistance: maxDistance, dihedral: dihedral,
                            text: format == .text, batchSize: batchSize, allowInsecureHTTP: allowInsecureHTTP, banks: bank).run(queries: queries)
            return
        }
        guard let bank = bank.first else { throw ExitCode(2) }
        let distance = maxDistance ?? algorithm.defaultMaxDistance
        let bankList: HashList
        do {
            bankList = try HashList.read(path: bank, algorithm: self.algorithm, role: .bank)
        } catch {
            FileHandle.standardError.write(Data("nccmatch match: \(TerminalText.escaped(bank)): \(error.message)\n".utf8))
            throw ExitCode(1)
        }
        var incomplete = bankList.skippedLines > 0
        if incomplete {
            FileHandle.standardError.write(Data("nccmatch match: some lines of the bank were skipped:\n\(bankList.terminalReport)\n".utf8))
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
                    // A list's entries are pictures' own hashes: the masked and low-passed forms do not reach them.
                    let variants = codes.wordsAgainstOwnHashes(for: algorithm)
                    // All variants in one batched search; keep each bank entry once, at its smallest distance.
                    let found = index.search(queryWords: variants, within: distance)
                    var best: [UInt64: Int] = [:]
                    for matches in found { for m in matches { best[m.id] = min(best[m.id] ?? Int.max, m.distance) } }
                    let matches = best.map { IndexMatch(id: $0.key, distance: $0.value) }.sorted()
                    line = render(query: item.id, matches: matches, error: nil, bank: bank)
                }
                out.write(line)
            }
        }
        out.flush()
        return unhashed
    }

    private func render(query: HashListID, matches: [IndexMatch]?, error: QueryFailure?, bank: HashList) -> String {
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

extension HashListID {
    /// The JSON value: a string for a name, a number for a line.
    var json: String {
        switch self {
        case .named(let name): JSONObjectWriter.quoted(name)
        case .line(let line): String(line)
        }
    }
}

extension HashListAlgorithm: ExpressibleByArgument {}

extension HashList {
    /// The skipped lines for standard error, the list's name escaped for a terminal.
    var terminalReport: String { problemReport(name: TerminalText.escaped) }
}

/// Why a query has no hashes: an image that could not be read or decoded, or an argument that could not be
/// read at all. `code` is the stable code of the underlying error (`FileReadError`, `ImageDecodingError`,
/// `HashListError`, or a folder walk's), as `nccmatch hash` prints it.
struct QueryFailure: Error, Sendable {
    /// The underlying error's stable code.
    var code: String
    /// Plain words: what is wrong and what to do.
    var message: String
}

/// One query argument, expanded: the hashes of a list, or of the images of a file or folder.
struct QuerySet {
    struct Item {
        var id: HashListID
        /// Every hash of the query (see `QueryCodes`). Failure for an image that could not be hashed. Empty
        /// codes for a video query (its hashes are in `video`).
        var hashes: Result<QueryCodes, QueryFailure>
        /// A video file's frames and digests, when videos are hashed as such (a remote match).
        var video: RemoteVideoQuery? = nil
    }

    var items: [Item]

    /// Loads every query argument; an argument that cannot be read and malformed lines are reported on
    /// standard error and skipped, and `complete` is false, so the caller exits 1 after matching the rest.
    ///
    /// - Parameters:
    ///   - companions: hash images with every PDQ companion the matching policy has a query send (a remote match
    ///     sends them whatever the algorithm); a local pHash or dHash match needs only the plain hashes.
    ///   - videos: hash video files (by their first bytes) as videos, `RemoteVideoQuery` (a remote match);
    ///     otherwise a video is a file that is not an image.
    static func loadAll(_ arguments: [String], algorithm: HashAlgorithm, dihedral: Bool, companions: Bool, videos: Bool = false) -> (sets: [QuerySet], complete: Bool) {
        var sets: [QuerySet] = []
        var complete = true
        guard let listAlgorithm = HashListAlgorithm(rawValue: algorithm.rawValue) else {
            FileHandle.standardError.write(Data("nccmatch match: \(algorithm.rawValue) hashes are matched exactly, not from hash lists; use pdq, phash or dhash.\n".utf8))
            return ([], false)
        }
        for argument in arguments {
            do {
                let (set, list) = try load(argument, algorithm: listAlgorithm, dihedral: dihedral, companions: companions, videos: videos)
                sets.append(set)
                if let list, list.skippedLines > 0 {
                    complete = false
                    FileHandle.standardError.write(Data("nccmatch match: some lines were skipped:\n\(list.terminalReport)\n".utf8))
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
    static func load(_ argument: String, algorithm: HashListAlgorithm, dihedral: Bool, companions: Bool, videos: Bool = false) throws(QueryFailure) -> (QuerySet, HashList?) {
        let hashing = ImageQueryHashing(algorithm: algorithm, dihedral: dihedral, companions: companions)
        /// One file's query: a video's when videos are hashed as such and the file is one, else an image's.
        func item(_ path: String) -> Item {
            guard videos && RemoteVideoQuery.looksLikeVideo(path: path) else { return Item(id: .named(path), hashes: hashing.hash(path: path)) }
            switch RemoteVideoQuery.hash(path: path) {
            case .success(let video): return Item(id: .named(path), hashes: .success(QueryCodes()), video: video)
            case .failure(let failure): return Item(id: .named(path), hashes: .failure(failure))
            }
        }
        if argument != "-" {
            var info = stat()
            if stat(argument, &info) == 0 {
                let type = info.st_mode & S_IFMT
                if type == S_IFDIR {
                    return (QuerySet(items: InputFiles.expand([argument]).map { input in
                        switch input {
                        case .skipped(let path, let code, let message):
                            return Item(id: .named(path), hashes: .failure(QueryFailure(code: code, message: message)))
                        case .file, .standardInput:
                            return item(input.displayPath)
                        }
                    }), nil)
                }
                if type != S_IFREG {
                    throw QueryFailure(
                        code: FileReadError.Code.notARegularFile.rawValue,
                        message: "\(TerminalText.escaped(argument)) is not a regular file (a pipe, device or socket), so it was not read. Give a file, or pipe a hash list to '-'.")
                }
                if ImageQueryHashing.looksLikeImage(path: argument) || (videos && RemoteVideoQuery.looksLikeVideo(path: argument)) {
                    return (QuerySet(items: [item(argument)]), nil)
                }
            }
        }
        let list: HashList
        do {
            list = try HashList.read(path: argument, algorithm: algorithm, role: .queries(dihedral: dihedral))
        } catch {
            throw QueryFailure(code: error.code.rawValue, message: "\(TerminalText.escaped(argument)): \(error.message)")
        }
        return (QuerySet(items: (0..<list.count).map { i in Item(id: list.ids[i], hashes: .success(list.queryCodes[i])) }), list)
    }
}

// MARK: - Hashing images given as queries

/// How `match` turns an image file into query hashes: `ImageHasher.hashFile(atPath:options:)` in the default
/// (fast) mode, with the hashes `MatchingPolicy` has a query send.
struct ImageQueryHashing {
    /// The hash matched.
    var algorithm: HashListAlgorithm
    /// Also send the DCT-domain rotations and mirrors (`--dihedral`).
    var dihedral: Bool
    /// Also compute the companion hashes (needed for PDQ matching, and always for a remote match).
    var companions: Bool
    /// The policy deciding what a query sends.
    var policy = MatchingPolicy.standard

    /// JPEG and PNG signatures: anything else given as a query file is read as a hash list.
    static func looksLikeImage(path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = handle.readData(ofLength: 16)
        return head.withUnsafeBytes { ImageDecoder.detectFormat($0).imageFormat != nil }
    }

    /// Every hash of an image query, as the policy orders them (see `QueryCodes`).
    func hash(path: String) -> Result<QueryCodes, QueryFailure> {
        let options = policy.queryHashingOptions(dihedral: dihedral && algorithm == .pdq, companions: companions)
        let result: FileHashResult
        do {
            result = try ImageHasher.hashFile(atPath: path, options: options)
        } catch {
            return .failure(QueryFailure(code: error.code.rawValue, message: error.message))
        }
        switch result.image {
        case .failure(let error):
            return .failure(QueryFailure(code: error.code.rawValue, message: error.message))
        case .success(let hashes):
            return .success(QueryCodes(hashes, policy: policy, dihedral: dihedral))
        }
    }
}
