import Foundation
import Crypto

/// A local file of signals, read page by page: pytx's `local_file` exchange (`signal_type hash` lines,
/// `exchanges/impl/file_api.py`) or a signal CSV (`SignalFileFormat.csv`).
///
/// A file only adds: a line never removes a hash (pytx's file exchange has no removals either). The checkpoint
/// holds the next line and a digest of the file, so a changed file is read again from its start.
public struct SignalFileImporter: ExchangeImporter {
    /// The file.
    public var path: String
    /// Its format.
    public var format: SignalFileFormat
    /// Lines per page.
    public var pageLines: Int
    /// Largest file read, in bytes (1 GiB: 10 million PDQ lines).
    public var maxFileBytes: Int

    public var kind: String { format == .localFile ? "local_file" : "signal_csv" }

    /// Makes an importer.
    public init(path: String, format: SignalFileFormat, pageLines: Int = 10_000, maxFileBytes: Int = 1 << 30) {
        self.path = path
        self.format = format
        self.pageLines = max(1, pageLines)
        self.maxFileBytes = maxFileBytes
    }

    public func fetchPage(after checkpoint: ExchangeCheckpoint?) async throws(ExchangeError) -> ExchangePage {
        let data: Data
        do {
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
            guard size <= maxFileBytes else {
                throw ExchangeError(.fileUnreadable, "The signal file is larger than \(maxFileBytes) bytes; split it into smaller files.")
            }
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let error as ExchangeError {
            throw error
        } catch {
            throw ExchangeError(.fileUnreadable, "The signal file could not be read; check that it exists and is readable.")
        }
        let fingerprint = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        var first = 0
        switch checkpoint?.state {
        case nil: break
        case .file(let nextLine, let digest)?: first = digest == fingerprint ? nextLine : 0
        case .some: throw ExchangeError(.checkpointMismatch, "The stored checkpoint is not a file one; remove and add the exchange again.")
        }
        let lines = String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        var reader = SignalLineReader(format: format)
        var changes: [ExchangeChange] = []
        var rejections = RejectionTally()
        var index = 0
        for line in lines {
            defer { index += 1 }
            // The CSV header is read on every page; data lines before `first` were applied already.
            if index < first, !(format == .csv && index == 0) { continue }
            if index >= first + pageLines { break }
            switch reader.read(line, isFirst: index == 0) {
            case .none: continue
            case .record(let record):
                if index >= first { changes.append(.upsert(record)) }
            case .rejected(let rejection):
                if index >= first { rejections.add(rejection) }
            }
        }
        let end = min(lines.count, first + pageLines)
        let hasMore = end < lines.count
        return ExchangePage(changes: changes, rejections: rejections,
                            checkpoint: ExchangeCheckpoint(.file(nextLine: end, fingerprint: fingerprint)), hasMore: hasMore)
    }
}

/// The formats `SignalFileImporter` reads.
public enum SignalFileFormat: String, Sendable, Hashable, Codable {
    /// pytx `local_file`: one `signal_type hash` per line, pytx's type names (`pdq`, `video_md5`, ...).
    case localFile = "local_file"
    /// CSV with a header naming `signal_type` and `signal_str` (pytx `threatexchange dataset -P --csv`, the
    /// form HMA users hand signals around in; `signal_value` and `hash` are accepted for `signal_str`).
    case csv
}

/// Reads one line of a signal file.
struct SignalLineReader {
    enum Outcome { case none, record(ExchangeRecord), rejected(RecordRejection) }

    let format: SignalFileFormat
    private var typeColumn: Int?
    private var valueColumn: Int?

    init(format: SignalFileFormat) { self.format = format }

    /// pytx's signal type names (`SignalType.get_name()`), and ours.
    static func signalType(_ name: some StringProtocol) -> ExchangeSignalType? {
        switch name.lowercased() {
        case "pdq", "imagepdq": .imagePDQ
        case "video_md5", "videomd5", "md5": .videoMD5
        case "video_tmk_pdqf", "videotmk": .videoTMK
        case "": nil
        default: .other(String(name))
        }
    }

    mutating func read(_ line: Substring, isFirst: Bool) -> Outcome {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return .none }
        let typeName: String
        let value: String
        switch format {
        case .localFile:
            let parts = trimmed.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { return .rejected(RecordRejection(.malformedLine, field: "line")) }
            typeName = String(parts[0])
            value = parts[1].trimmingCharacters(in: .whitespaces)
        case .csv:
            guard let fields = Self.csvFields(trimmed) else { return .rejected(RecordRejection(.malformedLine, field: "line")) }
            if isFirst {
                let names = fields.map { $0.lowercased() }
                typeColumn = names.firstIndex(of: "signal_type")
                valueColumn = names.firstIndex(of: "signal_str") ?? names.firstIndex(of: "signal_value") ?? names.firstIndex(of: "hash")
                return typeColumn == nil || valueColumn == nil ? .rejected(RecordRejection(.missingField, field: "header")) : .none
            }
            guard let typeColumn, let valueColumn else { return .rejected(RecordRejection(.missingField, field: "header")) }
            guard fields.count > max(typeColumn, valueColumn) else { return .rejected(RecordRejection(.malformedLine, field: "line")) }
            typeName = fields[typeColumn]
            value = fields[valueColumn]
        }
        guard let type = Self.signalType(typeName), typeName.utf8.count <= 64 else {
            return .rejected(RecordRejection(.unknownSignalType, field: "signal_type"))
        }
        do {
            let hash = try RecordValidator.hashValue(value, type: type, field: "signal")
            return .record(ExchangeRecord(id: .init(signalType: type, signalValue: hash)))
        } catch {
            return .rejected(error)
        }
    }

    /// The fields of one CSV line (RFC 4180 quoting); nil when a quote is left open.
    static func csvFields(_ line: String) -> [String]? {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var iterator = line.makeIterator()
        var pending: Character? = nil
        while let char = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if char == "\"" {
                    if let nextChar = iterator.next() {
                        if nextChar == "\"" { current.append("\"") } else { quoted = false; pending = nextChar }
                    } else { quoted = false }
                } else { current.append(char) }
            } else if char == "\"" {
                quoted = true
            } else if char == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(char)
            }
        }
        if quoted { return nil }
        fields.append(current)
        return fields
    }
}
