/// What the first bytes of a file say it is.
public enum DetectedFormat: Sendable, Hashable {
    /// JPEG (starts FF D8 FF).
    case jpeg
    /// PNG (the 8-byte PNG signature).
    case png
    /// HEIC/HEIF: an ISO base media file (`ftyp` box) whose brands say HEIF still image (heic, heix, mif1...).
    case heic
    /// AVIF: an ISO base media file whose brands include avif (or avis).
    case avif
    /// WebP ("RIFF", size, "WEBP").
    case webp
    /// GIF ("GIF87a" or "GIF89a").
    case gif
    /// Something nccmatch cannot decode; `name` is a plain description such as "BMP", "TIFF",
    /// "MP4 video", "empty file" or "not an image".
    case unsupported(name: String)

    /// The decodable format, or nil for `.unsupported`.
    public var imageFormat: ImageFormat? {
        switch self {
        case .jpeg: return .jpeg
        case .png: return .png
        case .heic: return .heic
        case .avif: return .avif
        case .webp: return .webp
        case .gif: return .gif
        case .unsupported: return nil
        }
    }
}

extension ImageDecoder {
    /// Detects the format from magic bytes (never the file name).
    ///
    /// Recognises JPEG, PNG, HEIC/HEIF, AVIF, WebP and GIF, and names common formats it cannot decode: BMP, TIFF,
    /// PDF, JPEG 2000, JPEG XL, MP4/MOV video; an empty input is "empty file", anything else "not an image".
    public static func detectFormat(_ bytes: UnsafeRawBufferPointer) -> DetectedFormat {
        let count = bytes.count
        if count == 0 { return .unsupported(name: "empty file") }
        func has(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            guard offset + prefix.count <= count else { return false }
            for (i, byte) in prefix.enumerated() where bytes[offset + i] != byte { return false }
            return true
        }
        func ascii(_ text: String, at offset: Int = 0) -> Bool { has(Array(text.utf8), at: offset) }

        if has([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if has([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if ascii("GIF87a") || ascii("GIF89a") { return .gif }
        if ascii("RIFF") && ascii("WEBP", at: 8) { return .webp }
        if ascii("RIFF") && ascii("AVI ", at: 8) { return .unsupported(name: "AVI video") }
        if ascii("BM") && count >= 14 { return .unsupported(name: "BMP") }
        if has([0x49, 0x49, 0x2A, 0x00]) || has([0x4D, 0x4D, 0x00, 0x2A]) { return .unsupported(name: "TIFF") }
        if ascii("%PDF") { return .unsupported(name: "PDF") }
        if has([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]) { return .unsupported(name: "JPEG 2000") }
        if has([0xFF, 0x0A]) || ascii("JXL ", at: 4) { return .unsupported(name: "JPEG XL") }
        if has([0x1A, 0x45, 0xDF, 0xA3]) { return .unsupported(name: "WebM/MKV video") }
        if ascii("ftyp", at: 4) {
            switch isoBrandName(bytes) {
            case "AVIF": return .avif
            case "HEIC": return .heic
            case let name: return .unsupported(name: name)
            }
        }
        return .unsupported(name: "not an image")
    }

    /// Names an ISO base media file (ftyp box) by its major and compatible brands.
    private static func isoBrandName(_ bytes: UnsafeRawBufferPointer) -> String {
        // The ftyp box: size (4), "ftyp", major brand (4), minor version (4), compatible brands (4 each) up to its size.
        let boxSize = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
        let end = min(bytes.count, max(boxSize, 12))
        var brands: [String] = []
        var offset = 8
        while offset + 4 <= end {
            if offset != 12 {  // skip the minor version
                brands.append(String(decoding: bytes[offset..<offset + 4], as: UTF8.self))
            }
            offset += 4
        }
        let set = Set(brands)
        if set.contains("avif") || set.contains("avis") { return "AVIF" }
        if !set.isDisjoint(with: ["heic", "heix", "heim", "heis", "mif1", "msf1", "hevc", "hevx"]) {
            return "HEIC"
        }
        if set.contains("qt  ") { return "MOV video" }
        if set.contains(where: { $0.hasPrefix("3g") }) { return "3GP video" }
        return "MP4 video"
    }
}
