import Foundation
import Testing
@testable import NCCEvaluation
import NCCHashing
import NCCTestSupport

/// The real-world copy family and the query side's region search on it: screenshots give back their photo,
/// collages their tiles, and what the policy sends for them lands near the picture's own hash.
@Suite("Real-world copies and picture regions")
struct RealWorldCopyTests {
    /// A photo-like picture: smooth colour fields with a few hard-edged shapes, no flat rows or columns.
    static func photo(width: Int = 400, height: Int = 300) -> DecodedImage {
        PixelOps.makeRGB(width: width, height: height, format: .jpeg) { out in
            let p = Painter(pixels: out, width: width, height: height)
            RealWorldCopies.fillField(p, 0, 0, width, height, seed: 77)
            p.disk(width / 3, height / 2, height / 4, (230, 60, 40))
            p.rect(width * 2 / 3, height / 5, width / 5, height / 2, (30, 40, 160))
            var g = SplitMix64(seed: 5)
            for y in 0..<height { for x in 0..<width where g.next() % 5 == 0 { p.plot(x, y, (UInt8(g.next() % 256), 90, 120), alpha: 0.3) } }
        }
    }

    static func pdq(_ image: DecodedImage) -> PDQHash { PDQHasher.hash(image, dihedral: false).hash }

    static func sent(_ image: DecodedImage) -> [PDQHash] {
        let policy = MatchingPolicy.standard
        return policy.queryPDQ(PDQCompanions(ImageHasher.hashes(of: image, options: policy.queryHashingOptions(dihedral: false))), dihedral: false)
    }

    @Test("the photo rectangle of an app screenshot is found within a few pixels, light and dark", arguments: [false, true])
    func appScreenshot(dark: Bool) throws {
        let picture = Self.photo()
        let shot = try ImageTransform.appScreenshot(dark: dark).apply(to: picture)
        #expect(shot.width == 720 && shot.height == 1560)
        let region = try #require(PictureRegions.photoRegion(of: shot))
        #expect(abs(region.x) <= 4 && abs(region.width - 720) <= 8)
        #expect(abs(region.y - 148) <= 6 && abs(region.height - 540) <= 10)
        let best = Self.sent(shot).map { $0.distance(to: Self.pdq(picture)) }.min()!
        #expect(best <= 31)
        #expect(Self.pdq(shot).distance(to: Self.pdq(picture)) > 31) // the plain hash alone misses it
    }

    @Test("the photo in a chat bubble is found")
    func chatScreenshot() throws {
        let picture = Self.photo()
        let shot = try ImageTransform.chatScreenshot.apply(to: picture)
        let region = try #require(PictureRegions.photoRegion(of: shot))
        #expect(abs(region.x - 188) <= 8 && abs(region.width - 506) <= 12)
        #expect(Self.sent(shot).map { $0.distance(to: Self.pdq(picture)) }.min()! <= 31)
        // The time written over the photo's bottom-right corner: the query also sends the region with that quarter
        // painted over, which lands near the case's own corner-masked companion, nearer than the region itself.
        let policy = MatchingPolicy.standard
        let kinds = policy.queryPDQKinds(PDQCompanions(ImageHasher.hashes(of: shot, options: policy.queryHashingOptions(dihedral: false))), dihedral: false)
        let plainRegion = try #require(kinds.first { $0.kind == "photo-region" })
        let maskedRegion = try #require(kinds.first { $0.kind == "photo-region-corner-masked" })
        let stored = policy.storedPDQKinds(PDQCompanions(ImageHasher.hashes(of: picture, options: policy.caseHashingOptions())))
        let storedCorner = try #require(stored.first { $0.kind == "corner-masked-bottom-right" })
        #expect(maskedRegion.hash.distance(to: storedCorner.hash) <= MatchingPolicy.companionMaxDistance)
        #expect(maskedRegion.hash.distance(to: storedCorner.hash) < plainRegion.hash.distance(to: stored[0].hash))
    }

    @Test("a collage is split at its gutters and the picture's tile matches", arguments: [(2, 2), (3, 1)])
    func collage(columns: Int, rows: Int) throws {
        let picture = Self.photo()
        let collage = try ImageTransform.collage(columns: columns, rows: rows).apply(to: picture)
        let tiles = PictureRegions.collageTiles(of: collage)
        #expect(tiles.count == min(columns * rows, PictureRegions.maximumTiles))
        #expect(Self.sent(collage).map { $0.distance(to: Self.pdq(picture)) }.min()! <= 31)
    }

    /// `photo()` with its top 35% painted one dark value: a night sky, a dark backdrop.
    static func photoWithFlatBand() -> DecodedImage {
        let picture = photo()
        return PixelOps.withRGB(picture) { src in
            PixelOps.makeRGB(width: picture.width, height: picture.height, format: .jpeg) { out in
                out.update(from: src, count: picture.width * picture.height * 3)
                Painter(pixels: out, width: picture.width, height: picture.height).rect(0, 0, picture.width, picture.height * 35 / 100, (12, 14, 20))
            }
        }
    }

    @Test("a picture's own flat band is kept in its screenshot region and in its collage tile")
    func flatBandKept() throws {
        let picture = Self.photoWithFlatBand()
        let shot = try ImageTransform.appScreenshot(dark: false).apply(to: picture)
        let region = try #require(PictureRegions.photoRegion(of: shot))
        // At most the last trim's depth (2% of a side, at least 8 lines) of the band is lost, not the band.
        #expect(abs(region.y - 148) <= 12 && abs(region.height - 540) <= 12 && region.width >= 712)
        #expect(Self.sent(shot).map { $0.distance(to: Self.pdq(picture)) }.min()! <= 31)
        let collage = try ImageTransform.collage(columns: 2, rows: 2).apply(to: picture)
        let tile = try #require(PictureRegions.collageTiles(of: collage).first { $0.x < 30 && $0.y < 30 })
        #expect(abs(tile.y - 12) <= 10 && abs(tile.height - 391) <= 10 && abs(tile.width - 522) <= 6)
        #expect(Self.sent(collage).map { $0.distance(to: Self.pdq(picture)) }.min()! <= 31)
    }

    @Test("an ordinary photo has no region and no tiles: the query sends nothing more")
    func ordinaryPhoto() {
        let picture = Self.photo()
        #expect(PictureRegions.photoRegion(of: picture) == nil)
        #expect(PictureRegions.collageTiles(of: picture).isEmpty)
    }

    @Test("screenshots of two different pictures in the same chrome do not match through the chrome")
    func sameChrome() throws {
        let a = try ImageTransform.appScreenshot(dark: false).apply(to: Self.photo())
        let b = try ImageTransform.appScreenshot(dark: false).apply(to: TestImages.textured(width: 400, height: 300))
        let policy = MatchingPolicy.standard
        let stored = policy.storedPDQ(PDQCompanions(ImageHasher.hashes(of: b, options: policy.caseHashingOptions())))
        let closest = Self.sent(a).flatMap { q in stored.map { $0.distance(to: q) } }.min()!
        #expect(closest > 31)
    }

    @Test("a case of a screenshot stores its photo's hashes in place of the screenshot's; an ordinary photo keeps its own", arguments: [false, true])
    func screenshotCase(dark: Bool) throws {
        let policy = MatchingPolicy.standard
        let picture = Self.photo()
        let shot = try ImageTransform.appScreenshot(dark: dark).apply(to: picture)
        let stored = policy.storedPDQKinds(PDQCompanions(ImageHasher.hashes(of: shot, options: policy.caseHashingOptions())))
        #expect(stored.count <= 20)
        #expect(stored.first?.kind == "photo-region")
        #expect(stored.allSatisfy { $0.kind.hasPrefix("photo-region") })
        #expect(stored.contains { $0.kind == "photo-region-center-crop-1:1" })
        // The screenshot's own hash is not stored; the photo's lands near the picture's.
        #expect(!stored.map(\.hash).contains(Self.pdq(shot)))
        #expect(stored[0].hash.distance(to: Self.pdq(picture)) <= 31)
        // The same screenshot re-shared (re-encoded) still matches through the region its query sends.
        let again = try #require(ImageTransform(id: "jpeg-q70")).apply(to: shot)
        #expect(policy.matchDistance(sent: Self.sent(again), stored: stored.map(\.hash)) <= 31)
        // And the picture itself matches the screenshot's case.
        #expect(policy.matchDistance(sent: Self.sent(picture), stored: stored.map(\.hash)) <= 31)

        let own = policy.storedPDQKinds(PDQCompanions(ImageHasher.hashes(of: picture, options: policy.caseHashingOptions())))
        #expect(own.first?.kind == "pdq" && !own.contains { $0.kind.hasPrefix("photo-region") })
        #expect(PictureRegions.screenshotPhoto(of: picture) == nil)
    }

    @Test("a chat photo with a band in the header's colour is found whole, and its case stores the photo's hashes")
    func chatPhotoInHeaderColour() throws {
        // A photo whose left part has two bands of the chat header's teal (as a dark sky or a teal wall would): with
        // the wallpaper beside the bubble, those rows read as chrome when the header's colour counts as background,
        // the photo was cut in three pieces too short to be a region, and the case stored the screenshot's own
        // hashes (a match with other people's chat screenshots, as `eval` found for a dark wallpaper).
        let picture = PixelOps.makeRGB(width: 400, height: 300, format: .jpeg) { out in
            let p = Painter(pixels: out, width: 400, height: 300)
            RealWorldCopies.fillField(p, 0, 0, 400, 300, seed: 77)
            p.disk(300, 60, 40, (230, 60, 40))
            p.rect(0, 70, 250, 60, (0, 128, 105))
            p.rect(0, 190, 250, 60, (0, 128, 105))
        }
        let shot = try ImageTransform.chatScreenshot.apply(to: picture)
        let region = try #require(PictureRegions.screenshotPhoto(of: shot))
        #expect(abs(region.x - 188) <= 8 && abs(region.width - 506) <= 12)
        #expect(abs(region.height - 380) <= 12)
        let policy = MatchingPolicy.standard
        let hashes = ImageHasher.hashes(of: shot, options: policy.caseHashingOptions())
        let stored = policy.storedPDQKinds(PDQCompanions(hashes))
        #expect(stored.first?.kind == "photo-region")
        #expect(!stored.map(\.hash).contains(Self.pdq(shot)))
        // Its pHash and dHash are the photo's too, not the screen's (which other chat screenshots come near).
        let hash64 = policy.storedHash64(hashes)
        let photo = ImageHasher.hashes(of: PictureRegions.cut(shot, region), options: HashingOptions())
        #expect(hash64.photoRegion && hash64.phash == photo.phash && hash64.dhash == photo.dhash)
        #expect(hash64.phash != hashes.phash)
        let own = ImageHasher.hashes(of: picture, options: policy.caseHashingOptions())
        #expect(!policy.storedHash64(own).photoRegion && policy.storedHash64(own).phash == own.phash)
    }

    @Test("the recipes are fixed: the same picture gives the same copy", arguments: ImageTransform.realWorld.map(\.id))
    func deterministic(id: String) throws {
        let t = try #require(ImageTransform(id: id))
        let picture = Self.photo(width: 160, height: 120)
        #expect(TestImages.same(try t.apply(to: picture), try t.apply(to: picture)))
    }
}
