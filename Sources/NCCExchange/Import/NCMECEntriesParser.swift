import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads one `queryResult` answer of NCMEC's `entries` endpoint into changes, entry by entry: a malformed
/// entry or fingerprint is counted and skipped, never the page.
final class NCMECEntriesParser: NSObject, XMLParserDelegate {
    struct Result {
        var changes: [ExchangeChange] = []
        var rejections = RejectionTally()
        var nextPath: String?
    }

    private struct Entry {
        var isVideo: Bool
        var deleted: Bool
        var memberID: Int?
        var id: String?
        var timestamp: String?
        var classification: String?
        var fingerprints: [(String, String)] = []
    }

    private var result = Result()
    private var path: [String] = []
    private var entry: Entry?
    private var text = ""
    private var sawRoot = false

    /// Parses `body`.
    /// - Throws: `ExchangeError.Code.malformedPage` when it is not an entries answer at all.
    static func parse(_ body: Data) throws(ExchangeError) -> Result {
        // NCMEC's answers have no DTD; one could only declare entities (expansion bombs, external files).
        guard !hasDoctype(body) else {
            throw ExchangeError(.malformedPage, "NCMEC's answer declares a DTD, which its API never does; nothing of it was applied.")
        }
        let delegate = NCMECEntriesParser()
        let parser = XMLParser(data: body)
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = true
        parser.delegate = delegate
        guard parser.parse(), delegate.sawRoot else {
            throw ExchangeError(.malformedPage, "NCMEC answered with something that is not an entries page (XML unreadable or no queryResult); nothing of it was applied.")
        }
        return delegate.result
    }

    /// Whether `body` contains `<!DOCTYPE` (any case).
    static func hasDoctype(_ body: Data) -> Bool {
        let marker = Array("<!doctype".utf8)
        return body.withUnsafeBytes { raw -> Bool in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard bytes.count >= marker.count else { return false }
            outer: for start in 0...(bytes.count - marker.count) where bytes[start] == UInt8(ascii: "<") {
                for (offset, expected) in marker.enumerated() where bytes[start + offset] | 0x20 != expected | 0x20 {
                    continue outer
                }
                return true
            }
            return false
        }
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if path.isEmpty, elementName == "queryResult" { sawRoot = true }
        path.append(elementName)
        text = ""
        if path.count == 3, ["images", "videos"].contains(path[1]) {
            switch elementName {
            case "image": entry = Entry(isVideo: false, deleted: false)
            case "video": entry = Entry(isVideo: true, deleted: false)
            case "deletedImage": entry = Entry(isVideo: false, deleted: true)
            case "deletedVideo": entry = Entry(isVideo: true, deleted: true)
            default: result.rejections.add(RecordRejection(.wrongType, field: elementName.count <= 32 ? elementName : "entry"))
            }
        }
        if path.count == 4, elementName == "member", entry != nil {
            entry?.memberID = attributes["id"].flatMap { Int($0) } ?? -1
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        // Bounded: no field of an entry is longer than a fingerprint.
        if text.utf8.count < RecordValidator.maxOpaqueHashLength + 1 { text += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        defer { path.removeLast(); text = "" }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if path.count == 3, path[1] == "paging", elementName == "next", !value.isEmpty {
            result.nextPath = value
            return
        }
        guard entry != nil else { return }
        switch path.count {
        case 4:
            switch elementName {
            case "id": entry?.id = value
            case "timestamp": entry?.timestamp = value
            case "classification": entry?.classification = value
            default: break
            }
        case 5 where path[3] == "fingerprints":
            // Fingerprints given as a link (`<tmk-pdqf href=.../>`) have no text: nothing to store.
            if !value.isEmpty { entry?.fingerprints.append((elementName, value)) }
        case 3:
            finish(entry!)
            entry = nil
        default: break
        }
    }

    private func finish(_ entry: Entry) {
        guard let memberID = entry.memberID else { return result.rejections.add(RecordRejection(.missingField, field: "member")) }
        guard memberID >= 0 else { return result.rejections.add(RecordRejection(.wrongType, field: "member")) }
        guard let rawID = entry.id, !rawID.isEmpty else { return result.rejections.add(RecordRejection(.missingField, field: "id")) }
        let id: String
        do { id = try RecordValidator.text(rawID, field: "id") } catch { return result.rejections.add(error) }
        let upstream = UpstreamEntry(memberID: memberID, entryID: id)
        if entry.deleted { return result.changes.append(.replaceEntry(upstream, [])) }
        let modified = entry.timestamp.flatMap { ISO8601DateFormatter().date(from: $0) }.map { Int64($0.timeIntervalSince1970) }
        let classification = entry.classification.flatMap { try? RecordValidator.text($0, field: "classification") }
        var records: [ExchangeRecord] = []
        for (name, raw) in entry.fingerprints {
            // A fingerprint's kind becomes part of the stored record: NCMEC's names are short.
            guard name.utf8.count <= 32 else {
                result.rejections.add(RecordRejection(.fieldTooLarge, field: "fingerprints"))
                continue
            }
            let type: ExchangeSignalType
            switch name.lowercased() {
            case "md5": type = entry.isVideo ? .videoMD5 : .imageMD5
            case "pdq": type = .imagePDQ
            case "sha1": type = .sha1
            case "tmk_pdqf", "tmk-pdqf": type = .videoTMK
            default: type = .other(name.uppercased().replacingOccurrences(of: "-", with: "_"))
            }
            do {
                let hash = try RecordValidator.hashValue(raw, type: type, field: "fingerprints.\(name)")
                records.append(ExchangeRecord(id: .init(signalType: type, signalValue: hash, entry: upstream), status: .active,
                                              lastModified: modified, classification: classification))
            } catch {
                result.rejections.add(error)
            }
        }
        result.changes.append(.replaceEntry(upstream, records))
    }
}
