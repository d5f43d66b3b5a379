import Foundation
import NCCHashing

/// How an entry of a hash list is named in `match` output: its id or path when the list gives one,
/// else its 1-based line number.
enum HashListID: Sendable, Hashable {
    case named(String)
    case line(Int)

    /// The JSON value: a string for a name, a number for a line.
    var json: String {
        switch self {
        case .named(let name): JSONObjectWriter.quoted(name)
        case .line(let line): String(line)
        }
    }

    var text: String {
        switch self {
        case .named(let name): name
        case .line(let line): "line \(line)"
        }
    }
}

/// A problem in a hash list, with where it is.
struct HashListError: Error, Sendable, CustomStringConvertible {
    /// Stable code: `hash_list_unreadable`, `hash_list_malformed`, `hash_list_empty`.
    var code: String
    /// File and line, then what is wrong and how to fix it.
    var message: String

    var description: String { "\(code): \(message)" }
}

/// Every hash a query entry carries: its PDQ codes (the plain one first, then with `--dihedral` its other
/// seven variants, then its companions: unletterboxed, caption-masked top and bottom, low-passed), and its
/// pHash and dHash when known. An image query and a JSON-lines entry written with `--match-variants` give
/// the same set, so a hash list matches exactly as the images it was made from.
struct QueryCodes: Sendable, Equatable {
    /// PDQ codes, 4 words each, the plain hash first; empty when the entry has no PDQ.
    var pdq: [UInt64] = []
    /// The pHash, when known.
    var phash: UInt64?
    /// The dHash, when known.
    var dhash: UInt64?

    /// The codes matched for `algorithm`, as flat words: every PDQ code, or the one pHash or dHash.
    func words(for algorithm: HashAlgorithm) -> [UInt64] {
        switch algorithm {
        case .pdq: pdq
        case .phash: phash.map { [$0] } ?? []
        default: dhash.map { [$0] } ?? []
        }
    }
}

/// Hashes read from a file: JSON lines as `nccmatch hash --format jsonl` writes them, or text/CSV lines
/// whose first field is the hex hash and whose optional second field is an id. Blank lines, `#` comments
/// and a header line are skipped. A malformed line is recorded in `problems` (file, line, what is wrong) and
/// skipped; the other lines are kept.
struct HashList: Sendable {
    /// Where the list came from, for messages.
    var source: String
    /// One id per entry.
    var ids: [HashListID] = []
    /// Codes, `algorithm.bitCount / 64` words per entry, most significant first.
    var words: [UInt64] = []
    /// For each entry, its other PDQ dihedral variants (flat words), when the list has them and they were asked for.
    var variants: [[UInt64]] = []
    /// For each entry, when read as queries: every hash it carries (see `QueryCodes`); empty for a bank.
    var queryCodes: [QueryCodes] = []
    /// Malformed lines, skipped: `file:line: what is wrong`, at most `maxReportedErrors` of them.
    var problems: [String] = []
    /// How many lines were skipped as malformed (may exceed `problems.count`).
    var skippedLines = 0

    var count: Int { ids.count }

    /// Largest number of problems kept to be listed; the count goes on beyond it.
    static let maxReportedErrors = 20

    /// Reads a hash list. Throws a `HashListError` only when the file cannot be read; malformed lines are
    /// skipped and listed in `problems`.
    ///
    /// - Parameters:
    ///   - bank: entries go into a bank: PDQ hashes need quality 50 or more when the list records it.
    ///   - dihedral: keep the `pdq_dihedral` variants of JSON lines.
    static func read(path: String, algorithm: HashAlgorithm, bank: Bool, dihedral: Bool) throws(HashListError) -> HashList {
        let data: Data
        do {
            data = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw HashListError(code: "hash_list_unreadable", message: "\(TerminalText.escaped(path)): cannot be read (\(error.localizedDescription)); check the path and permissions.")
        }
        let source = path == "-" ? "standard input" : path
        let result: Result<HashList, HashListError> = data.withUnsafeBytes { raw in
            do throws(HashListError) {
                return .success(try parse(raw.bindMemory(to: UInt8.self), source: source, algorithm: algorithm, bank: bank, dihedral: dihedral))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, source: String, algorithm: HashAlgorithm, bank: Bool, dihedral: Bool) throws(HashListError) -> HashList {
        if isHashCSV(bytes) { return parseHashCSV(bytes, source: source, algorithm: algorithm, bank: bank, dihedral: dihedral) }
        var list = HashList(source: source)
        let wordCount = algorithm.bitCount / 64
        list.words.reserveCapacity(bytes.count / (wordCount * 16 + 1) * wordCount)
        var lineNumber = 0
        var start = 0
        var sawContent = false
        while start < bytes.count {
            // memchr finds the line's end many bytes at a time (vectorized in libc).
            let end = memchr(bytes.baseAddress! + start, Int32(UInt8(ascii: "\n")), bytes.count - start)
                .map { bytes.baseAddress!.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? bytes.count
            lineNumber += 1
            var lo = start, hi = end
            start = end + 1
            while lo < hi && isSpace(bytes[lo]) { lo += 1 }
            while hi > lo && isSpace(bytes[hi - 1]) { hi -= 1 }
            guard lo < hi, bytes[lo] != UInt8(ascii: "#") else { continue }
            let line = UnsafeBufferPointer(rebasing: bytes[lo..<hi])
            let firstContent = !sawContent
            sawContent = true
            do {
                if line[0] == UInt8(ascii: "{") {
                    try list.appendJSON(line, lineNumber: lineNumber, algorithm: algorithm, bank: bank, dihedral: dihedral)
                } else {
                    let appended = try list.appendText(line, lineNumber: lineNumber, algorithm: algorithm, headerAllowed: firstContent, query: !bank)
                    if !appended { continue }
                }
            } catch {
                list.skippedLines += 1
                if list.problems.count < maxReportedErrors {
                    list.problems.append("\(TerminalText.escaped(source)):\(lineNumber): \(error) This line was skipped.")
                }
            }
        }
        return list
    }

    /// The problems as lines for standard error, with a count of those not listed.
    var problemReport: String {
        var text = problems.joined(separator: "\n")
        if skippedLines > problems.count { text += "\n(and \(skippedLines - problems.count) more malformed line(s) in \(TerminalText.escaped(source)))" }
        return text
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }

    /// Hex digit values; 0xFF marks a byte that is not a hex digit.
    static let hexValues: [UInt8] = (0..<256).map { b in
        switch b {
        case 48...57: UInt8(b - 48)
        case 65...70: UInt8(b - 55)
        case 97...102: UInt8(b - 87)
        default: 0xFF
        }
    }

    /// Reads `wordCount` words of hex from bytes; nil when not exactly hex of the right length.
    static func hexWords(_ bytes: UnsafeBufferPointer<UInt8>, wordCount: Int) -> [UInt64]? {
        var words: [UInt64] = []
        return appendHex(bytes, wordCount: wordCount, to: &words) ? words : nil
    }

    /// Appends `wordCount` words read from hex; false (and nothing appended) when not exactly hex of the right length.
    static func appendHex(_ bytes: UnsafeBufferPointer<UInt8>, wordCount: Int, to words: inout [UInt64]) -> Bool {
        guard bytes.count == wordCount * 16 else { return false }
        return hexValues.withUnsafeBufferPointer { table in
            var bad: UInt8 = 0
            var parsed: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            for w in 0..<wordCount {
                var v: UInt64 = 0
                for k in 0..<16 {
                    let n = table[Int(bytes[w * 16 + k])]
                    bad |= n
                    v = (v << 4) | UInt64(n & 0x0F)
                }
                switch w {
                case 0: parsed.0 = v
                case 1: parsed.1 = v
                case 2: parsed.2 = v
                default: parsed.3 = v
                }
            }
            guard bad & 0xF0 == 0 else { return false }
            words.append(parsed.0)
            if wordCount == 4 {
                words.append(parsed.1)
                words.append(parsed.2)
                words.append(parsed.3)
            }
            return true
        }
    }

    private static func hexProblem(_ bytes: UnsafeBufferPointer<UInt8>, algorithm: HashAlgorithm) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            switch algorithm {
            case .pdq: _ = try PDQHash(hex: text)
            default: _ = try Hash64(hex: text, algorithm: algorithm)
            }
        } catch { return error.message }
        return "the \(algorithm.rawValue) hash is not valid hex."
    }

    /// Text or CSV line: hash, then an optional id. Returns false for a skipped header line.
    private mutating func appendText(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, algorithm: HashAlgorithm, headerAllowed: Bool, query: Bool) throws(LineProblem) -> Bool {
        var cut = 0
        while cut < line.count && line[cut] != UInt8(ascii: ",") && line[cut] != UInt8(ascii: "\t") && line[cut] != UInt8(ascii: " ") { cut += 1 }
        var field = UnsafeBufferPointer(rebasing: line[0..<cut])
        if field.count >= 2 && field.first == UInt8(ascii: "\"") && field.last == UInt8(ascii: "\"") {
            field = UnsafeBufferPointer(rebasing: field[1..<(field.count - 1)])
        }
        guard Self.appendHex(field, wordCount: algorithm.bitCount / 64, to: &self.words) else {
            // A first line whose first field has letters beyond hex is a header (for example "pdq,id").
            let isHex: (UInt8) -> Bool = { (48...57).contains($0) || (65...70).contains($0) || (97...102).contains($0) }
            if headerAllowed && field.contains(where: { !isHex($0) }) { return false }
            throw LineProblem("the first field should be a \(algorithm.rawValue) hash of \(algorithm.hexLength) hex characters: \(Self.hexProblem(field, algorithm: algorithm))")
        }
        var rest = cut
        while rest < line.count && (line[rest] == UInt8(ascii: ",") || line[rest] == UInt8(ascii: "\t") || line[rest] == UInt8(ascii: " ")) { rest += 1 }
        var idEnd = rest
        while idEnd < line.count && line[idEnd] != UInt8(ascii: ",") && line[idEnd] != UInt8(ascii: "\t") { idEnd += 1 }
        while idEnd > rest && line[idEnd - 1] == UInt8(ascii: " ") { idEnd -= 1 }
        if idEnd - rest >= 2 && line[rest] == UInt8(ascii: "\"") && line[idEnd - 1] == UInt8(ascii: "\"") {
            rest += 1
            idEnd -= 1
        }
        ids.append(idEnd > rest ? .named(String(decoding: UnsafeBufferPointer(rebasing: line[rest..<idEnd]), as: UTF8.self)) : .line(lineNumber))
        variants.append([])
        if query {
            let code = Array(words.suffix(algorithm.bitCount / 64))
            switch algorithm {
            case .pdq: queryCodes.append(QueryCodes(pdq: code))
            case .phash: queryCodes.append(QueryCodes(phash: code[0]))
            default: queryCodes.append(QueryCodes(dhash: code[0]))
            }
        }
        return true
    }

    /// JSON line from `nccmatch hash --format jsonl`. Only the values used are decoded; the others are
    /// checked for syntax and skipped, so a long line with digests and dihedral variants costs little.
    private mutating func appendJSON(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, algorithm: HashAlgorithm, bank: Bool, dihedral: Bool) throws(LineProblem) {
        var parser = FlatJSONParser(bytes: line)
        let fields = try parser.parseTopLevel()
        func field(_ name: StaticString) -> Range<Int>? {
            let key = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
            for f in fields where f.key.count == key.count {
                var same = true
                for k in 0..<key.count where line[f.key.lowerBound + k] != key[k] { same = false; break }
                if same { return f.value }
            }
            return nil
        }
        let key = algorithm.rawValue
        let hashRange: Range<Int>?
        switch algorithm {
        case .pdq: hashRange = field("pdq")
        case .phash: hashRange = field("phash")
        default: hashRange = field("dhash")
        }
        guard let hashRange else {
            if let errorRange = field("error") {
                var inner = FlatJSONParser(bytes: UnsafeBufferPointer(rebasing: line[errorRange]))
                if case .object(let error)? = try? inner.parseValueOnly(), case .string(let code)? = error["code"] {
                    throw LineProblem("this record has no \(key) hash: its file could not be hashed (\(code)); remove the line or hash the file again.")
                }
            }
            throw LineProblem("the object has no \"\(key)\" key; pass --algorithm to pick another hash, or check the file was written by nccmatch hash.")
        }
        // A plain JSON string: quotes around hex, no escapes.
        guard hashRange.count >= 2, line[hashRange.lowerBound] == UInt8(ascii: "\""),
              Self.appendHex(UnsafeBufferPointer(rebasing: line[(hashRange.lowerBound + 1)..<(hashRange.upperBound - 1)]),
                             wordCount: algorithm.bitCount / 64, to: &self.words)
        else {
            throw LineProblem("\"\(key)\" should be a string of \(algorithm.hexLength) hex characters.")
        }
        let wordCount = algorithm.bitCount / 64
        func undo() { self.words.removeLast(wordCount) }
        if bank, algorithm == .pdq, let q = field("pdq_quality") {
            let text = String(decoding: UnsafeBufferPointer(rebasing: line[q]), as: UTF8.self)
            if let quality = Double(text), quality < 50 {
                undo()
                throw LineProblem("PDQ quality \(Int(quality)) is below 50: such hashes are not reliable and are not accepted into a bank; remove the line.")
            }
        }
        var extra: [UInt64] = []
        if dihedral, algorithm == .pdq, let d = field("pdq_dihedral") {
            var inner = FlatJSONParser(bytes: UnsafeBufferPointer(rebasing: line[d]))
            guard case .array(let items)? = try? inner.parseValueOnly() else {
                undo()
                throw LineProblem("\"pdq_dihedral\" should be a list of PDQ hashes of 64 hex characters.")
            }
            for item in items {
                guard case .string(let v) = item,
                      Self.appendHex(Array(v.utf8).withUnsafeBufferPointer({ $0 }), wordCount: 4, to: &extra) else {
                    undo()
                    throw LineProblem("\"pdq_dihedral\" should be a list of PDQ hashes of 64 hex characters.")
                }
            }
        }
        var codes = QueryCodes()
        if !bank {
            do throws(LineProblem) {
                codes = try Self.queryCodes(line, field: field, dihedral: dihedral)
            } catch {
                undo()
                throw error
            }
        }
        var id: HashListID = .line(lineNumber)
        for name in [field("id"), field("path")] {
            guard let range = name else { continue }
            var inner = FlatJSONParser(bytes: UnsafeBufferPointer(rebasing: line[range]))
            switch try? inner.parseValueOnly() {
            case .string(let text)?: id = .named(text)
            case .number(let n)?: id = .named(String(Int(n)))
            default: continue
            }
            break
        }
        ids.append(id)
        variants.append(extra)
        if !bank { queryCodes.append(codes) }
    }

    /// Every hash of a JSON line that a query sends: the plain PDQ, with `dihedral` its `pdq_dihedral`
    /// variants, the companions (`unletterboxed.pdq` and with `dihedral` its variants, `pdq_caption_masked`
    /// `top` and `bottom`, `pdq_low_passed`), and `phash` and `dhash`; in the order an image query uses.
    private static func queryCodes(_ line: UnsafeBufferPointer<UInt8>, field: (StaticString) -> Range<Int>?, dihedral: Bool) throws(LineProblem) -> QueryCodes {
        func value(_ name: StaticString) throws(LineProblem) -> FlatJSONParser.Value? {
            guard let range = field(name) else { return nil }
            var inner = FlatJSONParser(bytes: UnsafeBufferPointer(rebasing: line[range]))
            do throws(LineProblem) {
                return try inner.parseValueOnly()
            } catch {
                throw LineProblem("\"\(name)\" could not be read: \(error)")
            }
        }
        func append(_ item: FlatJSONParser.Value?, words: Int, to out: inout [UInt64], what: String) throws(LineProblem) {
            guard let item else { return }
            guard case .string(let text) = item,
                  Array(text.utf8).withUnsafeBufferPointer({ appendHex($0, wordCount: words, to: &out) }) else {
                throw LineProblem("\(what) should be a string of \(words * 16) hex characters; hash the file again with nccmatch hash.")
            }
        }
        func list(_ item: FlatJSONParser.Value?, to out: inout [UInt64], what: String) throws(LineProblem) {
            guard let item else { return }
            guard case .array(let items) = item else { throw LineProblem("\(what) should be a list of PDQ hashes of 64 hex characters.") }
            for entry in items { try append(entry, words: 4, to: &out, what: what) }
        }
        var codes = QueryCodes()
        var word: [UInt64] = []
        try append(try value("phash"), words: 1, to: &word, what: "\"phash\"")
        codes.phash = word.first
        word = []
        try append(try value("dhash"), words: 1, to: &word, what: "\"dhash\"")
        codes.dhash = word.first
        try append(try value("pdq"), words: 4, to: &codes.pdq, what: "\"pdq\"")
        if codes.pdq.isEmpty { return codes }
        if dihedral { try list(try value("pdq_dihedral"), to: &codes.pdq, what: "\"pdq_dihedral\"") }
        if case .object(let stripped)? = try value("unletterboxed") {
            try append(stripped["pdq"], words: 4, to: &codes.pdq, what: "\"unletterboxed\".\"pdq\"")
            if dihedral { try list(stripped["pdq_dihedral"], to: &codes.pdq, what: "\"unletterboxed\".\"pdq_dihedral\"") }
        }
        if case .object(let masked)? = try value("pdq_caption_masked") {
            try append(masked["top"], words: 4, to: &codes.pdq, what: "\"pdq_caption_masked\".\"top\"")
            try append(masked["bottom"], words: 4, to: &codes.pdq, what: "\"pdq_caption_masked\".\"bottom\"")
        }
        try append(try value("pdq_low_passed"), words: 4, to: &codes.pdq, what: "\"pdq_low_passed\"")
        return codes
    }
}

/// What is wrong with one line.
struct LineProblem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A minimal JSON reader for one flat object per line: strings, numbers, booleans, null, arrays, nested objects.
struct FlatJSONParser {
    enum Value {
        case string(String)
        case number(Double)
        case array([Value])
        case object([String: Value])
        case other
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The top-level object's keys and raw value ranges (keys without their quotes), values checked but not decoded.
    mutating func parseTopLevel() throws(LineProblem) -> [(key: Range<Int>, value: Range<Int>)] {
        var fields: [(key: Range<Int>, value: Range<Int>)] = []
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { throw problem("expected a JSON object") }
        i += 1
        skipSpace()
        if i < bytes.count && bytes[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw problem("expected a key in quotes") }
                let keyStart = i + 1
                try skipString()
                let key = keyStart..<(i - 1)
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw problem("expected ':' after a key") }
                i += 1
                skipSpace()
                let valueStart = i
                try skipValue(depth: 1)
                fields.append((key, valueStart..<i))
                skipSpace()
                guard i < bytes.count else { throw problem("the object is not closed") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; break }
                throw problem("expected ',' or '}'")
            }
        }
        skipSpace()
        guard i == bytes.count else { throw LineProblem("unexpected text after the JSON object at column \(i + 1).") }
        return fields
    }

    /// Decodes the whole buffer as one value.
    mutating func parseValueOnly() throws(LineProblem) -> Value { try parseValue(depth: 0) }

    private mutating func skipString() throws(LineProblem) {
        i += 1
        // Fast path: jump to the next quote with memchr (vectorized in libc); if the span holds no
        // backslash, that quote closes the string. Hashes and paths rarely have escapes.
        if i < bytes.count, let base = bytes.baseAddress,
           let quote = memchr(base + i, Int32(UInt8(ascii: "\"")), bytes.count - i) {
            let end = base.distance(to: quote.assumingMemoryBound(to: UInt8.self))
            if memchr(base + i, Int32(UInt8(ascii: "\\")), end - i) == nil {
                i = end + 1
                return
            }
        }
        while i < bytes.count && bytes[i] != UInt8(ascii: "\"") {
            if bytes[i] == UInt8(ascii: "\\") { i += 1 }
            i += 1
        }
        guard i < bytes.count else { throw problem("a string is not closed") }
        i += 1
    }

    private mutating func skipValue(depth: Int) throws(LineProblem) {
        guard depth < 32 else { throw problem("nested too deeply") }
        skipSpace()
        guard i < bytes.count else { throw problem("the line ends early") }
        switch bytes[i] {
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = bytes[i] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            i += 1
            skipSpace()
            if i < bytes.count && bytes[i] == close { i += 1; return }
            while true {
                skipSpace()
                if isObject {
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw problem("expected a key in quotes") }
                    try skipString()
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw problem("expected ':' after a key") }
                    i += 1
                }
                try skipValue(depth: depth + 1)
                skipSpace()
                guard i < bytes.count else { throw problem("a list or object is not closed") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == close { i += 1; return }
                throw problem("expected ',' or a closing bracket")
            }
        default:
            _ = try parseValue(depth: depth)
        }
    }

    mutating func parseObject() throws(LineProblem) -> [String: Value] {
        guard case .object(let object) = try parseValue(depth: 0) else { throw LineProblem("expected a JSON object.") }
        skipSpace()
        guard i == bytes.count else { throw LineProblem("unexpected text after the JSON object at column \(i + 1).") }
        return object
    }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0D || bytes[i] == 0x0A { i += 1 }
    }

    private func problem(_ what: String) -> LineProblem { LineProblem("malformed JSON at column \(i + 1): \(what).") }

    private mutating func parseValue(depth: Int) throws(LineProblem) -> Value {
        guard depth < 32 else { throw problem("nested too deeply") }
        skipSpace()
        guard i < bytes.count else { throw problem("the line ends early") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var object: [String: Value] = [:]
            skipSpace()
            if i < bytes.count && bytes[i] == UInt8(ascii: "}") { i += 1; return .object(object) }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw problem("expected a key in quotes") }
                let key = try parseString()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw problem("expected ':' after a key") }
                i += 1
                object[key] = try parseValue(depth: depth + 1)
                skipSpace()
                guard i < bytes.count else { throw problem("the object is not closed") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(object) }
                throw problem("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [Value] = []
            skipSpace()
            if i < bytes.count && bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                items.append(try parseValue(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw problem("the list is not closed") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw problem("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            for word in ["true", "false", "null"] where matches(word) {
                i += word.utf8.count
                return .other
            }
            throw problem("unknown word")
        default:
            let start = i
            while i < bytes.count, (48...57).contains(bytes[i]) || bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")
                || bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") { i += 1 }
            guard i > start, let n = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)) else {
                throw problem("expected a value")
            }
            return .number(n)
        }
    }

    private func matches(_ word: String) -> Bool {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count else { return false }
        for k in 0..<w.count where bytes[i + k] != w[k] { return false }
        return true
    }

    private mutating func parseString() throws(LineProblem) -> String {
        i += 1
        let start = i
        var plain = true
        while i < bytes.count && bytes[i] != UInt8(ascii: "\"") {
            if bytes[i] == UInt8(ascii: "\\") { plain = false; i += 1 }
            i += 1
        }
        guard i < bytes.count else { throw problem("a string is not closed") }
        let raw = UnsafeBufferPointer(rebasing: bytes[start..<i])
        i += 1
        if plain { return String(decoding: raw, as: UTF8.self) }
        // Rare: let Foundation decode the escapes.
        let quoted = "\"" + String(decoding: raw, as: UTF8.self) + "\""
        guard let decoded = try? JSONDecoder().decode(String.self, from: Data(quoted.utf8)) else { throw problem("a string has a bad escape") }
        return decoded
    }
}

