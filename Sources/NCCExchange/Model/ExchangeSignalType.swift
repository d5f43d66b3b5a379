import NCCHashing

/// The kind of hash an exchange record carries, named as StopNCII names it where StopNCII has a name.
///
/// `imagePDQ` and the MD5 kinds map to nccmatch's own algorithms (`algorithm`); the others (TMK, SHA-1,
/// PhotoDNA, and whatever an exchange adds) are stored with their record but never matched yet.
public enum ExchangeSignalType: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A PDQ image hash: 64 hex characters (StopNCII `ImagePDQ`, NCMEC `pdq` on an image).
    case imagePDQ
    /// The MD5 of a video file: 32 hex characters (StopNCII `VideoMD5`, NCMEC `md5` on a video).
    case videoMD5
    /// The MD5 of an image file: 32 hex characters (NCMEC `md5` on an image).
    case imageMD5
    /// A TMK+PDQF video fingerprint (StopNCII `VideoTMK`, NCMEC `tmk_pdqf`): kept, not matched.
    case videoTMK
    /// A SHA-1 of the file: 40 hex characters (NCMEC `sha1`): kept, not matched.
    case sha1
    /// Any other fingerprint (PhotoDNA, NetClean, ...), by the exchange's name for it: kept, not matched.
    case other(String)

    /// The name in records and checkpoints: `ImagePDQ`, `VideoMD5`, `ImageMD5`, `VideoTMK`, `SHA1`, or the
    /// exchange's own name for another kind.
    public var name: String {
        switch self {
        case .imagePDQ: "ImagePDQ"
        case .videoMD5: "VideoMD5"
        case .imageMD5: "ImageMD5"
        case .videoTMK: "VideoTMK"
        case .sha1: "SHA1"
        case .other(let name): name
        }
    }

    /// Reads a name written by `name` (StopNCII's names are the same).
    public init(name: String) {
        switch name {
        case "ImagePDQ": self = .imagePDQ
        case "VideoMD5": self = .videoMD5
        case "ImageMD5": self = .imageMD5
        case "VideoTMK": self = .videoTMK
        case "SHA1": self = .sha1
        default: self = .other(name)
        }
    }

    /// The nccmatch algorithm a hash of this kind is matched with, or nil when it is stored but unused.
    public var algorithm: HashAlgorithm? {
        switch self {
        case .imagePDQ: .pdq
        case .videoMD5, .imageMD5: .md5
        case .videoTMK, .sha1, .other: nil
        }
    }

    /// The exact number of hex characters a hash of this kind has, or nil when the form is not fixed.
    public var hexLength: Int? {
        switch self {
        case .imagePDQ: 64
        case .videoMD5, .imageMD5: 32
        case .sha1: 40
        case .videoTMK, .other: nil
        }
    }

    public var description: String { name }

    public init(from decoder: any Decoder) throws {
        self.init(name: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
