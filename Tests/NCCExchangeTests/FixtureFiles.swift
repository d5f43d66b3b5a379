import Foundation

/// The pytx sample answers in `Fixtures/` (see its README for their sources).
enum FixtureFiles {
    static func data(_ name: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
        }
        return try Data(contentsOf: url)
    }

    static func text(_ name: String) throws -> String { String(decoding: try data(name), as: UTF8.self) }

    /// pytx's StopNCII page token (`PAGE_TOKEN` in stopncii/tests/test_api.py).
    static let stopNCIIPageToken = "W3siY29tcG9zaXRlVG9rZW4iOnsidG9rZW4iOiIrUklEOn4xMnRWQUo4SzU2Y0NBQUFBQUFBQUFBPT0jUlQ6MSNUUkM6MiNSVEQ6SFBKSm1LVDF1WnFsQkJuR3lOU09CTUhaRytHL1FBPT0jSVNWOjIjSUVPOjY1NTY3"

    /// A StopNCII record in `FetchHashes`' shape.
    static func stopNCIIRecord(_ hash: String, status: String = "Active", type: String = "ImagePDQ", modified: Int = 1_700_000_000) -> String {
        #"{"lastModtimestamp":\#(modified),"hashValue":"\#(hash)","hashStatus":"\#(status)","caseNumbers":{"c-\#(hash.prefix(8))":"\#(status)"},"signalType":"\#(type)"}"#
    }

    /// A `FetchHashes` page.
    static func stopNCIIPage(_ records: [String], token: String?, more: Bool, nextSet: Int = 1_700_000_100) -> String {
        let tokenField = token.map { #""\#($0)""# } ?? "null"
        return #"{"count":\#(records.count),"nextSetTimestamp":\#(nextSet),"nextPageToken":\#(tokenField),"hasMoreRecords":\#(more),"hashRecords":[\#(records.joined(separator: ","))]}"#
    }

    /// A distinct, valid PDQ hex for `index`.
    static func pdq(_ index: Int) -> String {
        let word = String(format: "%016llx", UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        return word + String(repeating: "0", count: 32) + String(format: "%016llx", UInt64(index))
    }
}
