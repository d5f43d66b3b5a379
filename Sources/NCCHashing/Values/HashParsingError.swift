import NCCHashCore

/// Why a hash's text form could not be read.
public struct HashParsingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable codes. Their `rawValue`s are a public contract (error codes in JSON output and API errors).
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The text had the wrong number of characters for the algorithm.
        case wrongLength = "hash_wrong_length"
        /// The text had a character that is not a hex digit.
        case notHex = "hash_not_hex"
    }

    /// The stable code.
    public let code: Code
    /// A message that says what was wrong and how to fix it; never contains the hash itself.
    public let message: String

    /// The text had the wrong number of characters.
    public static func wrongLength(expected: Int, found: Int, algorithm: HashAlgorithm) -> HashParsingError {
        HashParsingError(
            code: .wrongLength,
            message: "A \(algorithm.rawValue) hash has \(expected) hex characters, this one has \(found)."
        )
    }

    /// The text had a character that is not a hex digit.
    public static func notHex(position: Int, algorithm: HashAlgorithm) -> HashParsingError {
        HashParsingError(
            code: .notHex,
            message: "A \(algorithm.rawValue) hash is written with the hex digits 0-9 and a-f only; character \(position) is not one."
        )
    }

    /// The error for a failure of the project's hex codec, worded for `algorithm`.
    public init(_ failure: HexCodec.Failure, algorithm: HashAlgorithm) {
        switch failure {
        case .wrongLength(let expected, let found): self = .wrongLength(expected: expected, found: found, algorithm: algorithm)
        case .notHex(let position): self = .notHex(position: position, algorithm: algorithm)
        }
    }

    private init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`, for logs and test output.
    public var description: String { "\(code.rawValue): \(message)" }
}

extension HexCodec {
    /// Reads `wordCount` big-endian words of hex text for `algorithm`, with the error worded for it.
    static func words(_ text: some StringProtocol, wordCount: Int, algorithm: HashAlgorithm) throws(HashParsingError) -> [UInt64] {
        switch decodeWords(utf8: text.utf8, wordCount: wordCount) {
        case .success(let words): return words
        case .failure(let failure): throw HashParsingError(failure, algorithm: algorithm)
        }
    }
}
