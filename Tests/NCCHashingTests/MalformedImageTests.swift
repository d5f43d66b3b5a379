import Foundation
import NCCHashing
import NCCTestSupport
import Testing

@Suite struct MalformedImageTests {
    @Test("Each malformed fixture gives its specific error code", arguments: DecodedPixelsRecord.malformed)
    func malformedFixtureGivesItsCode(_ record: DecodedPixelsRecord) throws {
        let error = try #require(decodingError(try record.bytes), "decoded instead of failing with \(record.error ?? "")")
        #expect(error.code.rawValue == record.error)
        #expect(!error.message.isEmpty)
        #expect(!error.message.contains(record.file))
    }

    @Test func absurdHeaderDimensionsAreRefusedQuicklyWithoutAllocating() throws {
        let bytes = try fixture("images/malformed/huge-100000x100000.png")
        let clock = ContinuousClock()
        let start = clock.now
        var caught: ImageDecodingError?
        do { _ = try ImageDecoder.decode(bytes) } catch { caught = error }
        #expect(caught?.code == .tooManyPixels)
        #expect(clock.now - start < .milliseconds(200))
        // A 10^10-pixel RGB buffer would be 30 GB: failing fast proves none was allocated.
    }

    @Test func pixelLimitIsConfigurable() throws {
        let bytes = try fixture("images/jpeg/large-800x600.jpg")
        #expect(throws: ImageDecodingError.self) { try ImageDecoder.decode(bytes, options: .init(maxPixels: 479_999)) }
        #expect((try? ImageDecoder.decode(bytes, options: .init(maxPixels: 480_000))) != nil)
        // The limit is about the picture, not the scaled output.
        #expect(throws: ImageDecodingError.self) {
            try ImageDecoder.decode(bytes, options: .init(minimumShortSide: 64, maxPixels: 479_999))
        }
        let png = try fixture("images/png/rgb8.png")
        do { _ = try ImageDecoder.decode(png, options: .init(maxPixels: 61 * 43 - 1)); Issue.record("decoded") } catch {
            #expect(error.code == .tooManyPixels)
        }
    }

    @Test func truncatedAtEveryTenthOfAJPEGIsAnError() throws {
        let bytes = try fixture("images/jpeg/baseline-444.jpg")
        for tenth in 1...9 {
            let cut = Array(bytes.prefix(bytes.count * tenth / 10))
            do { _ = try ImageDecoder.decode(cut); Issue.record("cut at \(tenth)/10 decoded") } catch {
                #expect(error.code == .truncated, "cut at \(tenth)/10: \(error)")
            }
        }
    }

    @Test func jpegMissingOnlyItsEndMarkerStillDecodes() throws {
        let bytes = try fixture("images/jpeg/baseline-420.jpg")
        #expect(bytes.suffix(2) == [0xFF, 0xD9])
        let full = try ImageDecoder.decode(bytes)
        let withoutEOI = try ImageDecoder.decode(Array(bytes.dropLast(2)))
        #expect(sha256Hex(full) == sha256Hex(withoutEOI))
    }

    @Test func truncatedPNGsAreTruncated() throws {
        let bytes = try fixture("images/png/rgb8-adam7.png")
        for tenth in 1...9 {
            let cut = Array(bytes.prefix(bytes.count * tenth / 10))
            do { _ = try ImageDecoder.decode(cut); Issue.record("cut at \(tenth)/10 decoded") } catch {
                #expect(error.code == .truncated, "cut at \(tenth)/10: \(error)")
            }
        }
    }

    @Test func emptyAndTinyInputs() {
        for bytes: [UInt8] in [[], [0xFF], [0xFF, 0xD8], [0xFF, 0xD8, 0xFF], [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]] {
            do { _ = try ImageDecoder.decode(bytes); Issue.record("decoded \(bytes)") } catch {
                #expect([.emptyFile, .unsupportedFormat, .truncated].contains(error.code), "\(bytes): \(error)")
            }
        }
    }

    @Test func errorsDescribeThemselvesWithoutPixels() throws {
        let error = try #require(decodingError(try fixture("images/malformed/truncated.jpg")))
        #expect(error.message == "The file ends before the picture is complete. It may not have finished copying; try copying it again.")
        #expect(error.underlying == "Premature end of JPEG file")
        #expect(error.description.hasPrefix("truncated: "))
    }
}
