/// The CSV that `nccmatch hash --format csv` writes, read back as a hash list: fields by the header's column
/// names (so older files with 13 columns and newer ones with the companion columns both read), RFC 4180
/// quoting (a quoted path may hold commas, quotes and line breaks).
enum HashListCSV {
    /// How the header of `nccmatch hash --format csv` begins.
    static let prefix = Array("path,md5,sha256,pdq,".utf8)

    /// Whether `bytes` start with the header `nccmatch hash --format csv` writes.
    static func isHashCSV(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= prefix.count && zip(bytes.prefix(prefix.count), prefix).allSatisfy { $0 == $1 }
    }

    /// Splits RFC 4180 CSV into records of fields, each with the line it starts on.
    static func records(_ bytes: UnsafeRawBufferPointer) -> [(line: Int, fields: [String])] {
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

    /// The record of one CSV row, by the header's column names; empty fields are absent values.
    static func record(_ fields: [String], column: [String: Int]) -> HashListRecord {
        func value(_ name: String) -> String? { column[name].flatMap { fields[$0].isEmpty ? nil : fields[$0] } }
        func list(_ name: String) -> [String]? { value(name).map { $0.split(separator: " ").map(String.init) } }
        var record = HashListRecord()
        record.path = value("path")
        record.pdq = value("pdq")
        // A quality that is not a number is treated as absent, as it always was.
        record.pdqQuality = value("pdq_quality").flatMap(Double.init)
        record.pdqDihedral = list("pdq_dihedral")
        record.phash = value("phash")
        record.dhash = value("dhash")
        record.unletterboxedPDQ = value("unletterboxed_pdq")
        record.unletterboxedPDQDihedral = list("unletterboxed_pdq_dihedral")
        record.captionMaskedTop = value("pdq_caption_masked_top")
        record.captionMaskedBottom = value("pdq_caption_masked_bottom")
        record.lowPassed = value("pdq_low_passed")
        record.errorCode = value("error_code")
        return record
    }
}

extension Reader {
    /// Reads `nccmatch hash --format csv` output; malformed records are recorded in `problems` and skipped.
    mutating func readHashCSV(_ bytes: UnsafeRawBufferPointer) {
        var records = HashListCSV.records(bytes)
        guard !records.isEmpty else { return }
        let header = records.removeFirst().fields
        var column: [String: Int] = [:]
        for (k, name) in header.enumerated() { column[name] = k }
        for record in records {
            do throws(LineProblem) {
                guard record.fields.count == header.count else {
                    throw LineProblem(.wrongFieldCount, "this record has \(record.fields.count) fields where the header has \(header.count); check that the file was written by nccmatch hash --format csv.")
                }
                try append(HashListCSV.record(record.fields, column: column), line: record.line)
            } catch {
                skip(line: record.line, error)
            }
        }
    }
}
