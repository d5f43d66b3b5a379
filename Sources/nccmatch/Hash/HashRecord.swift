import NCCHashing

/// The outcome of hashing one input, as the `hash` command prints it.
struct HashRecord: Sendable {
    /// The input's path as given or found, `-` for standard input.
    var path: String
    /// Digests of the bytes; nil only when the file could not be read at all.
    var digests: FileDigests?
    /// Perceptual hashes, or a stable error code with a plain message.
    var outcome: Result<ImageHashes, HashRecordError>

    /// Whether the input was hashed completely.
    var succeeded: Bool {
        if case .success = outcome { return true }
        return false
    }

    /// Hashes one input; never throws: failures become records.
    static func make(_ input: HashInput, options: HashingOptions) -> HashRecord {
        do {
            let result: FileHashResult
            switch input {
            case .file(let path): result = try ImageHasher.hashFile(atPath: path, options: options)
            case .standardInput: result = try ImageHasher.hashFile(descriptor: 0, options: options)
            case .skipped(let path, let code, let message):
                return HashRecord(path: path, digests: nil, outcome: .failure(HashRecordError(code: code, message: message)))
            }
            return HashRecord(
                path: input.displayPath, digests: result.digests,
                outcome: result.image.mapError { HashRecordError(code: $0.code.rawValue, message: $0.message) }
            )
        } catch {
            return HashRecord(path: input.displayPath, digests: nil, outcome: .failure(HashRecordError(code: error.code, message: error.message)))
        }
    }
}

/// Why an input has no perceptual hashes.
struct HashRecordError: Error, Sendable {
    /// Stable snake_case code.
    var code: String
    /// Plain words for a person.
    var message: String
}
