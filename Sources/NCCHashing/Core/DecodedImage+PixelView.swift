import NCCHashCore

extension DecodedImage {
    /// Calls `body` with a view of the pixels for the hashing core (no copy; valid only inside `body`).
    func withPixelView<R>(_ body: (PixelView) -> R) -> R {
        pixels.withUnsafeBytes { raw in
            // The decoder's bytes are plain UInt8 pixels; the view only reads them.
            body(PixelView(
                base: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), width: width, height: height,
                layout: layout == .gray8 ? .gray8 : .rgb8, fullWidth: fullWidth, fullHeight: fullHeight))
        }
    }
}

extension PDQHash {
    /// The hash the core computed.
    init(_ core: PDQWords) { self.init(words: core.words) }
}

extension PDQResult {
    /// The result the core computed.
    init(_ core: PDQOutcome) {
        self.init(hash: PDQHash(core.hash), quality: core.quality, dihedral: core.dihedral.map(PDQHash.init))
    }
}
