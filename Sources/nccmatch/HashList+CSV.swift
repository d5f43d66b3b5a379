import Foundation
import NCCHashing

/// The CSV that `nccmatch hash --format csv` writes, read back as a hash list: fields by the header's column
/// names (so older files with 13 columns and newer ones with the companion columns both read), RFC 4180
/// quoting (a quoted path may hold commas, quotes and line breaks).
extension HashList {
    /// How the header of `nccmatch hash --format csv` begins.
    static let hashCSVPrefix = Array("path,md5,sha256,pdq,".utf8)

    /// Whether `bytes` start with the header `nccmatch hash --format csv` writes.
    static func isHashCSV(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count >= hashCSVPrefix.count && zip(bytes.prefix(hashCSVPrefix.count), hashCSVPrefix).allSatisfy { $0 == $1 }
    }

    /// Splits RFC 4180 CSV into records of fields, each with the line it starts on.
    static func csvRecords(_ bytes: UnsafeBufferPointer<UInt8>) -> [(line: Int, fields: [String])] {
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1, recordLine = 1
        var quoted = false, sawAny = false
        var i = 0
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        while i < bytes.count {
            let b = bytes[i]
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(b)
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if b == UInt8(ascii: "\n") { line += 1 }
                    field.append(b)
                }
            } else if b == UInt8(ascii: "\"") && field.isEmpty {
                quoted = true
                sawAny = true
            } else if b == UInt8(ascii: ",") {
                endField()
                sawAny = true
            } else if b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") {
                if b == UInt8(ascii: "\r") && i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n") { i += 1 }
                if sawAny || !field.isEmpty {
                    endField()
                    records.append((recordLine, fields))
                }
                fields = []
                sawAny = false
                line += 1
                recordLine = line
            } else {
                field.append(b)
                sawAny = true
            }
            i += 1
        }
        if sawAny || !field.isEmpty {
            endField()
            records.append((recordLine, fields))
        }
        return records
    }

    /// Reads `nccmatch hash --format csv` output; malformed records are recorded in `problems` and skipped.
    static func parseHashCSV(_ bytes: UnsafeBufferPointer<UInt8>, source: String, algorithm: HashAlgorithm, bank: Bool, dihedral: Bool) -> HashList {
        var list = HashList(source: source)
        var records = csvRecords(bytes)
        guard !records.isEmpty else { return list }
        let header = records.removeFirst().fields
        var column: [String: Int] = [:]
        for (k, name) in header.enumerated() { column[name] = k }
        for record in records {
            do throws(LineProblem) {
                try list.appendCSVRecord(record.fields, line: record.line, column: column, width: header.count,
                                         algorithm: algorithm, bank: bank, dihedral: dihedral)
            } catch {
                list.skippedLines += 1
                if list.problems.count < maxReportedErrors {
                    list.problems.append("\(TerminalText.escaped(source)):\(record.line): \(error) This line was skipped.")
                }
            }
        }
        return list
    }

    /// One record of the hash CSV: the hash matched, its dihedral variants, and for queries every hash it carries.
    private mutating func appendCSVRecord(_ fields: [String], line: Int, column: [String: Int], width: Int,
                                          algorithm: HashAlgorithm, bank: Bool, dihedral: Bool) throws(LineProblem) {
        guard fields.count == width else {
            throw LineProblem("this record has \(fields.count) fields where the header has \(width); check that the file was written by nccmatch hash --format csv.")
        }
        func value(_ name: String) -> String { column[name].map { fields[$0] } ?? "" }
        func hex(_ text: String, words: Int, what: String) throws(LineProblem) -> [UInt64] {
            var out: [UInt64] = []
            guard Array(text.utf8).withUnsafeBufferPointer({ Self.appendHex($0, wordCount: words, to: &out) }) else {
                throw LineProblem("\"\(what)\" should be \(words * 16) hex characters; hash the file again with nccmatch hash.")
            }
            return out
        }
        func hexList(_ text: String, what: String) throws(LineProblem) -> [UInt64] {
            var out: [UInt64] = []
            for item in text.split(separator: " ") { out += try hex(String(item), words: 4, what: what) }
            return out
        }
        let key = algorithm.rawValue
        let primary = value(key)
        if primary.isEmpty {
            let code = value("error_code")
            if !code.isEmpty {
                throw LineProblem("this record has no \(key) hash: its file could not be hashed (\(code)); remove the line or hash the file again.")
            }
            throw LineProblem("this record has no \(key) hash; pass --algorithm to pick another hash.")
        }
        let code = try hex(primary, words: algorithm.bitCount / 64, what: key)
        if bank, algorithm == .pdq, let quality = Double(value("pdq_quality")), quality < 50 {
            throw LineProblem("PDQ quality \(Int(quality)) is below 50: such hashes are not reliable and are not accepted into a bank; remove the line.")
        }
        let extra = dihedral && algorithm == .pdq ? try hexList(value("pdq_dihedral"), what: "pdq_dihedral") : []
        var codes = QueryCodes()
        if !bank {
            // The same set, in the same order, as an image query and a JSON line.
            if !value("phash").isEmpty { codes.phash = try hex(value("phash"), words: 1, what: "phash").first }
            if !value("dhash").isEmpty { codes.dhash = try hex(value("dhash"), words: 1, what: "dhash").first }
            if !value("pdq").isEmpty {
                codes.pdq = try hex(value("pdq"), words: 4, what: "pdq")
                if dihedral { codes.pdq += try hexList(value("pdq_dihedral"), what: "pdq_dihedral") }
                for (name, isList) in [("unletterboxed_pdq", false), ("unletterboxed_pdq_dihedral", true), ("pdq_caption_masked_top", false),
                                       ("pdq_caption_masked_bottom", false), ("pdq_low_passed", false)] {
                    let text = value(name)
                    if text.isEmpty || (isList && !dihedral) { continue }
                    codes.pdq += isList ? try hexList(text, what: name) : try hex(text, words: 4, what: name)
                }
            }
        }
        words += code
        let path = value("path")
        ids.append(path.isEmpty ? .line(line) : .named(path))
        variants.append(extra)
        if !bank { queryCodes.append(codes) }
    }
}
