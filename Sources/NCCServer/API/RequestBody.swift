import Foundation
import NCCWire

/// Decoding a request body into its wire type (`NCCWire`, decoded strictly), with every failure a specific 400.
enum RequestBody {
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        if data.isEmpty { throw APIError.badRequest("empty_body", "The request has no body; send a JSON object.") }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as WireFieldError {
            throw APIError(error)
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
