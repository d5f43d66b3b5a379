// The C-callable surface of the hashing core in its WebAssembly build (Scripts/wasm/build.sh compiles this
// file with Sources/NCCHashCore as one Embedded Swift module; the native build never sees it).
//
// The page's JavaScript (Sources/NCCServer/Page/Site/hashcore.js) drives it:
//   1. `hashcore_alloc(byteCount)` for the picture's RGBA bytes, which it copies in;
//   2. `hashcore_hash_rgba(pointer, width, height)` computes every hash a case stores (`CaseHashSet`, with the
//      set of a screenshot's photo nested in it) and returns the byte length of a JSON text (or a negative `HashCoreStatus`);
//   3. `hashcore_result()` gives where that text starts;
//   4. `hashcore_free(pointer, byteCount)` wipes and frees the pixels; `hashcore_clear_result()` wipes the text.
// The JSON's field names are the JavaScript API documented at the top of hashcore.js.
//
// A video's sampled frames are hashed one at a time, PDQ and quality only (what `nccmatch hash` computes per vPDQ
// frame): `hashcore_hash_luma(pointer, width, height, stride, fullRange)` takes the frame's 8-bit luma plane (the
// decoder's Y, read as the command line reads it), `hashcore_hash_frame_rgba(pointer, width, height)` takes RGBA
// pixels drawn from the frame where the plane cannot be had; both answer `{"pdq": "64 hex", "quality": 0...100}`.

/// wasi-libc's aligned allocation: unlike Swift's allocator it reports exhaustion (non-zero) instead of trapping.
@_extern(c, "posix_memalign") func posix_memalign(_ pointer: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ size: Int) -> Int32

/// Why `hashcore_hash_rgba` produced no hashes (returned negated).
enum HashCoreStatus: Int32 {
    /// Width or height below 1, or a null pointer.
    case invalidDimensions = 1
    /// More than `maximumPixels` pixels.
    case tooManyPixels = 2
}

/// The most pixels one call hashes: the command line's default limit (100 megapixels).
let maximumPixels = 100_000_000

/// The JSON text of the last result (hashes only, never pixels); wiped when replaced or cleared.
nonisolated(unsafe) var lastResult: WipedBuffer? = nil

/// Allocates `byteCount` bytes for the caller to fill (the picture's pixels); 0 when memory is exhausted.
@_cdecl("hashcore_alloc")
public func hashcoreAlloc(_ byteCount: Int32) -> UnsafeMutableRawPointer? {
    guard byteCount > 0 else { return nil }
    var pointer: UnsafeMutableRawPointer? = nil
    guard posix_memalign(&pointer, 16, Int(byteCount)) == 0 else { return nil }
    return pointer
}

/// Wipes `byteCount` bytes at `pointer` and frees them (pixels must not linger in freed memory).
@_cdecl("hashcore_free")
public func hashcoreFree(_ pointer: UnsafeMutableRawPointer?, _ byteCount: Int32) {
    guard let pointer else { return }
    if byteCount > 0 { LibM.wipe(pointer, count: Int(byteCount)) }
    // Embedded Swift's deallocation is the C library's `free`, which takes `posix_memalign` memory.
    pointer.deallocate()
}

/// Hashes `width` x `height` RGBA pixels (8 bits a channel, rows packed, alpha ignored) at `pixels`.
///
/// - Returns: the byte length of the JSON result (read it at `hashcore_result()`), or a negated `HashCoreStatus`.
@_cdecl("hashcore_hash_rgba")
public func hashcoreHashRGBA(_ pixels: UnsafePointer<UInt8>?, _ width: Int32, _ height: Int32) -> Int32 {
    lastResult = nil
    guard let pixels, width > 0, height > 0 else { return -HashCoreStatus.invalidDimensions.rawValue }
    let (count, overflow) = Int(width).multipliedReportingOverflow(by: Int(height))
    guard !overflow, count <= maximumPixels else { return -HashCoreStatus.tooManyPixels.rawValue }
    let view = PixelView(base: pixels, width: Int(width), height: Int(height), layout: .rgba8)
    let set = CaseHashSet(view)
    var json = JSONText()
    json.write(set)
    let result = json.finish()
    lastResult = result
    return Int32(result.count)
}

/// The float luma `nccmatch hash` gives PDQ for each byte of a video's limited-range luma (16...235):
/// `(y - 16) * 255 / 219` clipped to 0...255, computed in double and rounded to float, as
/// Sources/NCCVideo/VPDQ/VPDQHasher.swift does (Meta's vPDQ converts to RGB and back to the same luma).
func videoLuma(_ y: UInt8, fullRange: Bool) -> Float {
    if fullRange { return Float(y) }
    return Float(min(max((Double(y) - 16) * 255 / 219, 0), 255))
}

/// Hashes one video frame's 8-bit luma plane (`width` x `height` bytes, rows `stride` bytes apart) at `luma`:
/// PDQ and quality only, exactly as `nccmatch hash` hashes each sampled frame of a video. `fullRange` is non-zero
/// for full-range (JPEG-range) luma, zero for the usual limited range.
///
/// - Returns: the byte length of `{"pdq", "quality"}` (read it at `hashcore_result()`), or a negated `HashCoreStatus`.
/// - Warning: Makes one float plane of `width * height` values, wiped before it is freed; the caller wipes `luma`.
@_cdecl("hashcore_hash_luma")
public func hashcoreHashLuma(_ luma: UnsafePointer<UInt8>?, _ width: Int32, _ height: Int32, _ stride: Int32, _ fullRange: Int32) -> Int32 {
    lastResult = nil
    guard let luma, width > 0, height > 0, stride >= width else { return -HashCoreStatus.invalidDimensions.rawValue }
    let (count, overflow) = Int(width).multipliedReportingOverflow(by: Int(height))
    guard !overflow, count <= maximumPixels else { return -HashCoreStatus.tooManyPixels.rawValue }
    var table = [Float](repeating: 0, count: 256)
    for value in 0..<256 { table[value] = videoLuma(UInt8(value), fullRange: fullRange != 0) }
    let w = Int(width), h = Int(height), rowBytes = Int(stride)
    let plane = WipedBuffer(capacity: count, of: Float.self)
    let out = plane.pointer(to: Float.self)
    table.withUnsafeBufferPointer { t in
        for y in 0..<h {
            let row = luma + y * rowBytes
            let target = out + y * w
            for x in 0..<w { target[x] = t[Int(row[x])] }
        }
    }
    let outcome = PDQCore.hash(luma: UnsafePointer(out), width: w, height: h, dihedral: false)
    return finishFrame(outcome)
}

/// Hashes one video frame drawn as `width` x `height` RGBA pixels (alpha ignored): PDQ and quality only, the luma
/// computed from RGB as for a picture. For browsers that cannot hand out a frame's luma plane; the colour
/// conversion in between moves the hash a few bits from the command line's (docs/page.md gives the figures).
///
/// - Returns: the byte length of `{"pdq", "quality"}` (read it at `hashcore_result()`), or a negated `HashCoreStatus`.
@_cdecl("hashcore_hash_frame_rgba")
public func hashcoreHashFrameRGBA(_ pixels: UnsafePointer<UInt8>?, _ width: Int32, _ height: Int32) -> Int32 {
    lastResult = nil
    guard let pixels, width > 0, height > 0 else { return -HashCoreStatus.invalidDimensions.rawValue }
    let (count, overflow) = Int(width).multipliedReportingOverflow(by: Int(height))
    guard !overflow, count <= maximumPixels else { return -HashCoreStatus.tooManyPixels.rawValue }
    let view = PixelView(base: pixels, width: Int(width), height: Int(height), layout: .rgba8)
    return finishFrame(PDQCore.hash(view, dihedral: false))
}

/// Writes a frame's `{"pdq", "quality"}` as the last result and returns its byte length.
func finishFrame(_ outcome: PDQOutcome) -> Int32 {
    var json = JSONText()
    json.raw("{")
    json.key("pdq"); json.pdq(outcome.hash)
    json.key("quality"); json.int(outcome.quality)
    json.raw("}")
    let result = json.finish()
    lastResult = result
    return Int32(result.count)
}

/// Where the last result's JSON text starts (valid until the next call).
@_cdecl("hashcore_result")
public func hashcoreResult() -> UnsafeMutableRawPointer? { lastResult?.base }

/// Wipes and releases the last result.
@_cdecl("hashcore_clear_result")
public func hashcoreClearResult() { lastResult = nil }

/// A JSON object written byte by byte (the values are hex strings, integers and nested objects only).
struct JSONText {
    private var bytes: [UInt8] = []

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func key(_ name: StaticString) {
        if let last = bytes.last, last != UInt8(ascii: "{"), last != UInt8(ascii: "[") { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        raw(name)
        raw("\":")
    }

    mutating func int(_ value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var digits: [UInt8] = []
        var v = value.magnitude
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(v % 10))
            v /= 10
        } while v > 0
        bytes.append(contentsOf: digits.reversed())
    }

    mutating func hex(_ words: [UInt64]) {
        bytes.append(UInt8(ascii: "\""))
        // HexCodec's digit table, written straight into the bytes (no String is made in the module).
        HexCodec.digits.withUTF8Buffer { table in
            for word in words {
                for shift in stride(from: 60, through: 0, by: -4) { bytes.append(table[Int((word >> UInt64(shift)) & 0xF)]) }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func pdq(_ w: PDQWords) { hex([w.words.0, w.words.1, w.words.2, w.words.3]) }

    mutating func write(_ set: CaseHashSet) {
        raw("{")
        key("width"); int(set.width)
        key("height"); int(set.height)
        key("pdq"); pdq(set.pdq.hash)
        key("quality"); int(set.pdq.quality)
        key("phash"); hex([set.phash])
        key("dhash"); hex([set.dhash])
        key("pdqPixelDihedral"); raw("[")
        for (i, w) in set.pdqPixelDihedral.enumerated() {
            if i > 0 { raw(",") }
            pdq(w)
        }
        raw("]")
        if let u = set.unletterboxed {
            key("unletterboxed"); raw("{")
            key("pdq"); pdq(u.pdq.hash)
            key("quality"); int(u.pdq.quality)
            key("phash"); hex([u.phash])
            key("dhash"); hex([u.dhash])
            key("width"); int(u.width)
            key("height"); int(u.height)
            raw("}")
        }
        key("captionMasked"); raw("{")
        key("top"); pdq(set.captionMaskedTop.hash)
        key("topQuality"); int(set.captionMaskedTop.quality)
        key("bottom"); pdq(set.captionMaskedBottom.hash)
        key("bottomQuality"); int(set.captionMaskedBottom.quality)
        raw("}")
        key("lowPassed"); raw("{")
        key("pdq"); pdq(set.lowPassed.hash)
        key("quality"); int(set.lowPassed.quality)
        raw("}")
        key("centerCrops"); raw("[")
        for (i, crop) in set.centerCrops.enumerated() {
            if i > 0 { raw(",") }
            raw("{")
            key("aspect"); bytes.append(UInt8(ascii: "\"")); int(crop.aspectWidth); raw(":"); int(crop.aspectHeight)
            bytes.append(UInt8(ascii: "\""))
            key("pdq"); pdq(crop.pdq.hash)
            key("quality"); int(crop.pdq.quality)
            raw("}")
        }
        raw("]")
        key("straightened"); raw("[")
        for (i, turned) in set.straightened.enumerated() {
            if i > 0 { raw(",") }
            raw("{")
            key("degrees"); int(turned.degrees)
            key("pdq"); pdq(turned.pdq.hash)
            key("quality"); int(turned.pdq.quality)
            raw("}")
        }
        raw("]")
        key("cornerMasked"); raw("{")
        key("pdq"); pdq(set.cornerMasked.hash)
        key("quality"); int(set.cornerMasked.quality)
        raw("}")
        if let region = set.photoRegion, let photo = set.photoRegionCase.first {
            // A screenshot: where its photo is, and the photo's own set (what the case stores instead).
            key("photoRegion"); raw("{")
            key("x"); int(region.x)
            key("y"); int(region.y)
            key("width"); int(region.width)
            key("height"); int(region.height)
            raw("}")
            key("photoRegionCase"); write(photo)
        }
        raw("}")
    }

    /// The text in a wiped buffer; the working array is cleared.
    mutating func finish() -> WipedBuffer {
        let out = WipedBuffer(count: bytes.count)
        bytes.withUnsafeBufferPointer { out.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        for i in bytes.indices { bytes[i] = 0 }
        bytes = []
        return out
    }
}

/// The seed source of Swift's `Hasher`, which the standard library links in for the core's enums. The
/// module keeps no hash table keyed by anything a page or a picture controls, so a fixed seed costs nothing;
/// defining it here keeps wasi-libc's version (and the stdio it drags in for its assertions) out of the
/// module, which then needs no imports at all.
@_cdecl("arc4random_buf")
public func arc4randomBuf(_ buffer: UnsafeMutableRawPointer?, _ count: Int) {
    guard let buffer else { return }
    buffer.initializeMemory(as: UInt8.self, repeating: 0x5A, count: count)
}
