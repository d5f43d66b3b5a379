import Foundation
import NCCHashing

/// The fields of one hash-list line that matching reads, whichever form the line has (a JSON line or a CSV
/// record of `nccmatch hash`). Text is kept as written; `HashList` checks it.
struct HashListRecord: Sendable, Equatable {
    /// The line's `id` (a string, or an integer written as digits), when it has one.
    var id: String?
    /// The hashed file's path, when given.
    var path: String?
    var pdq: String?
    var pdqQuality: Double?
    var pdqDihedral: [String]?
    var phash: String?
    var dhash: String?
    var unletterboxedPDQ: String?
    var unletterboxedPDQDihedral: [String]?
    var captionMaskedTop: String?
    var captionMaskedBottom: String?
    var lowPassed: String?
    /// PDQ with the bottom-right quarter painted over (`pdq_corner_masked`).
    var cornerMasked: String?
    /// PDQ of the photo rectangle found in a screenshot (`pdq_photo_region`).
    var photoRegion: String?
    /// PDQ of that photo with its bottom-right quarter painted over (`pdq_photo_region_corner_masked`).
    var photoRegionCornerMasked: String?
    /// Whether that photo sits in app chrome (`pdq_photo_region_in_chrome`): the query sends only the regions.
    var photoRegionInChrome = false
    /// PDQ of the tiles of a collage (`pdq_collage_tiles`).
    var collageTiles: [String]?
    /// The error code of a file that could not be hashed.
    var errorCode: String?

    /// The field holding the hash of `algorithm`.
    func hash(_ algorithm: HashListAlgorithm) -> String? {
        switch algorithm {
        case .pdq: pdq
        case .phash: phash
        case .dhash: dhash
        }
    }
}

extension HashListRecord: Decodable {
    private enum Key: String, CodingKey {
        case id, path, pdq, phash, dhash, error
        case pdqQuality = "pdq_quality", pdqDihedral = "pdq_dihedral", unletterboxed
        case captionMasked = "pdq_caption_masked", lowPassed = "pdq_low_passed", cornerMasked = "pdq_corner_masked"
        case photoRegion = "pdq_photo_region", collageTiles = "pdq_collage_tiles", photoRegionInChrome = "pdq_photo_region_in_chrome"
        case photoRegionCornerMasked = "pdq_photo_region_corner_masked"
        case top, bottom, code
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        // An id may be a string or an integer; any other value is not an id, and the path or line names the entry.
        if let text = try? c.decodeIfPresent(String.self, forKey: .id) {
            id = text
        } else if let number = try? c.decodeIfPresent(Int.self, forKey: .id) {
            id = String(number)
        }
        path = try? c.decodeIfPresent(String.self, forKey: .path)
        pdq = try c.decodeIfPresent(String.self, forKey: .pdq)
        pdqQuality = try c.decodeIfPresent(Double.self, forKey: .pdqQuality)
        pdqDihedral = try c.decodeIfPresent([String].self, forKey: .pdqDihedral)
        phash = try c.decodeIfPresent(String.self, forKey: .phash)
        dhash = try c.decodeIfPresent(String.self, forKey: .dhash)
        if c.contains(.unletterboxed), !(try c.decodeNil(forKey: .unletterboxed)) {
            let inner = try c.nestedContainer(keyedBy: Key.self, forKey: .unletterboxed)
            unletterboxedPDQ = try inner.decodeIfPresent(String.self, forKey: .pdq)
            unletterboxedPDQDihedral = try inner.decodeIfPresent([String].self, forKey: .pdqDihedral)
        }
        if c.contains(.captionMasked), !(try c.decodeNil(forKey: .captionMasked)) {
            let inner = try c.nestedContainer(keyedBy: Key.self, forKey: .captionMasked)
            captionMaskedTop = try inner.decodeIfPresent(String.self, forKey: .top)
            captionMaskedBottom = try inner.decodeIfPresent(String.self, forKey: .bottom)
        }
        lowPassed = try c.decodeIfPresent(String.self, forKey: .lowPassed)
        cornerMasked = try c.decodeIfPresent(String.self, forKey: .cornerMasked)
        photoRegion = try c.decodeIfPresent(String.self, forKey: .photoRegion)
        photoRegionInChrome = try c.decodeIfPresent(Bool.self, forKey: .photoRegionInChrome) ?? false
        photoRegionCornerMasked = try c.decodeIfPresent(String.self, forKey: .photoRegionCornerMasked)
        collageTiles = try c.decodeIfPresent([String].self, forKey: .collageTiles)
        if let inner = try? c.nestedContainer(keyedBy: Key.self, forKey: .error) {
            errorCode = try? inner.decodeIfPresent(String.self, forKey: .code)
        }
    }

    /// Decodes one JSON line with Foundation's `JSONDecoder`: the reader of every line the fast path
    /// (`HashListRecord.scan`) leaves to it, and the one that words what is wrong with a malformed line.
    static func decode(json line: UnsafeRawBufferPointer, decoder: JSONDecoder) throws(LineProblem) -> HashListRecord {
        do {
            return try decoder.decode(HashListRecord.self, from: Data(line))
        } catch let error as DecodingError {
            throw LineProblem(error)
        } catch {
            throw LineProblem(.malformedJSON, "malformed JSON (\(error)).")
        }
    }
}

extension LineProblem {
    /// What a `DecodingError` says about a line, in the reader's words.
    init(_ error: DecodingError) {
        func name(_ path: [any CodingKey]) -> String { path.map { "\"\($0.stringValue)\"" }.joined(separator: ".") }
        switch error {
        case .typeMismatch(let type, let context):
            let what = type == String.self ? "a string of hex characters" : type == [String].self ? "a list of hex strings" : type == Double.self ? "a number" : "an object"
            self.init(.wrongType, "\(name(context.codingPath)) should be \(what), as nccmatch hash writes it; hash the file again with nccmatch hash.")
        case .valueNotFound(_, let context):
            self.init(.wrongType, "\(name(context.codingPath)) holds null where a value belongs; hash the file again with nccmatch hash.")
        case .dataCorrupted(let context):
            let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription
            self.init(.malformedJSON, "malformed JSON: \(detail) Each line must be one JSON object as nccmatch hash --format jsonl writes it.")
        case .keyNotFound(let key, _):
            self.init(.malformedJSON, "the object has no \"\(key.stringValue)\" key.")
        @unknown default:
            self.init(.malformedJSON, "malformed JSON: \(error.localizedDescription)")
        }
    }
}
