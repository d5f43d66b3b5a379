import NCCWire

extension ExchangeRecord {
    /// `caseNumbers` as a JSON object with sorted keys, the form both bank drivers store (`JSONDecoder` reads it
    /// back as `[String: ExchangeHashStatus]`). Written by hand: most records carry one or two case numbers, and a
    /// `JSONEncoder` per record took a tenth of a page's import.
    public var caseNumbersJSON: String {
        var text = "{"
        for (index, key) in caseNumbers.keys.sorted().enumerated() {
            if index > 0 { text += "," }
            text += JSONText.quote(key) + ":" + JSONText.quote(caseNumbers[key]!.rawValue)
        }
        return text + "}"
    }
}
