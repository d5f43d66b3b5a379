import Foundation
import NCCHashCore
import NCCHashing

/// Hashes read from a file: JSON lines as `nccmatch hash --format jsonl` writes them, the CSV of
/// `nccmatch hash --format csv`, or text/CSV lines whose first field is the hex hash and whose optional
/// second field is an id. Blank lines, `#` comments and a header line are skipped. A malformed line is
/// recorded in `problems` (line, code, what is wrong) and skipped; the other lines are kept.
public struct HashList: Sendable {
    /// What the entries are for.
    public enum Role: Sendable, Hashable {
        /// Entries go into a bank: only the matched hash is read, and a PDQ hash below the policy's quality
        /// floor is refused when the list records its quality.
        case bank
        /// Entries are queries: every hash the policy has a query send is read (`queryCodes`); with
        /// `dihedral`, the DCT-domain rotations and mirrors too.
        case queries(dihedral: Bool)
    }

    /// Where the list came from, for messages (`standard input` for `-`).
    public var source: String
    /// One id per entry.
    public var ids: [HashListID] = []
    /// The matched hash of each entry, `algorithm.wordCount` words each, most significant first.
    public var words: [UInt64] = []
    /// For each entry, when read as queries: every hash it carries (see `QueryCodes`); empty for a bank.
    public var queryCodes: [QueryCodes] = []
    /// Malformed lines, skipped, in file order: at most `maxReportedProblems` of them.
    public var problems: [HashListProblem] = []
    /// How many lines were skipped as malformed (may exceed `problems.count`).
    public var skippedLines = 0

    /// Number of entries.
    public var count: Int { ids.count }

    /// Largest number of problems kept to be listed; the count goes on beyond it.
    public static let maxReportedProblems = 20

    /// An empty list read from `source`.
    public init(source: String) { self.source = source }

    /// Reads a hash list from a file, or from standard input for `-`.
    ///
    /// - Throws: `HashListError` only when the file cannot be read; malformed lines are skipped and listed
    ///   in `problems`.
    public static func read(path: String, algorithm: HashListAlgorithm, role: Role, policy: MatchingPolicy = .standard) throws(HashListError) -> HashList {
        let data: Data
        do {
            data = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw .unreadable(reason: (error as NSError).localizedDescription)
        }
        return parse(data, source: path == "-" ? "standard input" : path, algorithm: algorithm, role: role, policy: policy)
    }

    /// Reads a hash list from bytes.
    public static func parse(_ data: Data, source: String, algorithm: HashListAlgorithm, role: Role, policy: MatchingPolicy = .standard) -> HashList {
        // The bytes are read only inside this closure: no pointer to them outlives it.
        data.withUnsafeBytes { bytes in
            var reader = Reader(list: HashList(source: source), algorithm: algorithm, role: role, policy: policy)
            if HashListCSV.isHashCSV(bytes) {
                reader.readHashCSV(bytes)
            } else {
                reader.readLines(bytes)
            }
            return reader.list
        }
    }

    /// The problems as lines, `source:line: message`, with a count of those not listed; `name` shows the
    /// source (for example escaped for a terminal).
    public func problemReport(name: (String) -> String = { $0 }) -> String {
        var lines = problems.map { "\(name(source)):\($0.line): \($0.message) This line was skipped." }
        if skippedLines > problems.count { lines.append("(and \(skippedLines - problems.count) more malformed line(s) in \(name(source)))") }
        return lines.joined(separator: "\n")
    }
}

/// Reads lines into a `HashList`.
struct Reader {
    var list: HashList
    let algorithm: HashListAlgorithm
    let role: HashList.Role
    let policy: MatchingPolicy
    let decoder = JSONDecoder()

    init(list: HashList, algorithm: HashListAlgorithm, role: HashList.Role, policy: MatchingPolicy) {
        self.list = list
        self.algorithm = algorithm
        self.role = role
        self.policy = policy
    }

    /// Records a skipped line.
    mutating func skip(line: Int, _ problem: LineProblem) {
        list.skippedLines += 1
        if list.problems.count < HashList.maxReportedProblems {
            list.problems.append(HashListProblem(code: problem.code, line: line, message: problem.message))
        }
    }

    /// JSON lines and text lines, one entry a line.
    mutating func readLines(_ bytes: UnsafeRawBufferPointer) {
        list.words.reserveCapacity(bytes.count / (algorithm.wordCount * 16 + 1) * algorithm.wordCount)
        var lineNumber = 0
        var start = 0
        var sawContent = false
        while start < bytes.count {
            // memchr finds the line's end many bytes at a time (vectorized in libc).
            let end = memchr(bytes.baseAddress! + start, Int32(UInt8(ascii: "\n")), bytes.count - start)
                .map { bytes.baseAddress!.distance(to: UnsafeRawPointer($0)) } ?? bytes.count
            lineNumber += 1
            var lo = start, hi = end
            start = end + 1
            while lo < hi && Self.isSpace(bytes[lo]) { lo += 1 }
            while hi > lo && Self.isSpace(bytes[hi - 1]) { hi -= 1 }
            guard lo < hi, bytes[lo] != UInt8(ascii: "#") else { continue }
            let line = UnsafeRawBufferPointer(rebasing: bytes[lo..<hi])
            let firstContent = !sawContent
            sawContent = true
            do throws(LineProblem) {
                if line[0] == UInt8(ascii: "{") {
                    let record: HashListRecord
                    if let scanned = HashListRecord.scan(line, companions: role != .bank) {
                        record = scanned
                    } else {
                        record = try HashListRecord.decode(json: line, decoder: decoder)
                    }
                    try append(record, line: lineNumber)
                } else {
                    try appendText(line, lineNumber: lineNumber, headerAllowed: firstContent)
                }
            } catch {
                skip(line: lineNumber, error)
            }
        }
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }

    /// Text or CSV line: hash, then an optional id. A first line whose first field is not hex is a header.
    private mutating func appendText(_ line: UnsafeRawBufferPointer, lineNumber: Int, headerAllowed: Bool) throws(LineProblem) {
        func isSeparator(_ b: UInt8) -> Bool { b == UInt8(ascii: ",") || b == UInt8(ascii: "\t") || b == UInt8(ascii: " ") }
        var cut = 0
        while cut < line.count && !isSeparator(line[cut]) { cut += 1 }
        var field = 0..<cut
        if field.count >= 2 && line[0] == UInt8(ascii: "\"") && line[cut - 1] == UInt8(ascii: "\"") { field = 1..<(cut - 1) }
        let hex = UnsafeRawBufferPointer(rebasing: line[field])
        let wordCount = algorithm.wordCount
        let added = hex.withMemoryRebound(to: UInt8.self) { HexCodec.appendWords(utf8: $0, wordCount: wordCount, to: &list.words) }
        guard added else {
            // A first line whose first field has letters beyond hex is a header (for example "pdq,id").
            if headerAllowed && hex.contains(where: { HexCodec.nibble($0) == nil }) { return }
            throw LineProblem(.invalidHash, "the first field should be a \(algorithm.rawValue) hash of \(algorithm.wordCount * 16) hex characters: \(Self.hexProblem(hex, algorithm: algorithm))")
        }
        var rest = cut
        while rest < line.count && isSeparator(line[rest]) { rest += 1 }
        var idEnd = rest
        while idEnd < line.count && line[idEnd] != UInt8(ascii: ",") && line[idEnd] != UInt8(ascii: "\t") { idEnd += 1 }
        while idEnd > rest && line[idEnd - 1] == UInt8(ascii: " ") { idEnd -= 1 }
        if idEnd - rest >= 2 && line[rest] == UInt8(ascii: "\"") && line[idEnd - 1] == UInt8(ascii: "\"") {
            rest += 1
            idEnd -= 1
        }
        list.ids.append(idEnd > rest ? .named(String(decoding: UnsafeRawBufferPointer(rebasing: line[rest..<idEnd]), as: UTF8.self)) : .line(lineNumber))
        if case .queries = role {
            let code = Array(list.words.suffix(algorithm.wordCount))
            switch algorithm {
            case .pdq: list.queryCodes.append(QueryCodes(pdq: code))
            case .phash: list.queryCodes.append(QueryCodes(phash: code[0]))
            case .dhash: list.queryCodes.append(QueryCodes(dhash: code[0]))
            }
        }
    }

    /// Why hex text is not a hash of `algorithm`, in the hashing library's words.
    static func hexProblem(_ text: some Collection<UInt8>, algorithm: HashListAlgorithm) -> String {
        switch HexCodec.decodeWords(utf8: text, wordCount: algorithm.wordCount) {
        case .success: "the \(algorithm.rawValue) hash is not valid hex."
        case .failure(let failure): HashParsingError(failure, algorithm: algorithm.hashAlgorithm).message
        }
    }

    /// One record of a JSON line or of the hash CSV: the matched hash, its id, and for queries every hash
    /// the policy has a query send.
    mutating func append(_ record: HashListRecord, line: Int) throws(LineProblem) {
        let key = algorithm.rawValue
        guard let primary = record.hash(algorithm) else {
            if let code = record.errorCode {
                throw LineProblem(.unhashedRecord, "this record has no \(key) hash: its file could not be hashed (\(code)); remove the line or hash the file again.")
            }
            throw LineProblem(.missingHash, "the record has no \"\(key)\" hash; pass --algorithm to pick another hash, or check the file was written by nccmatch hash.")
        }
        let code = try Self.words(primary, wordCount: algorithm.wordCount, what: key)
        var codes: QueryCodes?
        switch role {
        case .bank:
            if algorithm == .pdq, let quality = record.pdqQuality, quality < Double(policy.minimumQuality) {
                throw LineProblem(.lowQuality, "PDQ quality \(Int(quality)) is below \(policy.minimumQuality): such hashes are not reliable and are not accepted into a bank; remove the line.")
            }
        case .queries(let dihedral):
            codes = try queryCodes(record, dihedral: dihedral)
        }
        list.words += code
        list.ids.append(record.id.map(HashListID.named) ?? record.path.map(HashListID.named) ?? .line(line))
        if let codes { list.queryCodes.append(codes) }
    }

    /// Every hash of a record that a query sends, as `MatchingPolicy.queryPDQ` orders them, and its pHash and dHash.
    private func queryCodes(_ record: HashListRecord, dihedral: Bool) throws(LineProblem) -> QueryCodes {
        var codes = QueryCodes()
        if let phash = record.phash { codes.phash = try Self.words(phash, wordCount: 1, what: "phash")[0] }
        if let dhash = record.dhash { codes.dhash = try Self.words(dhash, wordCount: 1, what: "dhash")[0] }
        guard let pdq = record.pdq else { return codes }
        var picture = PDQCompanions(pdq: try Self.pdq(pdq, what: "pdq"))
        if let stripped = record.unletterboxedPDQ { picture.unletterboxed = try Self.pdq(stripped, what: "unletterboxed.pdq") }
        if dihedral {
            picture.dihedral = Self.identityFirst(picture.pdq, try Self.pdqList(record.pdqDihedral, what: "pdq_dihedral"))
            if let stripped = picture.unletterboxed {
                picture.unletterboxedDihedral = Self.identityFirst(stripped, try Self.pdqList(record.unletterboxedPDQDihedral, what: "unletterboxed.pdq_dihedral"))
            }
        }
        if let top = record.captionMaskedTop { picture.captionMasked.append(try Self.pdq(top, what: "pdq_caption_masked.top")) }
        if let bottom = record.captionMaskedBottom { picture.captionMasked.append(try Self.pdq(bottom, what: "pdq_caption_masked.bottom")) }
        if let lowPassed = record.lowPassed { picture.lowPassed = try Self.pdq(lowPassed, what: "pdq_low_passed") }
        if let corner = record.cornerMasked { picture.cornerMasked = try Self.pdq(corner, what: "pdq_corner_masked") }
        if let region = record.photoRegion { picture.photoRegion = try Self.pdq(region, what: "pdq_photo_region") }
        picture.photoRegionInChrome = record.photoRegionInChrome
        if let corner = record.photoRegionCornerMasked { picture.photoRegionCornerMasked = try Self.pdq(corner, what: "pdq_photo_region_corner_masked") }
        picture.collageTiles = try Self.pdqList(record.collageTiles, what: "pdq_collage_tiles")
        let sent = policy.queryPDQKinds(picture, dihedral: dihedral)
        codes.pdq = QueryCodes.words(sent.map(\.hash))
        codes.pdqKinds = sent.map(\.kind)
        return codes
    }

    /// A variant list as the policy takes it, the identity first: `nccmatch hash` writes it so; a list written
    /// some other way keeps every variant it names.
    static func identityFirst(_ hash: PDQHash, _ variants: [PDQHash]) -> [PDQHash] {
        variants.first == hash || variants.isEmpty ? variants : [hash] + variants
    }

    /// The words of a hex field.
    static func words(_ text: String, wordCount: Int, what: String) throws(LineProblem) -> [UInt64] {
        switch HexCodec.decodeWords(utf8: text.utf8, wordCount: wordCount) {
        case .success(let words): return words
        case .failure(let failure):
            let detail: String = switch failure {
            case .wrongLength(_, let found): "it has \(found)"
            case .notHex(let position): "character \(position) is not a hex digit"
            }
            throw LineProblem(.invalidHash, "\"\(what)\" should be \(wordCount * 16) hex characters, but \(detail); hash the file again with nccmatch hash.")
        }
    }

    private static func pdq(_ text: String, what: String) throws(LineProblem) -> PDQHash {
        let w = try words(text, wordCount: 4, what: what)
        return PDQHash(words: (w[0], w[1], w[2], w[3]))
    }

    private static func pdqList(_ texts: [String]?, what: String) throws(LineProblem) -> [PDQHash] {
        var hashes: [PDQHash] = []
        for text in texts ?? [] { hashes.append(try pdq(text, what: what)) }
        return hashes
    }
}
