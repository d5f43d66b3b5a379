import Foundation
import NCCHashCore
import NCCEvaluation
import NCCHashing
import NCCTestSupport
import Testing

/// The hashing core's WebAssembly build (the committed `hashcore.wasm`, driven by `hashcore.js` under node, as
/// the person's page drives it) gives bit for bit the hashes of the native core on the same RGBA pixels, and
/// those equal what `ImageHasher` stores for a case in exact mode.
@Suite struct WasmCoreTests {
    /// One result of `hashcore.js`'s `hashRGBA`, the shape the page reads.
    struct CoreResult: Codable, Equatable, CustomStringConvertible {
        struct Unletterboxed: Codable, Equatable {
            var pdq: String, quality: Int, phash: String, dhash: String, width: Int, height: Int
        }
        struct CaptionMasked: Codable, Equatable {
            var top: String, topQuality: Int, bottom: String, bottomQuality: Int
        }
        struct LowPassed: Codable, Equatable {
            var pdq: String, quality: Int
        }
        struct CenterCropped: Codable, Equatable {
            var aspect: String, pdq: String, quality: Int
        }
        struct Region: Codable, Equatable {
            var x: Int, y: Int, width: Int, height: Int
        }
        /// The photo's own set, nested (an array keeps the recursive value finite).
        struct Nested: Codable, Equatable {
            var set: [CoreResult]
            init(_ set: CoreResult) { self.set = [set] }
            init(from decoder: any Decoder) throws { set = [try CoreResult(from: decoder)] }
            func encode(to encoder: any Encoder) throws { try set[0].encode(to: encoder) }
        }
        var width: Int, height: Int
        var pdq: String, quality: Int, phash: String, dhash: String
        var pdqPixelDihedral: [String]
        var unletterboxed: Unletterboxed?
        var captionMasked: CaptionMasked
        var lowPassed: LowPassed
        var centerCrops: [CenterCropped]
        var photoRegion: Region?
        var photoRegionCase: Nested?

        var description: String {
            String(decoding: (try? JSONEncoder().encode(self)) ?? Data(), as: UTF8.self)
        }

        /// The native core's set for the same pixels, in the same shape.
        init(_ set: CaseHashSet) {
            func hex(_ w: PDQWords) -> String { PDQHash(words: w.words).hex }
            width = set.width
            height = set.height
            pdq = hex(set.pdq.hash)
            quality = set.pdq.quality
            phash = Hash64(set.phash).hex
            dhash = Hash64(set.dhash).hex
            pdqPixelDihedral = set.pdqPixelDihedral.map(hex)
            unletterboxed = set.unletterboxed.map {
                Unletterboxed(pdq: hex($0.pdq.hash), quality: $0.pdq.quality, phash: Hash64($0.phash).hex, dhash: Hash64($0.dhash).hex,
                              width: $0.width, height: $0.height)
            }
            captionMasked = CaptionMasked(top: hex(set.captionMaskedTop.hash), topQuality: set.captionMaskedTop.quality,
                                          bottom: hex(set.captionMaskedBottom.hash), bottomQuality: set.captionMaskedBottom.quality)
            lowPassed = LowPassed(pdq: hex(set.lowPassed.hash), quality: set.lowPassed.quality)
            centerCrops = set.centerCrops.map {
                CenterCropped(aspect: "\($0.aspectWidth):\($0.aspectHeight)", pdq: hex($0.pdq.hash), quality: $0.pdq.quality)
            }
            photoRegion = set.photoRegion.map { Region(x: $0.x, y: $0.y, width: $0.width, height: $0.height) }
            photoRegionCase = set.photoRegionCase.first.map { Nested(CoreResult($0)) }
        }

        /// What `ImageHasher` computes with the options a case uses, in the same shape (`image`: the picture
        /// hashed, whose screenshot photo `PictureRegions` finds).
        init(_ h: ImageHashes, of image: DecodedImage? = nil) {
            width = h.width
            height = h.height
            pdq = h.pdq.hash.hex
            quality = h.pdq.quality
            phash = h.phash.hex
            dhash = h.dhash.hex
            pdqPixelDihedral = h.pdqPixelDihedral.map(\.hex)
            unletterboxed = h.unletterboxed.map {
                Unletterboxed(pdq: $0.pdq.hash.hex, quality: $0.pdq.quality, phash: $0.phash.hex, dhash: $0.dhash.hex, width: $0.width, height: $0.height)
            }
            let masked = h.captionMasked!
            captionMasked = CaptionMasked(top: masked.top.hash.hex, topQuality: masked.top.quality,
                                          bottom: masked.bottom.hash.hex, bottomQuality: masked.bottom.quality)
            lowPassed = LowPassed(pdq: h.lowPassed!.hash.hex, quality: h.lowPassed!.quality)
            centerCrops = h.centerCrops.map { CenterCropped(aspect: $0.aspect.description, pdq: $0.pdq.hash.hex, quality: $0.pdq.quality) }
            photoRegion = image.flatMap(PictureRegions.screenshotPhoto).map { Region(x: $0.x, y: $0.y, width: $0.width, height: $0.height) }
            photoRegionCase = h.photoRegionCase.first.map { Nested(CoreResult($0)) }
        }
    }

    /// A picture as RGBA bytes (alpha 255) and as the RGB `DecodedImage` the native pipeline hashes.
    struct Picture: Sendable {
        var name: String
        var width: Int
        var height: Int
        var rgba: [UInt8]

        init(name: String, width: Int, height: Int, rgba: [UInt8]) {
            self.name = name
            self.width = width
            self.height = height
            self.rgba = rgba
        }

        /// A decoded picture's pixels as RGBA (alpha 255).
        init(name: String, _ image: DecodedImage) {
            var rgba = [UInt8](repeating: 255, count: image.width * image.height * 4)
            image.pixels.withUnsafeBytes { p in
                for i in 0..<(image.width * image.height) {
                    for c in 0..<3 { rgba[i * 4 + c] = image.layout == .gray8 ? p[i] : p[i * 3 + c] }
                }
            }
            self.init(name: name, width: image.width, height: image.height, rgba: rgba)
        }

        var image: DecodedImage {
            let buffer = PixelBuffer(count: width * height * 3)
            buffer.withUnsafeMutableBytes { out in
                for i in 0..<(width * height) { for c in 0..<3 { out[i * 3 + c] = rgba[i * 4 + c] } }
            }
            return DecodedImage(width: width, height: height, layout: .rgb8, format: .png, fullWidth: width, fullHeight: height, pixels: buffer)
        }
    }

    /// The decodable JPEG and PNG fixtures and samples, decoded at full resolution, plus synthetic pictures that
    /// reach every branch: borders to strip, sizes below PDQ's minimum, exactly 64x64, tall (Lanczos vertical
    /// pass first), one-pixel-wide, square (no 1:1 crop), noise.
    static func pictures() throws -> [Picture] {
        var pictures: [Picture] = []
        let folders = [TestPaths.fixtures.appendingPathComponent("images/png"), TestPaths.fixtures.appendingPathComponent("images/jpeg"),
                       TestPaths.packageRoot.appendingPathComponent("Samples/images")]
        for folder in folders {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.sorted() ?? []
            for name in names.prefix(12) {
                guard let bytes = try? Data(contentsOf: folder.appendingPathComponent(name)),
                      let image = try? bytes.withUnsafeBytes({ try ImageDecoder.decode($0) }),
                      image.width * image.height <= 2_000_000
                else { continue }
                pictures.append(Picture(name: name, image))
            }
        }
        var random = SplitMix64(seed: 13)
        func synthetic(_ name: String, _ w: Int, _ h: Int, _ pixel: (Int, Int, inout SplitMix64) -> (UInt8, UInt8, UInt8)) {
            var rgba = [UInt8](repeating: 255, count: w * h * 4)
            for y in 0..<h {
                for x in 0..<w {
                    let (r, g, b) = pixel(x, y, &random)
                    rgba[(y * w + x) * 4] = r; rgba[(y * w + x) * 4 + 1] = g; rgba[(y * w + x) * 4 + 2] = b
                }
            }
            pictures.append(Picture(name: name, width: w, height: h, rgba: rgba))
        }
        let pattern: (Int, Int, inout SplitMix64) -> (UInt8, UInt8, UInt8) = { x, y, _ in
            (UInt8(truncatingIfNeeded: x * 7 + y * 3), UInt8(truncatingIfNeeded: x * y), UInt8(truncatingIfNeeded: x ^ y))
        }
        synthetic("pattern 640x480", 640, 480, pattern)
        synthetic("letterboxed 400x300", 400, 300) { x, y, r in
            (40..<260).contains(y) && (30..<370).contains(x) ? pattern(x, y, &r) : (8, 8, 8)
        }
        synthetic("noise 333x517", 333, 517) { _, _, r in
            let v = r.next()
            return (UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v >> 16))
        }
        synthetic("exactly 64x64", 64, 64, pattern)
        synthetic("tall 90x1400", 90, 1400, pattern)
        synthetic("square 300x300", 300, 300, pattern)
        synthetic("too small 4x9", 4, 9, pattern)
        synthetic("one column 1x50", 1, 50, pattern)
        synthetic("flat 200x100", 200, 100) { _, _, _ in (120, 130, 140) }
        return pictures + (try screenshots())
    }

    /// Phone screenshots of a sample photo as `nccmatch eval`'s real-world copies make them (app chrome light and
    /// dark, a chat bubble; 720x1560, JPEG-encoded and decoded): pictures whose case stores the photo's hashes.
    static func screenshots() throws -> [Picture] {
        let url = TestPaths.packageRoot.appendingPathComponent("Samples/images/scikit-image__chelsea.png")
        guard let bytes = try? Data(contentsOf: url) else { return [] }
        let photo = try bytes.withUnsafeBytes { try ImageDecoder.decode($0) }
        return try [ImageTransform.appScreenshot(dark: false), .appScreenshot(dark: true), .chatScreenshot].map { transform in
            Picture(name: "\(transform.id) of chelsea", try transform.apply(to: photo))
        }
    }

    /// What `nccmatch case submit` sends for a picture besides its MD5 and SHA-256 (Sources/nccmatch/Service/
    /// CasePictures.swift): the policy's stored PDQs with the picture's quality, then its stored pHash and dHash.
    static func submitted(_ h: ImageHashes) -> [SentHash] {
        let policy = MatchingPolicy.standard
        let hash64 = policy.storedHash64(h)
        return policy.storedPDQ(PDQCompanions(h)).map { SentHash(algorithm: "pdq", value: $0.hex, quality: h.pdq.quality) }
            + [SentHash(algorithm: "phash", value: hash64.phash.hex, quality: nil), SentHash(algorithm: "dhash", value: hash64.dhash.hex, quality: nil)]
    }

    /// One hash of a case request, as hashcore.js's `caseHashes` lists it.
    struct SentHash: Codable, Equatable {
        var algorithm: String, value: String, quality: Int?
    }

    /// The page's list for one picture: hashcore.js's `caseHashes`, as Scripts/wasm/hash-rgba.mjs prints it.
    struct PageCase: Codable {
        var caseHashes: [SentHash]
    }

    /// Runs `Scripts/wasm/hash-rgba.mjs` under node on `pictures` (pixels through a pipe, never a file).
    static func wasmResults(_ pictures: [Picture], node: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: node)
        process.arguments = [TestPaths.packageRoot.appendingPathComponent("Scripts/wasm/hash-rgba.mjs").path]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let writer = Thread {
            for picture in pictures {
                var header = Data(count: 8)
                header.withUnsafeMutableBytes { raw in
                    raw.storeBytes(of: UInt32(picture.width).littleEndian, toByteOffset: 0, as: UInt32.self)
                    raw.storeBytes(of: UInt32(picture.height).littleEndian, toByteOffset: 4, as: UInt32.self)
                }
                input.fileHandleForWriting.write(header)
                input.fileHandleForWriting.write(Data(picture.rgba))
            }
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "node Scripts/wasm/hash-rgba.mjs exited with \(process.terminationStatus)")
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test(.needsTool("node"))
    func theWebAssemblyCoreEqualsTheNativeCoreBitForBit() throws {
        let node = try TestRequirements.requireTool("node")
        let pictures = try Self.pictures()
        #expect(pictures.count >= 20, "fixtures and synthetic pictures were found")
        let lines = try Self.wasmResults(pictures, node: node)
        try #require(lines.count == pictures.count, "one result per picture from node")
        for (picture, line) in zip(pictures, lines) {
            let wasm = try JSONDecoder().decode(CoreResult.self, from: Data(line.utf8))
            let native = picture.rgba.withUnsafeBufferPointer {
                CoreResult(CaseHashSet(PixelView(base: $0.baseAddress!, width: picture.width, height: picture.height, layout: .rgba8)))
            }
            #expect(wasm == native, "\(picture.name): WebAssembly \(wasm) vs native \(native)")
        }
        let screenshots = pictures.filter { $0.name.hasSuffix("of chelsea") }
        #expect(screenshots.count == 3 && screenshots.allSatisfy { picture in
            lines[pictures.firstIndex { $0.name == picture.name }!].contains("\"photoRegionCase\"")
        }, "the WebAssembly core finds the photo of each screenshot")
    }

    /// What the page sends for a picture (hashcore.js's `caseHashes` over the WebAssembly core's result) is what
    /// `nccmatch case submit` sends for the same pixels, hash for hash and in order: for screenshots, the photo's
    /// hashes in place of the screenshot's (`MatchingPolicy.storedPDQKinds`, `storedHash64`); for other pictures
    /// their own.
    @Test(.needsTool("node"))
    func thePageSendsWhatCaseSubmitSends() throws {
        let node = try TestRequirements.requireTool("node")
        let options = MatchingPolicy.standard.caseHashingOptions(mode: .exact)
        let pictures = try Self.pictures().filter { $0.width >= 16 && $0.height >= 16 && $0.width * $0.height >= 40_000 }
        let lines = try Self.wasmResults(pictures, node: node)
        try #require(lines.count == pictures.count, "one result per picture from node")
        var screenshots = 0
        for (picture, line) in zip(pictures, lines) {
            let page = try JSONDecoder().decode(PageCase.self, from: Data(line.utf8)).caseHashes
            let h = ImageHasher.hashes(of: picture.image, options: options)
            if !h.photoRegionCase.isEmpty { screenshots += 1 }
            #expect(page == Self.submitted(h), "\(picture.name)")
        }
        #expect(screenshots == 3, "the three screenshots, and only they, store their photo's hashes")
    }

    /// The native core on RGBA pixels gives what `ImageHasher` gives on the same pixels as RGB with the hashing
    /// the matching policy asks of a case (exact mode): the page and `nccmatch case submit` send the same set.
    @Test func theCoreOnRGBAEqualsImageHasherOnRGB() throws {
        let options = MatchingPolicy.standard.caseHashingOptions(mode: .exact)
        for picture in try Self.pictures() {
            let native = picture.rgba.withUnsafeBufferPointer {
                CoreResult(CaseHashSet(PixelView(base: $0.baseAddress!, width: picture.width, height: picture.height, layout: .rgba8)))
            }
            let image = picture.image
            let pipeline = CoreResult(ImageHasher.hashes(of: image, options: options), of: image)
            #expect(native == pipeline, "\(picture.name)")
        }
    }

    @Test func theCommittedModuleIsSmall() throws {
        let url = TestPaths.packageRoot.appendingPathComponent("Sources/NCCServer/Page/Site/hashcore.wasm")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
        #expect(size <= 400_000, "hashcore.wasm is \(size) bytes; the page must stay light on a phone")
    }
}
