import NCCHashing
import NCCVideo

/// The outcome of hashing one input, as the `hash` command prints it.
struct HashRecord: Sendable {
    /// The input's path as given or found, `-` for standard input.
    var path: String
    /// Digests of the bytes; nil only when the file could not be read at all.
    var digests: FileDigests?
    /// Perceptual hashes, or a stable error code with a plain message.
    var outcome: Result<ImageHashes, HashRecordError>
    /// For a video: its vPDQ frames, or why it could not be hashed (then `outcome` holds the picture decoder's
    /// "not a picture" error and is not shown); nil for everything else.
    var video: Result<VPDQVideoHash, HashRecordError>? = nil
    /// For an animated GIF or WebP (more than one frame): its vPDQ frames, or why they could not be read, shown
    /// besides the first frame's picture hashes in `outcome`; nil for everything else.
    var animation: Result<AnimationVPDQHash, HashRecordError>? = nil

    /// Whether the input was hashed completely.
    var succeeded: Bool {
        if let video { return (try? video.get()) != nil }
        if case .success = outcome { return true }
        return false
    }

    /// Hashes one input; never throws: failures become records.
    static func make(_ input: HashInput, options: HashingOptions, video videoOptions: VideoDecodingOptions = .init()) -> HashRecord {
        do {
            let result: FileHashResult
            switch input {
            case .file(let path): result = try ImageHasher.hashFile(atPath: path, options: options)
            case .standardInput: result = try ImageHasher.hashFile(descriptor: 0, options: options)
            case .skipped(let path, let code, let message):
                return HashRecord(path: path, digests: nil, outcome: .failure(HashRecordError(code: code, message: message)))
            }
            let record = HashRecord(
                path: input.displayPath, digests: result.digests,
                outcome: result.image.mapError { HashRecordError(code: $0.code.rawValue, message: $0.message) }
            )
            return record.addingVideo(input, options: videoOptions)
        } catch {
            return HashRecord(path: input.displayPath, digests: nil, outcome: .failure(HashRecordError(code: error.code.rawValue, message: error.message)))
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
