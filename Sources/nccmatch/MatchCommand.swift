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
            matches sorted by distance then bank order. Malformed lines are reported with file and line number \
            and nothing is matched.
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

    @Option(help: "Largest Hamming distance that matches, inclusive (default 31 for pdq, 8 for phash and dhash).")
    var maxDistance: Int?

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
                            text: format == .text, batchSize: batchSize).run(queries: queries)
            return
        }
        guard let bank else { throw ExitCode(2) }
        let distance = maxDistance ?? algorithm.defaultMaxDistance
        let bankList: HashList
        let queryLists: [QuerySet]
        do {
            bankList = try HashList.read(path: bank, algorithm: algorithm, bank: true, dihedral: false)
            queryLists = try queries.map { try QuerySet.load($0, algorithm: algorithm, dihedral: dihedral) }
        } catch {
            FileHandle.standardError.write(Data("nccmatch match: \(error.matchMessage)\n".utf8))
            throw ExitCode(1)
        }
        if bankList.count == 0 {
            FileHandle.standardError.write(Data("nccmatch match: note: the bank \(bank) holds no hashes; nothing can match.\n".utf8))
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
                case .success(let variants):
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
            if let error { return "\(query.text): not hashed: \(error.message) (\(error.code))" }
            guard let matches, !matches.isEmpty else { return "\(query.text): no match" }
            return "\(query.text): " + matches.map { "\(bank.ids[Int($0.id)].text) (distance \($0.distance))" }.joined(separator: ", ")
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
        /// The query's code and, with --dihedral, its variants: flat words. Failure for an image that could not be hashed.
        var hashes: Result<[UInt64], HashListError>
    }

    var items: [Item]

    static func load(_ argument: String, algorithm: HashAlgorithm, dihedral: Bool) throws(HashListError) -> QuerySet {
        var isDirectory: ObjCBool = false
        let exists = argument != "-" && FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory)
        if exists && (isDirectory.boolValue || ImageQueryHashing.looksLikeImage(path: argument)) {
            let files = isDirectory.boolValue ? ImageQueryHashing.imageFiles(in: argument) : [argument]
            return QuerySet(items: files.map { path in
                Item(id: .named(path), hashes: ImageQueryHashing.hash(path: path, algorithm: algorithm, dihedral: dihedral))
            })
        }
        let list = try HashList.read(path: argument, algorithm: algorithm, bank: false, dihedral: dihedral)
        let w = algorithm.bitCount / 64
        return QuerySet(items: (0..<list.count).map { i in
            Item(id: list.ids[i], hashes: .success(Array(list.words[(i * w)..<((i + 1) * w)]) + list.variants[i]))
        })
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
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = handle.readData(ofLength: 16)
        return head.withUnsafeBytes { ImageDecoder.detectFormat($0).imageFormat != nil }
    }

    /// Files under a folder, as `nccmatch hash` walks it (byte order, hidden entries and linked folders skipped).
    static func imageFiles(in directory: String) -> [String] {
        InputFiles.expand([directory]).compactMap { input in
            if case .file(let path) = input { return path }
            return nil
        }
    }

    /// The query code (and with `dihedral` the other seven PDQ variants), as flat words.
    static func hash(path: String, algorithm: HashAlgorithm, dihedral: Bool) -> Result<[UInt64], HashListError> {
        let result: FileHashResult
        do {
            // PDQ queries also send the picture with uniform borders stripped (when it has any), with
            // its top and its bottom quarter painted over, and its low-passed luma: padded, letterboxed,
            // captioned, blurred and re-brightened re-posts then match a case, which stores the same
            // variants (docs/robustness.md). The plain hash always goes too.
            let pdq = algorithm == .pdq
            let options = HashingOptions(pdqDihedral: dihedral && pdq, unletterbox: pdq, captionMask: pdq, lowPass: pdq)
            result = try ImageHasher.hashFile(atPath: path, options: options)
        } catch {
            return .failure(HashListError(code: error.code, message: error.message))
        }
        switch result.image {
        case .failure(let error):
            return .failure(HashListError(code: error.code.rawValue, message: error.message))
        case .success(let hashes):
            switch algorithm {
            case .pdq:
                var words = hashes.pdq.hash.codeWords
                if dihedral { for variant in hashes.pdq.dihedral.dropFirst() { words += variant.codeWords } }
                if let stripped = hashes.unletterboxed {
                    words += stripped.pdq.hash.codeWords
                    if dihedral { for variant in stripped.pdq.dihedral.dropFirst() { words += variant.codeWords } }
                }
                if let masked = hashes.captionMasked { words += masked.top.hash.codeWords + masked.bottom.hash.codeWords }
                if let lowPassed = hashes.lowPassed { words += lowPassed.hash.codeWords }
                return .success(words)
            case .phash: return .success([hashes.phash.value])
            default: return .success([hashes.dhash.value])
            }
        }
    }
}

