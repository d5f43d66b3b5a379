import Foundation
import NCCEvaluation
import NCCHashCore
import NCCHashing
import NCCTestSupport
import Testing

/// The bank-side companions of issue 14: PDQ of the picture straightened by +3 and -3 degrees and cropped
/// (`StraightenCore`), and PDQ with the bottom-right quarter painted over (`CornerMaskCore`), which a query sends too.
@Suite struct StraightenedCropTests {
    static let samples = ["scikit-image__astronaut.png", "scikit-image__chelsea.png", "scikit-image__coffee.png", "scikit-image__rocket.jpg"]

    /// The sample decoded as a case decodes it (fast) and at full resolution (what the evaluation's copies start from).
    static func sample(_ name: String) throws -> (bank: DecodedImage, full: DecodedImage) {
        let bytes = try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("Samples/images/\(name)"))
        return try bytes.withUnsafeBytes { raw in
            (try ImageDecoder.decode(raw, options: HashingOptions(mode: .fast).decodeOptions),
             try ImageDecoder.decode(raw, options: HashingOptions(mode: .exact).decodeOptions))
        }
    }

    /// The smallest distance between what a case stores for `bank` and what a query sends for `copy`, as the
    /// bank's index compares them, with `edit` applied to both sides' companions first.
    static func distance(bank: DecodedImage, copy: DecodedImage, edit: (inout PDQCompanions) -> Void = { _ in }) -> Int {
        let policy = MatchingPolicy.standard
        var stored = PDQCompanions(ImageHasher.hashes(of: bank, options: policy.caseHashingOptions()))
        var sent = PDQCompanions(ImageHasher.hashes(of: copy, options: policy.queryHashingOptions(dihedral: false)))
        edit(&stored)
        edit(&sent)
        var best = 256
        for s in policy.storedPDQ(stored) { for q in policy.queryPDQ(sent, dihedral: false) { best = min(best, s.distance(to: q)) } }
        return best
    }

    @Test(arguments: [3, -3])
    func aCopyStraightenedByThreeDegreesMatchesThroughItsCompanionOnly(degrees: Int) throws {
        for name in Self.samples {
            let (bank, full) = try Self.sample(name)
            let copy = try ImageTransform.rotateCrop(degrees: degrees).apply(to: full)
            let with = Self.distance(bank: bank, copy: copy)
            let without = Self.distance(bank: bank, copy: copy) { $0.straightened = [] }
            #expect(with <= 31, "\(name), \(degrees) degrees: \(with) bits with the straightened companions")
            #expect(without > 31, "\(name), \(degrees) degrees: \(without) bits without them (the test would prove nothing)")
        }
    }

    @Test func aCornerStickerMatchesThroughTheCornerMaskOnly() throws {
        var missedWithout: [String] = []
        for name in Self.samples {
            let (bank, full) = try Self.sample(name)
            let copy = try ImageTransform.sticker(middle: false).apply(to: full)
            let with = Self.distance(bank: bank, copy: copy)
            let without = Self.distance(bank: bank, copy: copy) { $0.cornerMasked = nil }
            #expect(with <= 31, "\(name): \(with) bits with the corner mask")
            if without > 31 { missedWithout.append(name) }
        }
        // The coffee cup's sticker lands on a dark, plain corner and already matches (28 bits) without the mask.
        #expect(missedWithout.count >= 3, "without the corner mask only \(missedWithout) were missed")
    }

    @Test func theSetsNameTheNewCompanions() throws {
        let (bank, _) = try Self.sample("scikit-image__coffee.png")
        let policy = MatchingPolicy.standard
        let stored = policy.storedPDQKinds(PDQCompanions(ImageHasher.hashes(of: bank, options: policy.caseHashingOptions()))).map(\.kind)
        #expect(stored.suffix(3) == ["straightened+3", "straightened-3", "corner-masked-bottom-right"], "\(stored)")
        #expect(stored.count <= 20)
        let sent = policy.queryPDQKinds(PDQCompanions(ImageHasher.hashes(of: bank, options: policy.queryHashingOptions(dihedral: false))), dihedral: false)
        #expect(sent.map(\.kind).contains("corner-masked-bottom-right"))
        #expect(!sent.map(\.kind).contains { $0.hasPrefix("straightened") }, "a query never sends straightened crops")
    }

    /// The series give the platform's sine and cosine to the last bits, and the crop is the evaluation's recipe.
    @Test func theGeometryIsTheEvaluationsRecipe() {
        for degrees in -StraightenCore.maximumDegrees...StraightenCore.maximumDegrees {
            let (s, c) = StraightenCore.sineCosine(degrees: degrees)
            let theta = Double(degrees) * Double.pi / 180
            #expect(abs(s - sin(theta)) <= 2e-16 && abs(c - cos(theta)) <= 2e-16, "\(degrees) degrees")
        }
        for (w, h) in [(512, 512), (451, 300), (300, 451), (1600, 900), (64, 64), (7, 1000), (40, 1000)] {
            for degrees in [1, 3, -3, 5] {
                let theta = abs(Double(degrees)) * Double.pi / 180, c = cos(theta), s = sin(theta)
                let scale = min(Double(w) / (Double(w) * c + Double(h) * s), Double(h) / (Double(w) * s + Double(h) * c))
                let kw = Int(Double(w) * scale) - 2, kh = Int(Double(h) * scale) - 2
                let rect = StraightenCore.bounds(width: w, height: h, degrees: degrees)
                // Where the recipe keeps no pixel (the evaluation then keeps one), the core has no crop.
                let expected = kw >= 1 && kh >= 1 ? PixelRect(x: (w - kw) / 2, y: (h - kh) / 2, width: kw, height: kh) : nil
                #expect(rect == expected, "\(w)x\(h), \(degrees) degrees")
            }
        }
        #expect(StraightenCore.bounds(width: 2, height: 50, degrees: 3) == nil)
        #expect(CornerMaskCore.rect(width: 101, height: 40) == PixelRect(x: 50, y: 20, width: 51, height: 20))
    }

    /// The core on RGBA (what the page runs) gives what `ImageHasher` gives on RGB for a case, on every picture of
    /// the WebAssembly conformance set (sizes below PDQ's minimum, one column, flat, tall, noise), twice alike.
    @Test func theCoreEqualsImageHasherAndIsDeterministic() throws {
        let options = MatchingPolicy.standard.caseHashingOptions(mode: .exact)
        for picture in try WasmCoreTests.pictures() {
            let core = picture.rgba.withUnsafeBufferPointer {
                CaseHashSet(PixelView(base: $0.baseAddress!, width: picture.width, height: picture.height, layout: .rgba8))
            }
            let again = picture.rgba.withUnsafeBufferPointer {
                CaseHashSet(PixelView(base: $0.baseAddress!, width: picture.width, height: picture.height, layout: .rgba8))
            }
            let pipeline = ImageHasher.hashes(of: picture.image, options: options)
            #expect(core.straightened == again.straightened && core.cornerMasked == again.cornerMasked, "\(picture.name)")
            #expect(core.straightened.map(\.degrees) == StraightenCore.standardDegrees)
            #expect(core.straightened.map { PDQHash(words: $0.pdq.hash.words).hex } == pipeline.straightened.map(\.pdq.hash.hex), "\(picture.name)")
            #expect(core.straightened.map(\.pdq.quality) == pipeline.straightened.map(\.pdq.quality), "\(picture.name)")
            #expect(PDQHash(words: core.cornerMasked.hash.words).hex == pipeline.cornerMasked?.hash.hex, "\(picture.name)")
            #expect(core.cornerMasked.quality == pipeline.cornerMasked?.quality, "\(picture.name)")
        }
    }

    /// The committed `hashcore.wasm` (run by node as the page runs it) computes the same companions bit for bit.
    @Test(.needsTool("node"))
    func theWebAssemblyCoreComputesTheSameCompanions() throws {
        struct Companions: Codable, Equatable {
            struct Turned: Codable, Equatable { var degrees: Int, pdq: String, quality: Int }
            struct Masked: Codable, Equatable { var pdq: String, quality: Int }
            var straightened: [Turned]
            var cornerMasked: Masked
        }
        let node = try TestRequirements.requireTool("node")
        let pictures = try WasmCoreTests.pictures()
        let lines = try WasmCoreTests.wasmResults(pictures, node: node)
        try #require(lines.count == pictures.count)
        for (picture, line) in zip(pictures, lines) {
            let wasm = try JSONDecoder().decode(Companions.self, from: Data(line.utf8))
            let set = picture.rgba.withUnsafeBufferPointer {
                CaseHashSet(PixelView(base: $0.baseAddress!, width: picture.width, height: picture.height, layout: .rgba8))
            }
            let native = Companions(
                straightened: set.straightened.map { .init(degrees: $0.degrees, pdq: PDQHash(words: $0.pdq.hash.words).hex, quality: $0.pdq.quality) },
                cornerMasked: .init(pdq: PDQHash(words: set.cornerMasked.hash.words).hex, quality: set.cornerMasked.quality))
            #expect(wasm == native, "\(picture.name)")
        }
    }
}
