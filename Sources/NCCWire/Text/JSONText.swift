/// JSON text written by hand, for output whose key order is fixed (the CLI's JSON lines, the bank's error
/// bodies written before a request is parsed).
public enum JSONText {
    /// `s` as a JSON string literal, with the escapes RFC 8259 requires (quote, backslash, control
    /// characters); every other character is written as itself.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
