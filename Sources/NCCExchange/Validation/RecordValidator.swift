/// The checks every imported value passes before it becomes part of a record. Bounds are far above real
/// records and far below what would cost memory: a feed cannot make a record large.
public enum RecordValidator {
    /// Longest text form of a hash without a fixed form (TMK, PhotoDNA, ...), in characters.
    public static let maxOpaqueHashLength = 4_096
    /// Longest case number, entry id, source, tag or classification, in characters.
    public static let maxTextLength = 256
    /// Most case numbers on one record.
    public static let maxCaseNumbers = 1_000
    /// Most feedback items (or tags per item) on one record.
    public static let maxFeedbackItems = 1_000

    /// The stored form of `value` as a hash of `type`: lowercase hex for kinds with a fixed hex form,
    /// the text itself (printable ASCII, bounded) for the others.
    /// - Throws: `RecordRejection` with `field` as its field, never holding the value.
    public static func hashValue(_ value: String, type: ExchangeSignalType, field: String) throws(RecordRejection) -> String {
        let utf8 = value.utf8
        guard let length = type.hexLength else {
            guard !utf8.isEmpty, utf8.count <= maxOpaqueHashLength, utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw RecordRejection(.hashUnreadable, field: field)
            }
            return value
        }
        guard utf8.count == length else { throw RecordRejection(.hashWrongLength, field: field) }
        var lowered = [UInt8]()
        lowered.reserveCapacity(length)
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): lowered.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): lowered.append(byte + 32)
            default: throw RecordRejection(.hashNotHex, field: field)
            }
        }
        return String(decoding: lowered, as: UTF8.self)
    }

    /// `value` if it is short printable text (ids, case numbers, tags); else a rejection for `field`.
    public static func text(_ value: String, field: String) throws(RecordRejection) -> String {
        guard value.utf8.count <= maxTextLength else { throw RecordRejection(.fieldTooLarge, field: field) }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw RecordRejection(.wrongType, field: field)
        }
        return value
    }
}
