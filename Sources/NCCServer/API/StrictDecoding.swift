import Foundation

/// Any JSON object key.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}

extension Decoder {
    /// Throws `unknown_field` when the object being decoded has a key outside `allowed`.
    func rejectUnknownKeys(_ allowed: Set<String>) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            let at = JSONPath.render(codingPath + [key])
            throw APIError.badRequest("unknown_field", "\(at) is not a field this endpoint knows; allowed here: \(allowed.sorted().joined(separator: ", ")).")
        }
    }
}

extension KeyedDecodingContainer {
    /// The value at `key`, or nil when the key is absent; an explicit `null` is refused (400 `invalid_field`),
    /// as the API's schema declares no nullable field.
    func decodeAbsentOrValue<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) {
            throw APIError.badRequest("invalid_field", "\(JSONPath.render(codingPath + [key])) is null; leave the field out instead, or give it a value.")
        }
        return try decode(T.self, forKey: key)
    }
}

/// Rendering coding paths as `items[3].value`.
enum JSONPath {
    static func render(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let index = key.intValue { out += "[\(index)]" } else { out += out.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return out.isEmpty ? "the body" : out
    }
}

/// Decoding a request body as JSON, with every failure a specific 400.
enum RequestBody {
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        if data.isEmpty { throw APIError.badRequest("empty_body", "The request has no body; send a JSON object.") }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as APIError {
            throw error
        } catch let error as DecodingError {
            switch error {
            case .dataCorrupted(let context) where context.codingPath.isEmpty:
                throw APIError.badRequest("malformed_json", "The body is not valid JSON; check it with a JSON validator.")
            case .dataCorrupted(let context):
                throw APIError.badRequest("invalid_field", "\(JSONPath.render(context.codingPath)): \(context.debugDescription)")
            case .keyNotFound(let key, let context):
                throw APIError.badRequest("missing_field", "\(JSONPath.render(context.codingPath + [key])) is required.")
            case .typeMismatch(let type, let context):
                throw APIError.badRequest("invalid_field", "\(JSONPath.render(context.codingPath)) has the wrong type; expected \(Self.name(of: type)).")
            case .valueNotFound(let type, let context):
                throw APIError.badRequest("invalid_field", "\(JSONPath.render(context.codingPath)) is null; expected \(Self.name(of: type)).")
            @unknown default:
                throw APIError.badRequest("malformed_json", "The body could not be read as the expected JSON.")
            }
        } catch {
            throw APIError.badRequest("malformed_json", "The body is not valid JSON; check it with a JSON validator.")
        }
    }

    static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Bool.Type: "true or false"
        default: type == [Any].self ? "an array" : "an object or array as documented"
        }
    }
}
