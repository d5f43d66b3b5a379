#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ImageHasher {
    /// Largest JPEG or PNG file ever read into memory to be decoded: 256 MiB. Larger files get digests only.
    public static let maximumDecodableFileSize = 256 << 20

    /// Largest JPEG or PNG file read into memory under `options`: what the pixel limit implies (8 bytes a
    /// pixel, as a 16-bit RGBA PNG stored without compression, plus 1 MiB of headers and metadata), never
    /// more than `maximumDecodableFileSize`. A larger file cannot hold a picture the decoder would accept.
    public static func maximumDecodableFileSize(for options: HashingOptions) -> Int {
        let (implied, overflow) = max(options.maxPixels, 0).multipliedReportingOverflow(by: 8)
        return overflow ? maximumDecodableFileSize : min(maximumDecodableFileSize, implied + (1 << 20))
    }

    /// Hashes the file at `path`: digests for every file, perceptual hashes for JPEG and PNG.
    ///
    /// The bytes are read into wiped memory and never copied elsewhere. Files that are not JPEG
    /// or PNG (videos, say) are digested in 1 MiB chunks without being loaded whole. Only regular files
    /// are read: a named pipe, a device (`/dev/zero`) or a socket is refused without waiting on it
    /// (it is opened non-blocking and checked before the first read).
    /// - Throws: `FileReadError` when the file cannot be opened or read, or is not a regular file
    ///   (code `not_a_regular_file`).
    public static func hashFile(atPath path: String, options: HashingOptions = .init()) throws(FileReadError) -> FileHashResult {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { throw FileReadError(errno: errno) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileReadError(errno: errno) }
        let type = info.st_mode & S_IFMT
        if type == S_IFDIR { throw FileReadError(errno: EISDIR) }
        if type != S_IFREG { throw FileReadError.notRegularFile(type) }
        // Reads of a regular file never wait; blocking mode again all the same, as the reader expects.
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        return try hashFile(descriptor: descriptor, options: options)
    }

    /// Hashes everything readable from an open file descriptor (standard input, say), which is left open.
    /// - Throws: `FileReadError` when reading fails.
    public static func hashFile(descriptor: Int32, options: HashingOptions = .init()) throws(FileReadError) -> FileHashResult {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileReadError(errno: errno) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw FileReadError(errno: EISDIR) }

        // The first MiB tells the format; only decodable pictures (JPEG, PNG, HEIC, AVIF, WebP, GIF) are read whole.
        var buffer = PixelBuffer(count: 1 << 20)
        var filled = try readFully(descriptor, into: buffer, from: 0)
        let format = buffer.withUnsafeBytes { ImageDecoder.detectFormat(UnsafeRawBufferPointer(rebasing: $0[0..<filled])) }
        let isImage: Bool
        switch format {
        case .jpeg, .png, .heic, .avif, .webp, .gif: isImage = true
        default: isImage = false
        }
        var digester = FileDigests.Stream()
        if isImage {
            let regularSize = (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : 0
            // A regular file known to be too large is not buffered at all; a stream grows up to the limit.
            let limit = maximumDecodableFileSize(for: options)
            while filled == buffer.count && buffer.count < limit && regularSize <= limit {
                // Grow to the file's size when known, else double; the old buffer is wiped when released.
                let larger = PixelBuffer(count: min(max(buffer.count * 2, regularSize + 1), limit))
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
            return isImage ? fileTooLarge(limit: maximumDecodableFileSize(for: options)) : unsupportedReason(head)
        }
        try digestRemainder(descriptor, into: &digester, chunk: buffer)
        return FileHashResult(digests: digester.finalize(), image: .failure(reason))
    }

    /// The error for a JPEG or PNG file over `maximumDecodableFileSize(for:)`, naming the limit.
    private static func fileTooLarge(limit: Int) -> ImageDecodingError {
        let mebibytes = (limit + (1 << 20) - 1) >> 20
        return ImageDecodingError(
            code: .fileTooLarge,
            message: "The file is larger than \(mebibytes) MiB, more than a picture within the pixel limit can take, so it was not read to be decoded (it still has its MD5 and SHA-256). Save a smaller copy and hash that.")
    }

    /// The decoder's error for bytes that are not JPEG or PNG (it names what they are).
    private static func unsupportedReason(_ head: UnsafeRawBufferPointer) -> ImageDecodingError {
        do {
            _ = try ImageDecoder.decode(head)
            return fileTooLarge(limit: maximumDecodableFileSize)
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
