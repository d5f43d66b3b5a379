/// A read-only view of decoded 8-bit pixels: what the hashing core hashes.
///
/// The bytes belong to the caller (a decoder's buffer natively, the page's canvas pixels in WebAssembly)
/// and must stay valid and unchanged while the view is used. Crops are views of the same bytes, so
/// companion hashes of part of a picture copy no pixels.
public struct PixelView {
    /// How one pixel is stored.
    public enum Layout: Sendable, Equatable {
        /// One byte: luma (a JPEG's Y channel, a grayscale file's value).
        case gray8
        /// Three bytes: red, green, blue.
        case rgb8
        /// Four bytes: red, green, blue, alpha (a browser canvas's `ImageData`). Alpha is ignored, as
        /// Pillow's `convert("RGB")` and `convert("L")` ignore it.
        case rgba8

        /// Bytes per pixel.
        public var bytesPerPixel: Int {
            switch self {
            case .gray8: 1
            case .rgb8: 3
            case .rgba8: 4
            }
        }
    }

    /// The first byte of the top-left pixel.
    public let base: UnsafePointer<UInt8>
    /// Columns, at least 1.
    public let width: Int
    /// Rows, at least 1.
    public let height: Int
    /// Byte layout of a pixel.
    public let layout: Layout
    /// Bytes from one row to the next (at least `width * layout.bytesPerPixel`).
    public let rowBytes: Int
    /// Width of the picture at full resolution (larger than `width` when a decoder shrank it).
    public let fullWidth: Int
    /// Height of the picture at full resolution.
    public let fullHeight: Int

    /// A view of `width` x `height` pixels at `base`, rows `rowBytes` apart (default: packed), standing
    /// for `fullWidth` x `fullHeight` pixels at full resolution (default: the same size).
    public init(
        base: UnsafePointer<UInt8>, width: Int, height: Int, layout: Layout, rowBytes: Int? = nil,
        fullWidth: Int? = nil, fullHeight: Int? = nil
    ) {
        precondition(width > 0 && height > 0, "a picture needs at least one pixel")
        self.base = base
        self.width = width
        self.height = height
        self.layout = layout
        self.rowBytes = rowBytes ?? width * layout.bytesPerPixel
        precondition(self.rowBytes >= width * layout.bytesPerPixel, "rows overlap")
        self.fullWidth = fullWidth ?? width
        self.fullHeight = fullHeight ?? height
    }

    /// Whether a decoder shrank the picture (a DCT-scaled JPEG): its PDQ then folds the full-resolution
    /// filter onto the decoded pixels.
    public var isScaled: Bool { width < fullWidth || height < fullHeight }

    /// Row `y`'s first byte.
    @inline(__always) public func row(_ y: Int) -> UnsafePointer<UInt8> { base + y * rowBytes }

    /// The rectangle `rect` of this view (no copy), standing for `fullWidth` x `fullHeight` pixels.
    public func cropped(to rect: PixelRect, fullWidth: Int, fullHeight: Int) -> PixelView {
        precondition(rect.x >= 0 && rect.y >= 0 && rect.width > 0 && rect.height > 0
            && rect.x + rect.width <= width && rect.y + rect.height <= height, "crop outside the picture")
        return PixelView(
            base: base + rect.y * rowBytes + rect.x * layout.bytesPerPixel, width: rect.width, height: rect.height,
            layout: layout, rowBytes: rowBytes, fullWidth: fullWidth, fullHeight: fullHeight)
    }
}

/// A rectangle of pixels.
public struct PixelRect: Sendable, Equatable {
    /// First column.
    public var x: Int
    /// First row.
    public var y: Int
    /// Number of columns (at least 1).
    public var width: Int
    /// Number of rows (at least 1).
    public var height: Int

    /// Makes a rectangle from its parts.
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}
