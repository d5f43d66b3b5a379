/// Names shown to a person on a terminal, made safe: control characters (ESC, CR, BEL...), C1 controls,
/// line and paragraph separators and bidirectional overrides are written as `\u{1b}`-style escapes, so a
/// file name can neither move the cursor, rewrite a line nor reorder what is shown.
enum TerminalText {
    /// `text` with every character that could act on a terminal written as `\u{…}`, and backslashes doubled
    /// only where they would otherwise look like such an escape.
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Raw bytes of a name that is not valid UTF-8: valid text kept (escaped as above), every other byte
    /// written as `\xNN`.
    static func escapedBytes(_ bytes: [UInt8]) -> String {
        var out = ""
        var i = 0
        while i < bytes.count {
            // Longest valid UTF-8 sequence starting here (1 to 4 bytes), else one byte as \xNN.
            var taken = false
            for length in 1...4 where i + length <= bytes.count {
                if let piece = String(validating: bytes[i..<(i + length)], as: UTF8.self) {
                    out += escaped(piece)
                    i += length
                    taken = true
                    break
                }
            }
            if !taken {
                out += "\\x" + (bytes[i] < 16 ? "0" : "") + String(bytes[i], radix: 16)
                i += 1
            }
        }
        return out
    }

    /// Whether a character could act on a terminal or reorder text rather than show as itself.
    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true            // C0 controls (ESC, CR, LF, BEL, ...), DEL, C1 controls
        case 0x2028, 0x2029: true                        // line and paragraph separators
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true  // bidirectional marks and overrides
        default: false
        }
    }
}
