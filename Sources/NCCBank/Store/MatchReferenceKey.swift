import Crypto
import NCCHashCore

/// The bank's secret key for match references, and the one way every store makes them.
///
/// A match reference is `m_` and the first 128 bits of HMAC-SHA256(key, "<platform id>:<image id>") in
/// lowercase hex: the same for a platform and a picture on every replica and after every restart, computable
/// while the database is away, different between platforms, and saying nothing about the picture or its case
/// to anyone without the key. Each store keeps its key beside the bank (made once, when the bank is made).
///
/// - Warning: the key must stay as secret as the bank: with it, a platform's references can be linked to
///   bank pictures. It is never logged or exported.
public struct MatchReferenceKey: Sendable {
    /// Bytes in a key.
    public static let byteCount = 32

    private let bytes: [UInt8]

    /// A key from its stored bytes; throws `BankError` `store_corrupt` unless they are `byteCount` long.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == Self.byteCount else { throw BankError.matchReferenceKeyDamaged }
        self.bytes = bytes
    }

    /// Fresh random bytes for a new bank's key.
    public static func newKeyBytes() -> [UInt8] { Secrets.randomBytes(byteCount) }

    /// The match reference of bank picture `imageID` for platform `platformID`.
    public func reference(platformID: Int64, imageID: Int64) -> String {
        tagged("m_", "\(platformID):\(imageID)")
    }

    /// The match reference of imported hash `hashID` (`ImportedHash.id`) for platform `platformID`: `x_` and the
    /// first 128 bits of HMAC-SHA256(key, "x:<platform id>:<hash id>"), so it never equals a case picture's.
    public func importedReference(platformID: Int64, hashID: Int64) -> String {
        tagged("x_", "x:\(platformID):\(hashID)")
    }

    /// `prefix` and the first 128 bits of HMAC-SHA256(key, `message`) in lowercase hex.
    private func tagged(_ prefix: String, _ message: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: bytes))
        return prefix + HexCodec.encode(bytes: mac.prefix(16))
    }
}
