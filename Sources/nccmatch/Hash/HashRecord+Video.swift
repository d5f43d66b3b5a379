import Foundation
import NCCHashing
import NCCVideo

/// Videos in `nccmatch hash`: files the picture decoder names as a video are hashed with vPDQ (NCCVideo), and so
/// are animated GIF and WebP files, besides their first frame's picture hashes.
extension HashRecord {
    /// This record with its video hashed, when the input is a video file; otherwise unchanged.
    ///
    /// The picture decoder has already read the file (MD5 and SHA-256) and said it is not a picture; the video's
    /// container is then detected from its first bytes by NCCVideo. Standard input is not read as video.
    func addingVideo(_ input: HashInput, options: VideoDecodingOptions) -> HashRecord {
        if case .file(let path) = input, case .success(let hashes) = outcome, hashes.format == .gif || hashes.format == .webp {
            return addingAnimation(path: path, options: options)
        }
        guard case .file(let path) = input, case .failure(let failure) = outcome,
              failure.code == ImageDecodingError.Code.unsupportedFormat.rawValue, Self.looksLikeVideo(path)
        else { return self }
        var record = self
        do throws(VideoError) {
            record.video = .success(try VPDQHasher.hash(path: path, options: options))
        } catch {
            record.video = .failure(HashRecordError(code: error.code.rawValue, message: error.message))
        }
        return record
    }

    /// This record with the vPDQ of its animated GIF or WebP (frames sampled by their delays at
    /// `options.secondsPerSample`, under the video frame-size limit), when the file holds more than one frame.
    ///
    /// The file is read again into memory that is wiped afterwards; a still file is recognised from its structure and
    /// left as it is, without decoding anything.
    func addingAnimation(path: String, options: VideoDecodingOptions) -> HashRecord {
        guard let file = fopen(path, "rb") else { return self }
        defer { fclose(file) }
        guard fseeko(file, 0, SEEK_END) == 0 else { return self }
        let size = Int(ftello(file))
        guard size > 0, fseeko(file, 0, SEEK_SET) == 0 else { return self }
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer {
            bytes.initializeMemory(as: UInt8.self, repeating: 0)
            bytes.deallocate()
        }
        guard fread(bytes.baseAddress, 1, size, file) == size else { return self }
        guard AnimationDecoder.isAnimation(UnsafeRawBufferPointer(bytes)) else { return self } // a still: nothing more to do
        var record = self
        let limits = AnimationLimits(maxCanvasPixels: options.maxPixels, maxFrames: min(options.maxFrames, AnimationLimits().maxFrames))
        do throws(ImageDecodingError) {
            let decoder = try AnimationDecoder(bytes: UnsafeRawBufferPointer(bytes), limits: limits)
            record.animation = .success(try VPDQHasher.hashAnimation(decoder: decoder, secondsPerSample: options.secondsPerSample))
        } catch {
            record.animation = .failure(HashRecordError(code: error.code.rawValue, message: error.message))
        }
        return record
    }

    /// Adds an animation's `vpdq` frames (or `vpdq_error`) to a picture's jsonl object, with `frame_count` and
    /// `duration` (seconds).
    func animationJSON(_ animation: Result<AnimationVPDQHash, HashRecordError>, into json: inout JSONObjectWriter) {
        switch animation {
        case .success(let hash):
            json.int("frame_count", hash.frameCount)
            json.raw("duration", String(format: "%.3f", hash.durationSeconds))
            json.raw("vpdq", Self.vpdqJSON(hash.frames))
        case .failure(let error):
            var inner = JSONObjectWriter()
            inner.string("code", error.code)
            inner.string("message", error.message)
            json.raw("vpdq_error", inner.finished())
        }
    }

    /// The animation's line under a picture's text summary.
    func animationTextLine(_ animation: Result<AnimationVPDQHash, HashRecordError>) -> String {
        switch animation {
        case .success(let hash):
            let usable = hash.frames.filter { $0.quality >= VPDQMatchPolicy().minimumQuality }.count
            return "\n  vpdq  \(hash.frames.count) frames (\(usable) of quality 50 or more) of \(hash.frameCount), \(String(format: "%.1f", hash.durationSeconds)) s"
        case .failure(let error):
            return "\n  vpdq  not hashed: \(error.message) (\(error.code))"
        }
    }

    private static func looksLikeVideo(_ path: String) -> Bool {
        guard let file = fopen(path, "rb") else { return false }
        defer { fclose(file) }
        var head = [UInt8](repeating: 0, count: VideoContainer.detectionPrefixLength)
        let count = head.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        return VideoContainer.detect(Array(head.prefix(count))) != nil
    }

    /// The jsonl object of a video: path and digests (already in `json`), then `vpdq` (frames: `pdq`, `quality`,
    /// `timestamp` in seconds) with `format`, `width`, `height`, or `error`.
    func videoJSON(_ video: Result<VPDQVideoHash, HashRecordError>, into json: JSONObjectWriter) -> String {
        var json = json
        switch video {
        case .success(let hash):
            json.string("format", hash.info.container.rawValue)
            json.int("width", hash.info.width)
            json.int("height", hash.info.height)
            json.raw("vpdq", Self.vpdqJSON(hash.frames))
            if hash.corruptPackets > 0 { json.int("corrupt_packets", hash.corruptPackets) }
        case .failure(let error):
            var inner = JSONObjectWriter()
            inner.string("code", error.code)
            inner.string("message", error.message)
            json.raw("error", inner.finished())
        }
        return json.finished()
    }

    /// The csv row of a video: no picture hashes; `format`, `width`, `height`, or the error; the frames are in the
    /// jsonl and vpdq formats only.
    func videoCSVFields(_ video: Result<VPDQVideoHash, HashRecordError>, after fields: [String]) -> [String] {
        switch video {
        case .success(let hash):
            return fields + ["", "", "", "", "", String(hash.info.width), String(hash.info.height), hash.info.container.rawValue, "", ""]
                + Array(repeating: "", count: 15)
        case .failure(let error):
            return fields + ["", "", "", "", "", "", "", "", error.code, error.message] + Array(repeating: "", count: 15)
        }
    }

    /// A readable summary of a video for a terminal.
    func videoTextLine(_ video: Result<VPDQVideoHash, HashRecordError>) -> String {
        switch video {
        case .success(let hash):
            let usable = hash.frames.filter { $0.quality >= VPDQMatchPolicy().minimumQuality }.count
            return "\(TerminalText.escaped(path))\n  vpdq  \(hash.frames.count) frames (\(usable) of quality 50 or more)  \(hash.info.container.rawValue) \(hash.info.width)x\(hash.info.height)"
        case .failure(let error):
            let digestLine = digests.map { "\n  md5   \($0.md5)" } ?? ""
            return "\(TerminalText.escaped(path))\n  not hashed: \(error.message) (\(error.code))\(digestLine)"
        }
    }

    /// `--format vpdq`: the video's frames in Meta's text form on standard output; anything else one line on stderr.
    /// The `vpdq` array of a video or an animation: `[{"pdq", "quality", "timestamp"}]`, times to the millisecond.
    static func vpdqJSON(_ frames: [VPDQFrame]) -> String {
        let objects = frames.map { frame in
            var inner = JSONObjectWriter()
            inner.string("pdq", frame.pdq.hex)
            inner.int("quality", frame.quality)
            inner.raw("timestamp", String(format: "%.3f", frame.timestamp))
            return inner.finished()
        }
        return "[" + objects.joined(separator: ",") + "]"
    }

    func writeVPDQText(to output: LineOutput) {
        if case .success(let hash)? = video {
            for frame in hash.frames { output.write(VPDQTextForm.line(frame)) }
            return
        }
        if case .success(let hash)? = animation {
            for frame in hash.frames { output.write(VPDQTextForm.line(frame)) }
            return
        }
        let reason: String
        switch (video, animation) {
        case (.failure(let error)?, _), (nil, .failure(let error)?): reason = "\(error.message) (\(error.code))"
        default: reason = "not a video or an animation, so it has no vPDQ"
        }
        FileHandle.standardError.write(Data("\(TerminalText.escaped(path)): \(reason)\n".utf8))
    }
}
