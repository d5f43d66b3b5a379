import Foundation
import NCCHashing
import NCCTestSupport
import Testing

/// End-to-end conformance through `ImageHasher` on the images the project generated: every PNG
/// color type and bit depth, JPEG variants and all EXIF orientations. Expected values come from
/// pdqhash 0.2.8, imagehash 4.3.2 and Pillow 13.0.0 (`Scripts/reference/make_expected_hashes.py`).
@Suite struct FixtureConformanceTests {
    struct Expected: Decodable, Sendable, CustomTestStringConvertible {
        let file: String
        let exif: Bool
        let md5: String
        let sha256: String
        let pdq: String
        let pdq_quality: Int
        let pdq_dihedral: [String]
        let phash: String
        let dhash: String
        let width: Int
        let height: Int
        var testDescription: String { "\(file) exif=\(exif)" }
    }

    static let expected: [Expected] = {
        let url = TestPaths.fixtures.appendingPathComponent("expected-hashes.jsonl")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Expected.self, from: Data($0.utf8)) }
    }()

    @Test func theReferenceFileIsComplete() {
        #expect(Self.expected.count >= 70, "expected-hashes.jsonl lists every decodable fixture")
    }

    @Test(arguments: expected)
    func exactModeEqualsTheReferences(_ expected: Expected) throws {
        let path = TestPaths.fixtures.appendingPathComponent(expected.file).path
        let options = HashingOptions(mode: .exact, applyEXIFOrientation: expected.exif)
        let result = try ImageHasher.hashFile(atPath: path, options: options)
        #expect(result.digests.md5 == expected.md5)
        #expect(result.digests.sha256 == expected.sha256)
        let hashes = try result.image.get()
        #expect(hashes.pdq.hash.hex == expected.pdq)
        #expect(hashes.pdq.quality == expected.pdq_quality)
        #expect(hashes.pdq.dihedral.map(\.hex) == expected.pdq_dihedral)
        #expect(hashes.phash.hex == expected.phash)
        #expect(hashes.dhash.hex == expected.dhash)
        #expect(hashes.width == expected.width && hashes.height == expected.height)
    }

    @Test(arguments: expected)
    func fastModeStaysCloseToExact(_ expected: Expected) throws {
        let path = TestPaths.fixtures.appendingPathComponent(expected.file).path
        let fast = try ImageHasher.hashFile(atPath: path, options: HashingOptions(mode: .fast, applyEXIFOrientation: expected.exif)).image.get()
        let reference = try PDQHash(hex: expected.pdq)
        #expect(fast.pdq.hash.distance(to: reference) <= 8, "fast PDQ is \(fast.pdq.hash.distance(to: reference)) bits from exact")
        #expect(fast.width == expected.width && fast.height == expected.height)
    }

    /// The same picture stored in each of the 8 EXIF orientations hashes like the upright one.
    @Test(arguments: ["jpg", "png"])
    func everyEXIFOrientationGivesTheUprightPicturesHash(_ ext: String) throws {
        let folder = TestPaths.fixtures.appendingPathComponent("images/orientation")
        let upright = try ImageHasher.hashFile(atPath: folder.appendingPathComponent("exif-1.\(ext)").path).image.get()
        for orientation in 2...8 {
            let path = folder.appendingPathComponent("exif-\(orientation).\(ext)").path
            let hashes = try ImageHasher.hashFile(atPath: path).image.get()
            let distance = hashes.pdq.hash.distance(to: upright.pdq.hash)
            #expect(distance <= 8, "orientation \(orientation): \(distance) bits from upright")
            #expect(hashes.width == upright.width && hashes.height == upright.height)
            let ignored = try ImageHasher.hashFile(atPath: path, options: HashingOptions(applyEXIFOrientation: false)).image.get()
            if orientation != 1 {
                #expect(ignored.pdq.hash.distance(to: upright.pdq.hash) > 31, "ignoring EXIF hashes the stored, turned pixels")
            }
        }
    }
}
