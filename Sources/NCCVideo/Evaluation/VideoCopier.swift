import Foundation
import Synchronization

/// Makes transformed copies of a video with the `ffmpeg` program, entirely in memory.
///
/// FFmpeg reads the original from its path and writes the copy (H.264 in Matroska, which needs no seeking back) to a
/// pipe that this process reads into memory: no copy of a video is ever written to disk, not even to a temporary
/// folder. The copy's bytes are zeroed when `withCopy` returns.
public struct VideoCopier: Sendable {
    /// The `ffmpeg` executable.
    public let ffmpeg: String
    /// Largest copy held in memory, in bytes (default 1 GiB); a larger copy is refused with `.copyTooLarge`.
    public var maxCopyBytes: Int

    /// Uses the `ffmpeg` at `path`, or the first one on `PATH` when nil.
    ///
    /// - Throws: `.ffmpegMissing` when there is none.
    public init(ffmpeg path: String? = nil, maxCopyBytes: Int = 1 << 30) throws(VideoEvaluationError) {
        guard let found = path ?? Self.onPath("ffmpeg"), FileManager.default.isExecutableFile(atPath: found) else {
            throw VideoEvaluationError(code: .ffmpegMissing, message: "The ffmpeg program, which makes the copies of each video, was not found. Install FFmpeg (apt-get install ffmpeg) or give its path with --ffmpeg.")
        }
        ffmpeg = found
        self.maxCopyBytes = maxCopyBytes
    }

    /// Makes the `transform` copy of the video at `path` (`duration` seconds long at `frameRate` frames a second, as its
    /// stream declared) and passes its bytes to `body`; the bytes are zeroed afterwards.
    ///
    /// - Warning: Runs one `ffmpeg` process using one thread; the caller spreads videos across cores.
    public func withCopy<R>(of path: String, transform: VideoTransform, duration: Double?, frameRate: Double?,
                            _ body: ([UInt8]) throws -> R) throws -> R {
        var bytes = try copy(of: path, transform: transform, duration: duration, frameRate: frameRate)
        defer { bytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        return try body(bytes)
    }

    private func copy(of path: String, transform: VideoTransform, duration: Double?, frameRate: Double?) throws(VideoEvaluationError) -> [UInt8] {
        let arguments = ["-nostdin", "-hide_banner", "-nostats", "-v", "error", "-threads", "1", "-i", path,
                         "-map", "0:v:0", "-an", "-sn", "-dn", "-map_metadata", "-1", "-filter_threads", "1"]
            + transform.ffmpegArguments(duration: duration, frameRate: frameRate)
            + ["-c:v", "libx264", "-preset", "veryfast", "-crf", String(transform.crf), "-pix_fmt", "yuv420p",
               "-threads", "1", "-f", "matroska", "pipe:1"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw VideoEvaluationError(code: .ffmpegMissing, message: "ffmpeg could not be started. Check that FFmpeg is installed and may be run.", underlying: "\(error)")
        }
        // FFmpeg's messages are read on another thread so that neither pipe can fill up and stall it.
        let messages = Mutex<[UInt8]>([])
        let done = DispatchSemaphore(value: 0)
        let errorHandle = errors.fileHandleForReading
        DispatchQueue.global().async {
            let data = errorHandle.readDataToEndOfFile()
            messages.withLock { $0 = Array(data.prefix(4096)) }
            done.signal()
        }
        var bytes: [UInt8] = []
        var tooLarge = false
        let reader = output.fileHandleForReading
        while true {
            var chunk = reader.availableData
            if chunk.isEmpty { break }
            if bytes.count + chunk.count > maxCopyBytes {
                tooLarge = true
                process.terminate()
                chunk.resetBytes(in: 0..<chunk.count)
                break
            }
            if bytes.count + chunk.count > bytes.capacity {
                // Grown by hand so that the storage left behind is zeroed, not freed holding part of the copy.
                var larger: [UInt8] = []
                larger.reserveCapacity(max(bytes.capacity * 2, bytes.count + chunk.count, 1 << 20))
                larger.append(contentsOf: bytes)
                bytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                bytes = larger
            }
            bytes.append(contentsOf: chunk)
            chunk.resetBytes(in: 0..<chunk.count)
        }
        if tooLarge { while !reader.availableData.isEmpty {} }
        process.waitUntilExit()
        done.wait()
        if tooLarge {
            bytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            throw VideoEvaluationError(code: .copyTooLarge, message: "The \(transform.rawValue) copy of a video grew past \(maxCopyBytes >> 20) MiB, more than the evaluation holds in memory. Evaluate shorter or smaller videos.")
        }
        guard process.terminationStatus == 0, !bytes.isEmpty else {
            bytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            let text = messages.withLock { String(decoding: $0, as: UTF8.self) }.trimmingCharacters(in: .whitespacesAndNewlines)
            throw VideoEvaluationError(code: .copyFailed, message: "FFmpeg could not make the \(transform.rawValue) copy of a video (exit status \(process.terminationStatus)). Check that this FFmpeg has the libx264 encoder.", underlying: text)
        }
        return bytes
    }

    private static func onPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
