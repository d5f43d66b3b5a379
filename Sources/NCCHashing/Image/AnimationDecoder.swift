import CImageCodecs
import NCCHashCore

/// Limits an animation (animated GIF or WebP) is read under for video hashing; each is checked before the memory
/// or work it bounds, so a file built to exhaust memory or time (a "GIF bomb") stops at a typed error.
public struct AnimationLimits: Sendable, Hashable {
    /// Largest canvas, in pixels (width × height), checked before the canvas is allocated. Default 36,000,000,
    /// the video frame limit (`VideoDecodingOptions.maxPixels`). The canvas costs 3 (GIF) or 4 (WebP) bytes a pixel.
    public var maxCanvasPixels: Int
    /// Most frames read. Default 100,000.
    public var maxFrames: Int
    /// Most pixels read over all frames: each frame's own rectangle plus the canvas handed out for it. Default
    /// 4,000,000,000: a 1000 × 1000 animation may have 2,000 frames; the costliest file within it (full 25-megapixel
    /// GIF frames) took 25 seconds of one core, release build (docs/formats.md).
    /// - Warning: Raising it raises the time a small hostile file can cost, in proportion.
    public var maxTotalPixels: Int

    /// The defaults above.
    public init(maxCanvasPixels: Int = 36_000_000, maxFrames: Int = 100_000, maxTotalPixels: Int = 4_000_000_000) {
        self.maxCanvasPixels = maxCanvasPixels
        self.maxFrames = maxFrames
        self.maxTotalPixels = maxTotalPixels
    }
}

/// One composited frame of an animation, as `AnimationDecoder` hands it out.
///
/// - Warning: `pixels` points into the decoder's own canvas and is valid only inside the closure it is passed to;
///   copying it out keeps decoded pixels alive outside the wiped buffers.
public struct AnimationFrame {
    /// `width * height * channels` bytes, row-major, no padding.
    public let pixels: UnsafeBufferPointer<UInt8>
    /// Canvas width in pixels.
    public let width: Int
    /// Canvas height in pixels.
    public let height: Int
    /// 3 (RGB, GIF) or 4 (RGBA, WebP: the alpha is to be ignored, as Pillow's `convert("RGB")` ignores it).
    public let channels: Int
    /// The frame's position in the file, from 0.
    public let index: Int
    /// When the frame is shown, in seconds from the start: the sum of the delays of the frames before it.
    public let timestamp: Double
    /// How long the frame is shown, in seconds (GIF: a delay under 0.02 s counts as 0.1 s, as browsers show it).
    public let duration: Double
}

/// Reads an animated GIF or WebP frame by frame, each frame composited on its canvas as browsers show it (GIF
/// disposal and transparency; WebP blending and disposal exactly as libwebp's own animation decoder).
///
/// Frame 0 is pixel for pixel the picture `ImageDecoder.decode` gives at full size. Memory is one canvas, one
/// frame (WebP) or one row (GIF), and one saved rectangle (GIF disposal 3), all wiped before they are freed.
/// Not `Sendable`: use it from one task.
public final class AnimationDecoder {
    /// The file's format, `.gif` or `.webp`.
    public let format: ImageFormat
    /// The canvas width the file declares (GIF: the logical screen; frame 0 may enlarge it, as Pillow does).
    public let width: Int
    /// The canvas height the file declares.
    public let height: Int

    /// Whether the file holds more than one frame, known when it is opened, before any frame is decoded.
    public var isAnimated: Bool { ncc_animation_is_animated(handle) != 0 }

    private let handle: OpaquePointer
    private let copy: UnsafeMutableRawBufferPointer

    /// Whether `bytes` are a GIF or WebP of more than one frame, found from the file's structure alone: nothing is
    /// decoded or allocated, so a still picture costs nothing more (false for anything else, and for damage).
    public static func isAnimation(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        switch ImageDecoder.detectFormat(bytes) {
        case .gif: return ncc_animation_has_frames(base, bytes.count, Int32(NCC_ANIMATION_GIF)) != 0
        case .webp: return ncc_animation_has_frames(base, bytes.count, Int32(NCC_ANIMATION_WEBP)) != 0
        default: return false
        }
    }

    /// Opens an animated (or still) GIF or WebP held in memory; the bytes are copied once and the copy wiped when
    /// the decoder goes.
    ///
    /// - Throws: `.unsupportedFormat` when the bytes are not a GIF or WebP, `.tooManyPixels` when the canvas is over
    ///   `limits.maxCanvasPixels`, and `.truncated`, `.corruptData`, `.invalidDimensions` for damaged files.
    public init(bytes: UnsafeRawBufferPointer, limits: AnimationLimits = .init()) throws(ImageDecodingError) {
        let kind: Int32
        switch ImageDecoder.detectFormat(bytes) {
        case .gif: format = .gif; kind = Int32(NCC_ANIMATION_GIF)
        case .webp: format = .webp; kind = Int32(NCC_ANIMATION_WEBP)
        default: throw ImageDecodingError(code: .unsupportedFormat, message: "Only GIF and WebP files can hold an animation nccmatch reads.")
        }
        copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        copy.copyMemory(from: bytes)
        var c = ncc_animation_limits(
            max_canvas_pixels: Int64(limits.maxCanvasPixels), max_frames: Int64(limits.maxFrames),
            max_total_pixels: Int64(limits.maxTotalPixels))
        var handle: OpaquePointer?
        var w: Int32 = 0, h: Int32 = 0
        var message = [CChar](repeating: 0, count: Int(NCC_MESSAGE_CAPACITY))
        let base = copy.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let status = ncc_animation_open(base, bytes.count, kind, &c, &handle, &w, &h, &message)
        guard status == Int32(NCC_STATUS_OK), let handle else {
            copy.initializeMemory(as: UInt8.self, repeating: 0)
            copy.deallocate()
            throw Self.error(status, message: message, format: format)
        }
        self.handle = handle
        self.width = Int(w)
        self.height = Int(h)
    }

    deinit {
        ncc_animation_close(handle)
        copy.initializeMemory(as: UInt8.self, repeating: 0)
        copy.deallocate()
    }

    /// Composites the next frame and passes it to `body`; returns nil (without calling `body`) after the last one.
    ///
    /// - Throws: `.tooManyFrames` past `AnimationLimits.maxFrames` or `.maxTotalPixels`, `.tooManyPixels` when frame
    ///   0 enlarges the canvas past the limit, `.truncated` / `.corruptData` / `.invalidDimensions` for a damaged
    ///   frame, `.outOfMemory`.
    public func nextFrame<R>(_ body: (AnimationFrame) -> R) throws(ImageDecodingError) -> R? {
        var frame = ncc_animation_frame()
        var message = [CChar](repeating: 0, count: Int(NCC_MESSAGE_CAPACITY))
        let status = ncc_animation_next(handle, &frame, &message)
        if status == Int32(NCC_STATUS_END) { return nil }
        guard status == Int32(NCC_STATUS_OK), let pixels = frame.pixels else { throw Self.error(status, message: message, format: format) }
        let count = Int(frame.width) * Int(frame.height) * Int(frame.channels)
        return body(AnimationFrame(
            pixels: UnsafeBufferPointer(start: pixels, count: count), width: Int(frame.width), height: Int(frame.height),
            channels: Int(frame.channels), index: Int(frame.index), timestamp: Double(frame.timestamp_ms) / 1000,
            duration: Double(frame.duration_ms) / 1000))
    }

    private static func error(_ status: Int32, message: [CChar], format: ImageFormat) -> ImageDecodingError {
        let underlying = message.withUnsafeBufferPointer { raw in
            String(decoding: raw.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        let code: ImageDecodingError.Code
        switch status {
        case Int32(NCC_STATUS_TRUNCATED): code = .truncated
        case Int32(NCC_STATUS_TOO_MANY_PIXELS): code = .tooManyPixels
        case Int32(NCC_STATUS_INVALID_DIMENSIONS): code = .invalidDimensions
        case Int32(NCC_STATUS_OUT_OF_MEMORY): code = .outOfMemory
        case Int32(NCC_STATUS_UNSUPPORTED_ENCODING): code = .unsupportedEncoding
        case Int32(NCC_STATUS_TOO_MANY_FRAMES): code = .tooManyFrames
        default: code = .corruptData
        }
        let text: String? = switch code {
        case .truncated: "This \(format.displayName) animation ends before its last frame. It may not have finished copying; try copying it again."
        case .corruptData: "Part of this \(format.displayName) animation is damaged, so its frames cannot be read reliably. Try another copy of the file."
        case .tooManyPixels: "This \(format.displayName) animation's frames are larger than nccmatch reads as a video. Save a smaller copy and hash that."
        default: nil
        }
        return ImageDecodingError(code: code, message: text, underlying: underlying)
    }
}

extension AnimationFrame {
    /// The frame's PDQ (no dihedral variants), with its luma computed as `pdqhash` computes it from RGB (alpha
    /// ignored): frame 0's equals the picture's PDQ in `exact` mode. Luma is computed row by row; no plane is kept.
    public func pdq() -> PDQResult {
        guard width >= PDQHasher.minimumDimension, height >= PDQHasher.minimumDimension, let base = pixels.baseAddress else {
            return PDQResult(PDQCore.degenerate(dihedral: false))
        }
        let view = PixelView(base: base, width: width, height: height, layout: channels == 4 ? .rgba8 : .rgb8)
        return PDQResult(PDQCore.hash(view, dihedral: false))
    }
}
