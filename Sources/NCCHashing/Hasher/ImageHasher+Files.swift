#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ImageHasher {
    /// Largest JPEG or PNG file read into memory to be decoded: 1 GiB. Larger files get digests only.
    public static let maximumDecodableFileSize = 1 << 30

    /// Hashes the file at `path`: digests for every file, perceptual hashes for JPEG and PNG.
    ///
    /// The bytes are read into wiped memory and never copied elsewhere. Files that are not JPEG
    /// or PNG (videos, say) are digested in 1 MiB chunks without being loaded whole.
    /// - Throws: `FileReadError` when the file cannot be opened or read.
    public static func hashFile(atPath path: String, options: HashingOptions = .init()) throws(FileReadError) -> FileHashResult {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileReadError(errno: errno) }
        defer { close(descriptor) }
        return try hashFile(descriptor: descriptor, options: options)
    }

    /// Hashes everything readable from an open file descriptor (standard input, say), which is left open.
    /// - Throws: `FileReadError` when reading fails.
    public static func hashFile(descriptor: Int32, options: HashingOptions = .init()) throws(FileReadError) -> FileHashResult {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileReadError(errno: errno) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw FileReadError(errno: EISDIR) }

        // The first MiB tells the format; only JPEG and PNG are read whole.
        var buffer = PixelBuffer(count: 1 << 20)
        var filled = try readFully(descriptor, into: buffer, from: 0)
        let format = buffer.withUnsafeBytes { ImageDecoder.detectFormat(UnsafeRawBufferPointer(rebasing: $0[0..<filled])) }
        let isImage: Bool
        switch format {
        case .jpeg, .png: isImage = true
        default: isImage = false
        }
        var digester = FileDigests.Stream()
        if isImage {
            let regularSize = (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : 0
            while filled == buffer.count && buffer.count < maximumDecodableFileSize {
                // Grow to the file's size when known, else double; the old buffer is wiped when released.
                let larger = PixelBuffer(count: min(max(buffer.count * 2, regularSize + 1), maximumDecodableFileSize))
                larger.withUnsafeMutableBytes { target in
                    buffer.withUnsafeBytes { target.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: filled) }
                }
                buffer = larger
                filled = try readFully(descriptor, into: buffer, from: filled)
            }
            if filled < buffer.count {
                return buffer.withUnsafeBytes { hashFile(UnsafeRawBufferPointer(rebasing: $0[0..<filled]), options: options) }
            }
        }
        // Not an image, or too large to decode: digest the whole stream, keep the decoder's reason.
        let reason: ImageDecodingError = buffer.withUnsafeBytes { bytes in
            let head = UnsafeRawBufferPointer(rebasing: bytes[0..<filled])
            digester.update(head)
            return isImage ? fileTooLarge : unsupportedReason(head)
        }
        try digestRemainder(descriptor, into: &digester, chunk: buffer)
        return FileHashResult(digests: digester.finalize(), image: .failure(reason))
    }

    /// The error for a JPEG or PNG file over `maximumDecodableFileSize`.
    private static var fileTooLarge: ImageDecodingError { ImageDecodingError(code: .fileTooLarge) }

    /// The decoder's error for bytes that are not JPEG or PNG (it names what they are).
    private static func unsupportedReason(_ head: UnsafeRawBufferPointer) -> ImageDecodingError {
        do {
            _ = try ImageDecoder.decode(head)
            return fileTooLarge
        } catch {
            return error
        }
    }

    /// Reads until `buffer` is full or the input ends; returns the new fill level.
    private static func readFully(_ descriptor: Int32, into buffer: PixelBuffer, from start: Int) throws(FileReadError) -> Int {
        var filled = start
        while filled < buffer.count {
            let got = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
            if got < 0 {
                if errno == EINTR { continue }
                throw FileReadError(errno: errno)
            }
            if got == 0 { break }
            filled += got
        }
        return filled
    }

    private static func digestRemainder(_ descriptor: Int32, into digester: inout FileDigests.Stream, chunk: PixelBuffer) throws(FileReadError) {
        while true {
            let got = try readFully(descriptor, into: chunk, from: 0)
            if got == 0 { return }
            chunk.withUnsafeBytes { digester.update(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
            if got < chunk.count { return }
        }
    }
}
