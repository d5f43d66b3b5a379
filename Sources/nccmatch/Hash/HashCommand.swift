import ArgumentParser
import Foundation
import NCCHashing
import NCCVideo

/// `nccmatch hash`: hashes images on this machine; nothing of the pictures leaves it or is written.
struct HashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Hash images and videos on this machine (PDQ, pHash, dHash, vPDQ, MD5, SHA-256).",
        discussion: """
            Folders are read recursively in a stable order (hidden files are skipped); '-' reads \
            standard input. Pictures are decoded in memory only: no pixels or image bytes are \
            written, logged or sent anywhere. Every file gets its MD5 and SHA-256, images also \
            their perceptual hashes, videos (MP4, MOV, 3GP, WebM, MKV, AVI) and animated GIF and WebP \
            their vPDQ: the PDQ, quality and timestamp of one frame every --seconds-per-hash seconds \
            (an animation's first frame also gets the picture hashes). Exit status: 0 when every file was hashed, 1 when any could \
            not be, 2 for a usage error.
            """
    )

    @Option(help: "fast (default: decodes JPEGs scaled down, within a few bits of exact) or exact (full resolution, bit-identical to the pdqhash and imagehash references).")
    var mode: HashingMode = .fast

    @Option(help: "text (default on a terminal), jsonl (default otherwise) or csv.")
    var format: HashOutputFormat?

    @Option(help: "Files hashed at once (default: one per core).")
    var jobs: Int?

    @Flag(help: "Ignore the EXIF orientation tag (hash the stored pixels, as tools that ignore EXIF do).")
    var ignoreExif = false

    @Flag(help: "Also hash the picture with uniform borders (letterbox bars, padding) stripped, when it has any: an extra \"unletterboxed\" object in jsonl.")
    var unletterbox = false

    @Flag(help: "Also compute PDQ of the 8 rotated and mirrored copies of the pixels (\"pdq_pixel_dihedral\" in jsonl), as a case stores them.")
    var pixelDihedral = false

    @Flag(help: "Also compute PDQ with the top and with the bottom quarter of the picture painted over (\"pdq_caption_masked\" in jsonl), so that copies with a caption bar match; a case stores them.")
    var captionMask = false

    @Flag(help: "Also compute PDQ of the picture's luma blurred by 1/128 of its shorter side (\"pdq_low_passed\" in jsonl), so that blurred or re-brightened copies of finely textured pictures match; a case stores it.")
    var lowPass = false

    @Flag(help: "Also compute PDQ of the picture's centre crops to 1:1, 4:5 and 9:16, leaving out ratios it already has (\"pdq_center_crops\" in jsonl), so that a platform's aspect-ratio crop of the picture matches; a case stores them, a match does not send them.")
    var centerCrops = false

    @Flag(help: "Also compute PDQ of the picture straightened by +3 and -3 degrees and cropped to the largest centred rectangle of its shape (\"pdq_straightened\" in jsonl), so that a copy straightened in a photo editor matches; a case stores them, a match does not send them.")
    var straightened = false

    @Flag(help: "Everything a match looks up besides the plain hashes: the same as --unletterbox --caption-mask --low-pass, with the bottom-right quarter painted over (\"pdq_corner_masked\" in jsonl) and the photo region and collage tiles.")
    var matchVariants = false

    @Option(help: "Print exactly the hashes one side sends, each with its kind: case (what a case stores for a picture: case submit and the person's page; its first PDQ is the picture's own, matched within the full distance, the others within \(MatchingPolicy.companionMaxDistance) bits) or query (what a platform's match sends for an upload, without --dihedral; send each PDQ with its kind as the match item's kind: the masked and low-passed forms are compared with the stored companions only). Replaces the other hash flags; jsonl prints {path, set, hashes: [{kind, algorithm, hash, quality}]}.")
    var set: HashSetSide?

    @Option(help: "Refuse images larger than this many megapixels, before decoding them (default 100).")
    var maxMegapixels: Int = 100

    @Option(help: "Videos and animated GIF/WebP: seconds between hashed frames, by presentation time (default 1, as Meta's vPDQ); 0 hashes every frame.")
    var secondsPerHash: Double = 1

    @Option(help: "Videos: refuse videos longer than this many seconds (default 7200).")
    var maxVideoSeconds: Double = 7200

    @Argument(help: "Image files or folders; '-' for standard input.")
    var paths: [String]

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs needs a number of 1 or more.") }
        if maxMegapixels < 1 { throw ValidationError("--max-megapixels needs a number of 1 or more.") }
        if !(secondsPerHash >= 0 && secondsPerHash.isFinite) { throw ValidationError("--seconds-per-hash needs a number of 0 or more.") }
        if !(maxVideoSeconds > 0 && maxVideoSeconds.isFinite) { throw ValidationError("--max-video-seconds needs a number above 0.") }
        if paths.filter({ $0 == "-" }).count > 1 { throw ValidationError("Standard input ('-') can be read only once.") }
        if set != nil, format == .csv || format == .vpdq { throw ValidationError("--set prints text or jsonl; drop --format \(format!.rawValue) or --set.") }
    }

    func run() async throws {
        // --match-variants: the companions a query sends, as the matching policy (the one `match` uses) says.
        var requested = HashingOptions(mode: mode, applyEXIFOrientation: !ignoreExif, maxPixels: maxMegapixels * 1_000_000,
                                       unletterbox: unletterbox, pixelDihedral: pixelDihedral, captionMask: captionMask, lowPass: lowPass,
                                       centerCrops: centerCrops)
        requested.straightenedCrops = straightened
        let flagged = MatchingPolicy.standard.addingQueryCompanions(requested, when: matchVariants)
        // --set: the policy alone decides what is hashed, as case submit and match do.
        let options = set.map { $0.options(flagged) } ?? flagged
        let side = set
        let videoOptions = VideoDecodingOptions(secondsPerSample: secondsPerHash, maxDurationSeconds: maxVideoSeconds)
        let inputs = InputFiles.expand(paths)
        let outputFormat = format ?? (isatty(STDOUT_FILENO) == 1 ? .text : .jsonl)
        let progress = ProgressBar(total: inputs.count, enabled: isatty(STDERR_FILENO) == 1 && inputs.count > 1)
        let output = LineOutput()
        if outputFormat == .csv { output.write(HashRecord.csvHeader) }

        var failures = 0
        await forEachInOrder(inputs, width: jobs ?? ProcessInfo.processInfo.activeProcessorCount) { input in
            HashRecord.make(input, options: options, video: videoOptions)
        } handle: { record in
            if !record.succeeded { failures += 1 }
            progress.clear()
            switch outputFormat {
            case .jsonl where side != nil: output.write(record.setJSONLine(side!))
            case .text where side != nil: output.write(record.setTextLines(side!))
            case .jsonl: output.write(record.jsonLine())
            case .csv: output.write(record.csvLine())
            case .text: output.write(record.textLine())
            case .vpdq: record.writeVPDQText(to: output)
            }
            progress.advance()
        }
        progress.finish()
        output.flush()
        if failures > 0 { throw ExitCode(1) }
    }
}

extension HashingMode: ExpressibleByArgument {}
extension HashOutputFormat: ExpressibleByArgument {}
extension HashSetSide: ExpressibleByArgument {}

/// Runs `work` on up to `width` inputs at a time and hands the results to `handle` in input order.
func forEachInOrder<Input: Sendable, Output: Sendable>(
    _ inputs: [Input], width: Int,
    work: @escaping @Sendable (Input) -> Output,
    handle: (Output) throws -> Void
) async rethrows {
    try await withThrowingTaskGroup(of: (Int, Output).self) { group in
        var next = 0
        var pending: [Int: Output] = [:]
        var emitted = 0
        func startNext() {
            guard next < inputs.count else { return }
            let index = next
            let input = inputs[index]
            group.addTask { (index, work(input)) }
            next += 1
        }
        for _ in 0..<max(1, width) { startNext() }
        while let (index, output) = try await group.next() {
            pending[index] = output
            while let ready = pending.removeValue(forKey: emitted) {
                try handle(ready)
                emitted += 1
            }
            startNext()
        }
    }
}
