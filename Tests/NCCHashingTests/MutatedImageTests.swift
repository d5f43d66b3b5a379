import Foundation
import NCCHashing
import NCCTestSupport
import Testing

@Suite struct MutatedImageTests {
    static let seeds = [
        "images/jpeg/baseline-420.jpg", "images/jpeg/progressive-420.jpg", "images/jpeg/cmyk-adobe.jpg",
        "images/orientation/exif-6.jpg", "images/png/rgb8-adam7.png", "images/png/palette4-trns.png",
        "images/png/gray16.png", "images/orientation/exif-8.png",
    ]

    /// 1,000 mutations (bit flips, byte runs, truncations, header edits): each decodes or throws, never crashes.
    @Test func thousandMutationsNeverCrash() throws {
        var rng = SplitMix64(seed: 0x6E63_636D_6174_6368)
        let originals = try Self.seeds.map { try fixture($0) }
        var decoded = 0
        var failed: [ImageDecodingError.Code: Int] = [:]
        for round in 0..<1000 {
            var bytes = originals[round % originals.count]
            let kind = Int.random(in: 0..<6, using: &rng)
            switch kind {
            case 0:  // a few bit flips anywhere
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[i] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                }
            case 1:  // truncation
                bytes.removeLast(Int.random(in: 1..<bytes.count, using: &rng))
            case 2:  // header edits: bytes in the first 64 (JPEG SOF/APP, PNG IHDR) replaced
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: 2..<min(64, bytes.count), using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            case 3:  // a run of random bytes
                let start = Int.random(in: 0..<bytes.count, using: &rng)
                for i in start..<min(bytes.count, start + Int.random(in: 1...64, using: &rng)) {
                    bytes[i] = UInt8.random(in: 0...255, using: &rng)
                }
            case 4:  // a slice removed from the middle
                let start = Int.random(in: 0..<bytes.count, using: &rng)
                bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...256, using: &rng)))
            default:  // size fields pushed to extremes (JPEG SOF dims / PNG IHDR dims / EXIF offsets)
                let i = Int.random(in: 2..<min(200, bytes.count - 4), using: &rng)
                bytes.replaceSubrange(i..<i + 4, with: [0xFF, 0xFF, 0xFF, UInt8.random(in: 0...255, using: &rng)])
            }
            // Half the PNG mutations get valid chunk CRCs again, so the damage reaches libpng's inflate and filters.
            if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) && round % 2 == 0 { Self.fixPNGChunkCRCs(&bytes) }
            do {
                let image = try ImageDecoder.decode(bytes, options: .init(minimumShortSide: round % 3 == 0 ? 8 : nil, preferLuma: round % 5 == 0))
                #expect(image.pixels.count == image.width * image.height * image.layout.bytesPerPixel)
                #expect(image.width > 0 && image.height > 0)
                decoded += 1
            } catch {
                failed[error.code, default: 0] += 1
                #expect(!error.message.isEmpty)
            }
        }
        #expect(decoded + failed.values.reduce(0, +) == 1000)
        print("mutations: \(decoded) decoded, failures by code: \(failed.map { "\($0.key.rawValue)=\($0.value)" }.sorted())")
    }

    static let crcTable: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }

    /// Rewrites the CRC of every complete chunk to match its (mutated) contents.
    static func fixPNGChunkCRCs(_ bytes: inout [UInt8]) {
        var offset = 8
        while bytes.count - offset >= 12 {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard length <= bytes.count - offset - 12 else { return }
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes[(offset + 4)..<(offset + 8 + length)] {
                crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
            }
            crc ^= 0xFFFF_FFFF
            let end = offset + 8 + length
            bytes[end] = UInt8(crc >> 24); bytes[end + 1] = UInt8((crc >> 16) & 0xFF)
            bytes[end + 2] = UInt8((crc >> 8) & 0xFF); bytes[end + 3] = UInt8(crc & 0xFF)
            offset = end + 4
        }
    }
}
