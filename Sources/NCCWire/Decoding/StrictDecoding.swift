/// Any JSON object key, for reading which keys an object has.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}

extension Decoder {
    /// Throws `WireFieldError` `unknown_field` when the object being decoded has a key outside `allowed`.
    ///
    /// The request types decode strictly so that a misspelt optional field (`qualty`) is refused rather than
    /// silently ignored.
    func rejectUnknownKeys(_ allowed: Set<String>) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            let at = JSONPath.render(codingPath + [key])
            throw WireFieldError(.unknownField, "\(at) is not a field this endpoint knows; allowed here: \(allowed.sorted().joined(separator: ", ")).")
        }
    }
}

extension KeyedDecodingContainer {
    /// The value at `key`, or nil when the key is absent; an explicit `null` is refused (`invalid_field`),
    /// as the contract declares no nullable field.
    func decodeAbsentOrValue<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) {
            throw WireFieldError(.invalidField, "\(JSONPath.render(codingPath + [key])) is null; leave the field out instead, or give it a value.")
        }
        return try decode(T.self, forKey: key)
    }
}

/// Coding paths written as a person reads them: `items[3].value`.
public enum JSONPath {
    /// `path` as `items[3].value`, or `the body` for the top level.
    public static func render(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let index = key.intValue { out += "[\(index)]" } else { out += out.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return out.isEmpty ? "the body" : out
    }
}
