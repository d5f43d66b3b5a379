import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads the reason ids of NCMEC's `availableFeedbackReasons` answer.
final class NCMECReasonsParser: NSObject, XMLParserDelegate {
    private var guids: [String] = []

    static func parse(_ body: Data) -> [String] {
        guard !NCMECEntriesParser.hasDoctype(body) else { return [] }
        let delegate = NCMECReasonsParser()
        let parser = XMLParser(data: body)
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = true
        parser.delegate = delegate
        return parser.parse() ? delegate.guids : []
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if elementName == "reason", let guid = attributes["guid"], guid.utf8.count <= RecordValidator.maxTextLength { guids.append(guid) }
    }
}
