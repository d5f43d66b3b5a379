import CVideoDecoding
import Foundation

/// Decodes one video, through FFmpeg's libraries in the C target `CVideoDecoding`, into sampled luma frames.
///
/// The container is detected from the first bytes; the size and duration the file declares are checked against the
/// limits before any frame buffer exists; frames are sampled by presentation time, and frames no sampled frame
/// depends on are never decoded. One decoder uses one thread: decode several files on several threads to use more
/// cores. Not `Sendable`: use it from one task.
public final class VideoDecoder {
    /// The stream's description.
    public let info: VideoStreamInfo
    /// The options it was opened with.
    public let options: VideoDecodingOptions

    // The C decoder (owned; closed in deinit) and, for memory input, the copy of the bytes it reads (zeroed and freed
    // in deinit): the C side keeps a pointer to them for its whole life.
    private let handle: OpaquePointer
    private let memory: UnsafeMutableRawBufferPointer?

    /// Opens the video file at `path`.
    ///
    /// - Throws: `.unreadable` when the file cannot be opened or is not a regular file, `.notAVideo` when its first
    ///   bytes are not a supported container, and the container and stream errors `VideoError.Code` lists.
    public init(path: String, options: VideoDecodingOptions = .init()) throws(VideoError) {
        guard options.isValid else { throw VideoError(code: .invalidOptions) }
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw VideoError(code: .unreadable, underlying: String(cString: strerror(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw VideoError(code: .unreadable, message: "This path is not a regular file, so it cannot be hashed as a video. Give the path of the video file itself.")
        }
        guard status.st_size > 0 else { throw VideoError(code: .notAVideo, message: "The file is empty: it holds no video. It may not have finished copying; try copying it again.") }
        let container = try Self.detectContainer(path: path)
        var c = Self.cOptions(options)
        var handle: OpaquePointer?
        var info = ncc_video_info()
        let result = container.demuxerName.withCString { ncc_video_open_file(path, $0, &c, &handle, &info) }
        guard result == NCC_VIDEO_OK, let handle else { throw Self.error(result) }
        self.handle = handle
        self.memory = nil
        self.options = options
        self.info = Self.streamInfo(info, container: container)
    }

    /// Opens a video held in memory (the bytes are copied once, and the copy zeroed when the decoder goes).
    ///
    /// - Throws: as `init(path:options:)`.
    public init(bytes: some Collection<UInt8>, options: VideoDecodingOptions = .init()) throws(VideoError) {
        guard options.isValid else { throw VideoError(code: .invalidOptions) }
        guard !bytes.isEmpty else { throw VideoError(code: .notAVideo, message: "The data is empty: it holds no video.") }
        let head = Array(bytes.prefix(VideoContainer.detectionPrefixLength))
        guard let container = VideoContainer.detect(head) else { throw VideoError(code: .notAVideo) }
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        _ = copy.initializeMemory(as: UInt8.self, from: bytes)
        var c = Self.cOptions(options)
        var handle: OpaquePointer?
        var info = ncc_video_info()
        let base = copy.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let result = container.demuxerName.withCString { ncc_video_open_memory(base, copy.count, $0, &c, &handle, &info) }
        guard result == NCC_VIDEO_OK, let handle else {
            copy.initializeMemory(as: UInt8.self, repeating: 0)
            copy.deallocate()
            throw Self.error(result)
        }
        self.handle = handle
        self.memory = copy
        self.options = options
        self.info = Self.streamInfo(info, container: container)
    }

    deinit {
        ncc_video_close(handle)
        if let memory {
            memory.initializeMemory(as: UInt8.self, repeating: 0)
            memory.deallocate()
        }
    }

    /// Decodes up to the next sampled frame and passes it to `body`; returns nil (without calling `body`) at the end.
    ///
    /// - Throws: `.tooLong` past the duration or frame limit, `.tooLarge` when a frame changes to a size over the
    ///   limits, `.corruptStream` when the video ends without one decodable frame, `.outOfMemory`.
    public func nextFrame<R>(_ body: (VideoLumaFrame) -> R) throws(VideoError) -> R? {
        var frame = ncc_video_frame()
        let status = ncc_video_next_frame(handle, &frame)
        if status == NCC_VIDEO_END { return nil }
        guard status == NCC_VIDEO_OK, let luma = frame.luma else { throw Self.error(status) }
        let view = VideoLumaFrame(
            luma: UnsafeBufferPointer(start: luma, count: Int(frame.stride) * Int(frame.height)),
            width: Int(frame.width), height: Int(frame.height), stride: Int(frame.stride),
            limitedRange: frame.limited_range != 0, timestamp: frame.timestamp, frameIndex: Int(frame.frame_index))
        return body(view)
    }

    /// How many packets the decoder refused as damaged so far; decoding goes on past them, so a partly damaged video
    /// still gives the frames that could be decoded.
    public var corruptPackets: Int { Int(ncc_video_corrupt_packets(handle)) }

    // MARK: - Conversions

    private static func detectContainer(path: String) throws(VideoError) -> VideoContainer {
        guard let file = fopen(path, "rb") else {
            throw VideoError(code: .unreadable, underlying: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        var head = [UInt8](repeating: 0, count: VideoContainer.detectionPrefixLength)
        let count = head.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        guard let container = head.prefix(count).withUnsafeBytes({ VideoContainer.detect($0) }) else {
            throw VideoError(code: .notAVideo)
        }
        return container
    }

    private static func cOptions(_ o: VideoDecodingOptions) -> ncc_video_options {
        ncc_video_options(
            seconds_per_sample: o.secondsPerSample, max_dimension: Int32(o.maxDimension), max_pixels: Int64(o.maxPixels),
            max_duration_seconds: o.maxDurationSeconds, max_frames: Int64(o.maxFrames),
            max_output_side: Int32(o.maxHashedSide ?? 0))
    }

    private static func streamInfo(_ i: ncc_video_info, container: VideoContainer) -> VideoStreamInfo {
        VideoStreamInfo(
            container: container, width: Int(i.width), height: Int(i.height), rotation: Int(i.rotation), mirrored: i.mirrored != 0,
            durationSeconds: i.duration_seconds >= 0 ? i.duration_seconds : nil,
            frameRate: i.frame_rate > 0 ? i.frame_rate : nil,
            codec: i.codec_name.map { String(cString: $0) } ?? "unknown")
    }

    static func error(_ status: ncc_video_status) -> VideoError {
        switch status {
        case NCC_VIDEO_ERR_READ: return VideoError(code: .unreadable)
        case NCC_VIDEO_ERR_CONTAINER: return VideoError(code: .corruptContainer)
        case NCC_VIDEO_ERR_NO_VIDEO_STREAM: return VideoError(code: .noVideoStream)
        case NCC_VIDEO_ERR_UNSUPPORTED_CODEC: return VideoError(code: .unsupportedCodec)
        case NCC_VIDEO_ERR_DIMENSIONS: return VideoError(code: .tooLarge)
        case NCC_VIDEO_ERR_TOO_LONG: return VideoError(code: .tooLong)
        case NCC_VIDEO_ERR_CORRUPT: return VideoError(code: .corruptStream)
        case NCC_VIDEO_ERR_MEMORY: return VideoError(code: .outOfMemory)
        default: return VideoError(code: .invalidOptions)
        }
    }
}
