#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fast path for JSON lines in the exact form `nccmatch hash --format jsonl` writes them: no spaces
/// between tokens and no escapes in any string. `JSONDecoder` reads a line about 5 times slower (measured on
/// 200,000 lines of 880 bytes: 6 µs a line against 1.4 µs), and a bank of a million lines is read on every
/// `nccmatch match`, so such lines are read here; every other line, and every line this reader does not
/// recognise, goes to `JSONDecoder`, which stays the judge of what is valid JSON and words what is not.
extension HashListRecord {
    /// The record of `line`, or nil when the line is not in the plain form (then `JSONDecoder` reads it).
    ///
    /// - Parameter companions: read the dihedral and companion hashes too (a query needs them, a bank does not).
    static func scan(_ line: UnsafeRawBufferPointer, companions: Bool) -> HashListRecord? {
        var scanner = PlainJSONScanner(bytes: line)
        guard let fields = scanner.objectFields(0..<line.count), scanner.position == line.count else { return nil }
        var record = HashListRecord()
        for (key, value) in fields {
            switch scanner.name(key) {
            case "id":
                if let text = scanner.string(value) { record.id = text } else if let n = scanner.integer(value) { record.id = String(n) }
            case "path": record.path = scanner.string(value)
            case "pdq": guard scanner.string(value, into: &record.pdq) else { return nil }
            case "phash": guard scanner.string(value, into: &record.phash) else { return nil }
            case "dhash": guard scanner.string(value, into: &record.dhash) else { return nil }
            case "pdq_low_passed" where companions: guard scanner.string(value, into: &record.lowPassed) else { return nil }
            case "pdq_corner_masked" where companions: guard scanner.string(value, into: &record.cornerMasked) else { return nil }
            case "pdq_photo_region" where companions: guard scanner.string(value, into: &record.photoRegion) else { return nil }
            case "pdq_photo_region_corner_masked" where companions: guard scanner.string(value, into: &record.photoRegionCornerMasked) else { return nil }
            case "pdq_photo_region_in_chrome" where companions: return nil // rare (screenshots): the full decoder reads it
            case "pdq_collage_tiles" where companions:
                guard let list = scanner.stringList(value) else { return nil }
                record.collageTiles = list
            case "pdq_quality":
                guard let n = scanner.number(value) else { return nil }
                record.pdqQuality = n
            case "pdq_dihedral" where companions:
                guard let list = scanner.stringList(value) else { return nil }
                record.pdqDihedral = list
            case "unletterboxed" where companions:
                guard let inner = scanner.objectFields(value) else { return nil }
                for (k, v) in inner {
                    switch scanner.name(k) {
                    case "pdq": guard scanner.string(v, into: &record.unletterboxedPDQ) else { return nil }
                    case "pdq_dihedral":
                        guard let list = scanner.stringList(v) else { return nil }
                        record.unletterboxedPDQDihedral = list
                    default: continue
                    }
                }
            case "pdq_caption_masked" where companions:
                guard let inner = scanner.objectFields(value) else { return nil }
                for (k, v) in inner {
                    switch scanner.name(k) {
                    case "top": guard scanner.string(v, into: &record.captionMaskedTop) else { return nil }
                    case "bottom": guard scanner.string(v, into: &record.captionMaskedBottom) else { return nil }
                    default: continue
                    }
                }
            case "error":
                guard let inner = scanner.objectFields(value) else { return nil }
                for (k, v) in inner where scanner.name(k) == "code" { record.errorCode = scanner.string(v) }
            default: continue
            }
        }
        return record
    }
}

/// Splits JSON in the plain form (no whitespace, no escapes) into byte ranges; nil for anything else.
private struct PlainJSONScanner {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The keys (without quotes) and value ranges of the object spanning `range`; leaves `position` after it.
    mutating func objectFields(_ range: Range<Int>) -> [(key: Range<Int>, value: Range<Int>)]? {
        position = range.lowerBound
        guard byte(is: "{") else { return nil }
        var fields: [(key: Range<Int>, value: Range<Int>)] = []
        if byte(is: "}") { return fields }
        repeat {
            guard let key = plainString(), byte(is: ":") else { return nil }
            let start = position
            guard skipValue(depth: 0) else { return nil }
            fields.append((key.lowerBound + 1..<key.upperBound - 1, start..<position))
        } while byte(is: ",")
        guard byte(is: "}"), position <= range.upperBound else { return nil }
        return fields
    }

    /// The names of the fields the reader uses; any other key is skipped without making a string of it.
    private static let names: [String] = [
        "id", "path", "pdq", "phash", "dhash", "pdq_low_passed", "pdq_quality", "pdq_dihedral", "unletterboxed",
        "pdq_caption_masked", "error", "top", "bottom", "code", "pdq_photo_region", "pdq_collage_tiles",
        "pdq_photo_region_in_chrome", "pdq_corner_masked", "pdq_photo_region_corner_masked",
    ]
    private static let nameBytes: [[UInt8]] = names.map { Array($0.utf8) }

    /// The key spanning `range` when it is one the reader uses, else the empty string.
    func name(_ range: Range<Int>) -> String {
        for (k, bytesOfName) in Self.nameBytes.enumerated() where bytesOfName.count == range.count {
            if bytesOfName.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress! + range.lowerBound, range.count) }) == 0 { return Self.names[k] }
        }
        return ""
    }

    /// The text of `range`.
    func text(_ range: Range<Int>) -> String { String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self) }

    /// The string value spanning `range`, without its quotes; nil when the value is not a string.
    func string(_ range: Range<Int>) -> String? {
        guard range.count >= 2, bytes[range.lowerBound] == UInt8(ascii: "\""), bytes[range.upperBound - 1] == UInt8(ascii: "\"") else { return nil }
        return text(range.lowerBound + 1..<range.upperBound - 1)
    }

    /// Stores the string value of `range` in `field`; false when the value is not a string.
    func string(_ range: Range<Int>, into field: inout String?) -> Bool {
        guard let text = string(range) else { return false }
        field = text
        return true
    }

    /// The number spanning `range`; nil when it is not a number.
    func number(_ range: Range<Int>) -> Double? {
        guard let first = range.first, bytes[first] == UInt8(ascii: "-") || (48...57).contains(bytes[first]) else { return nil }
        return Double(text(range))
    }

    /// The integer spanning `range`; nil when it is not an integer.
    func integer(_ range: Range<Int>) -> Int? { Int(text(range)) }

    /// The strings of the list spanning `range`; nil when it is not a list of strings.
    func stringList(_ range: Range<Int>) -> [String]? {
        guard range.count >= 2, bytes[range.lowerBound] == UInt8(ascii: "["), bytes[range.upperBound - 1] == UInt8(ascii: "]") else { return nil }
        if range.count == 2 { return [] }
        var items: [String] = []
        var scanner = PlainJSONScanner(bytes: bytes)
        scanner.position = range.lowerBound + 1
        repeat {
            guard let item = scanner.plainString() else { return nil }
            items.append(text(item.lowerBound + 1..<item.upperBound - 1))
        } while scanner.byte(is: ",")
        return scanner.position == range.upperBound - 1 ? items : nil
    }

    /// Consumes `ascii` when it is the next byte.
    private mutating func byte(is ascii: Unicode.Scalar) -> Bool {
        guard position < bytes.count, bytes[position] == UInt8(ascii: ascii) else { return false }
        position += 1
        return true
    }

    /// Consumes a string without escapes; its range includes the quotes.
    private mutating func plainString() -> Range<Int>? {
        let start = position
        guard byte(is: "\""), position < bytes.count, let base = bytes.baseAddress,
              let quote = memchr(base + position, Int32(UInt8(ascii: "\"")), bytes.count - position) else { return nil }
        let end = base.distance(to: UnsafeRawPointer(quote))
        // A backslash means an escape: JSONDecoder reads such lines.
        guard memchr(base + position, Int32(UInt8(ascii: "\\")), end - position) == nil else { return nil }
        position = end + 1
        return start..<position
    }

    /// Whether `b` may follow the first character of a number.
    private static func isNumberByte(_ b: UInt8) -> Bool {
        (48...57).contains(b) || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
    }

    /// Consumes one value of any kind, nested at most a few levels.
    private mutating func skipValue(depth: Int) -> Bool {
        guard depth < 4, position < bytes.count else { return false }
        switch bytes[position] {
        case UInt8(ascii: "\""):
            return plainString() != nil
        case UInt8(ascii: "{"):
            position += 1
            if byte(is: "}") { return true }
            repeat {
                guard plainString() != nil, byte(is: ":"), skipValue(depth: depth + 1) else { return false }
            } while byte(is: ",")
            return byte(is: "}")
        case UInt8(ascii: "["):
            position += 1
            if byte(is: "]") { return true }
            repeat {
                guard skipValue(depth: depth + 1) else { return false }
            } while byte(is: ",")
            return byte(is: "]")
        default:
            // A literal, or a number: a sign or digit first, then only the characters numbers are written with
            // (a number the reader uses is parsed in full; one it skips need not be).
            for literal in ["true", "false", "null"] where literal.utf8.count <= bytes.count - position {
                if literal.utf8.elementsEqual(bytes[position..<(position + literal.utf8.count)]) {
                    position += literal.utf8.count
                    return true
                }
            }
            guard bytes[position] == UInt8(ascii: "-") || (48...57).contains(bytes[position]) else { return false }
            position += 1
            while position < bytes.count, Self.isNumberByte(bytes[position]) { position += 1 }
            return true
        }
    }
}
