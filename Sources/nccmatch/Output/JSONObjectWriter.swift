import NCCWire

/// Minimal JSON text writing with a fixed key order, for output other tools parse line by line.
struct JSONObjectWriter {
    private(set) var text = "{"
    private var first = true

    mutating func key(_ name: String) {
        if !first { text += "," }
        first = false
        text += JSONObjectWriter.quoted(name) + ":"
    }

    mutating func string(_ name: String, _ value: String) { key(name); text += JSONObjectWriter.quoted(value) }
    mutating func int(_ name: String, _ value: Int) { key(name); text += String(value) }
    mutating func strings(_ name: String, _ values: [String]) {
        key(name)
        text += "[" + values.map(JSONObjectWriter.quoted).joined(separator: ",") + "]"
    }
    mutating func raw(_ name: String, _ json: String) { key(name); text += json }

    /// The finished object.
    func finished() -> String { text + "}" }

    /// A JSON string literal with the escapes RFC 8259 requires.
    static func quoted(_ value: String) -> String { JSONText.quote(value) }
}
