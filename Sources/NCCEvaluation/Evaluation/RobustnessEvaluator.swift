import Foundation
import NCCHashing

/// Settings of a robustness evaluation.
public struct EvaluationOptions: Sendable {
    /// Transforms to measure.
    public var transforms: [ImageTransform]
    /// How the originals are decoded for their bank hash, as `nccmatch hash --mode` does: `fast` (JPEG
    /// DCT-scaled to a shorter side of at least 256 pixels, luma only) or `exact` (full resolution RGB).
    /// Copies are made from the full-resolution RGB decode and hashed as made; the `original` copy is the
    /// file decoded the same way as the bank's.
    public var mode: HashingMode
    /// Pictures processed at once (default: every core).
    public var jobs: Int
    /// Per-channel tolerance of `Unletterbox` for the `pdq-dihedral-unletterbox` signal.
    public var unletterboxThreshold: Int
    /// Crop augmentation: central crops stored in the bank for `pdq-dihedral-crops`, as the share cut
    /// from each side (default 7.5% and 15%).
    public var cropAugmentation: [Double]
    /// Most ordered pairs of different pictures compared for false matches (sampled beyond this).
    public var maxDifferentImagePairs: Int
    /// Pictures whose original has a lower PDQ quality are left out (default 50: the bank refuses them).
    public var minimumQuality: Int
    /// Group near-duplicate originals into one scene before counting false matches (`NearDuplicateClusters`):
    /// what `nccmatch eval` does for a folder without a MANIFEST.tsv, whose pictures have no scene groups.
    public var clusterNearDuplicates: Bool = false

    /// Makes options; the defaults are what `nccmatch eval` uses.
    public init(
        transforms: [ImageTransform] = ImageTransform.standard, mode: HashingMode = .fast,
        jobs: Int = ProcessInfo.processInfo.activeProcessorCount, unletterboxThreshold: Int = Unletterbox.defaultThreshold,
        cropAugmentation: [Double] = [0.075, 0.15], maxDifferentImagePairs: Int = 2_000_000,
        minimumQuality: Int = 50
    ) {
        self.minimumQuality = minimumQuality
        self.transforms = transforms
        self.mode = mode
        self.jobs = max(1, jobs)
        self.unletterboxThreshold = unletterboxThreshold
        self.cropAugmentation = cropAugmentation
        self.maxDifferentImagePairs = maxDifferentImagePairs
    }
}

/// What an evaluation produces: the report, and the per-picture distances for `details.csv`.
public struct EvaluationOutcome: Sendable {
    /// The aggregated report (JSON, CSV, HTML).
    public var report: RobustnessReport
    /// One row per picture and transform, the distance for every signal.
    public var detailsCSV: String
}

/// The hashes of one corpus picture and of its transformed copies.
public struct ImageMeasurement: Sendable {
    /// The bank entry made from the original.
    public var bank: BankEntry
    /// One per transform, in the options' order; nil where the copy could not be made.
    public var copies: [QueryCopy?]
    /// Makes a measurement (tests, stored results).
    public init(bank: BankEntry, copies: [QueryCopy?], hashSeconds: Double = 0, pixelDihedralSeconds: Double = 0) {
        self.bank = bank
        self.copies = copies
        self.hashSeconds = hashSeconds
        self.pixelDihedralSeconds = pixelDihedralSeconds
    }

    /// Seconds to hash the original for the bank (PDQ with its 8 DCT-domain dihedral variants, pHash, dHash).
    public var hashSeconds: Double = 0
    /// Seconds to rotate/mirror the original's pixels 7 times and hash all 8 copies with PDQ.
    public var pixelDihedralSeconds: Double = 0
    /// Seconds to hash the original as a plain upload (PDQ, pHash, dHash, no companions) on this core.
    public var plainUploadSeconds: Double = 0
    /// Seconds to hash the original with everything a platform's query computes (`MatchingPolicy.queryHashingOptions`, without dihedral variants).
    public var queryUploadSeconds: Double = 0
    /// For the screenshot transforms (by index in the options' transforms), the PDQ hashes a case would store
    /// if the *screenshot* were banked: what screenshots of other pictures in the same app chrome are compared with.
    public var screenshotCaseHashes: [Int: [KindedPDQ]] = [:]
    /// For the screenshot transforms (by index), the PDQ hashes a platform's query sends for the screenshot,
    /// with their kinds: what `sameChrome` compares with the other pictures' `screenshotCaseHashes`.
    public var screenshotQueryHashes: [Int: [KindedPDQ]] = [:]
    /// For the screenshot transforms (by index), the pHash and dHash (in that order) a case would store for the
    /// screenshot (`MatchingPolicy.storedHash64`).
    public var screenshotCaseHash64: [Int: [Hash64]] = [:]
}

/// Runs the robustness evaluation: transforms every picture in memory, hashes originals and copies,
/// and measures recall per signal and transform and false matches between different pictures.
///
/// Pixels stay in memory (wiped buffers); nothing about a picture is logged or written except its file
/// name in the report's skip list.
public enum RobustnessEvaluator {
    /// Hashes one picture and its copies.
    /// - Returns: the measurement, or the reason the picture is skipped (an error code).
    public static func measure(path: String, options: EvaluationOptions) -> Result<ImageMeasurement, EvaluationError> {
        guard let bytes = Corpus.read(path: path) else {
            return .failure(EvaluationError(code: "file_unreadable", message: "The file could not be read."))
        }
        let full: DecodedImage
        let bankImage: DecodedImage
        do {
            full = try bytes.withUnsafeBytes { raw throws(ImageDecodingError) in try ImageDecoder.decode(raw, options: DecodeOptions()) }
            bankImage = options.mode == .exact ? full
                : try bytes.withUnsafeBytes { raw throws(ImageDecodingError) in try ImageDecoder.decode(raw, options: HashingOptions(mode: options.mode).decodeOptions) }
        } catch {
            return .failure(EvaluationError(code: error.code.rawValue, message: error.message))
        }
        let clock = ContinuousClock()
        let t0 = clock.now
        let original = ImageSignature(of: bankImage)
        let t1 = clock.now
        let pixelDihedral = PDQHasher.pixelDihedralHashes(bankImage)
        let t2 = clock.now
        let bankStripped = Unletterbox.crop(bankImage, threshold: options.unletterboxThreshold)
        // As `nccmatch case submit` does: the stripped original is stored whenever it has borders, on the
        // quality of the picture it comes from (which passed the floor, or the picture is left out).
        let unletterboxedOriginal = bankStripped.width == bankImage.width && bankStripped.height == bankImage.height
            ? nil : PDQHasher.hash(bankStripped, dihedral: false).hash
        let crops = options.cropAugmentation.map { fraction in
            PDQHasher.hash(Geometry.cropEachSide(full, fraction: fraction), dihedral: false).hash
        }
        // What a case stores for the picture, hashed as `nccmatch case submit` hashes it.
        let policy = MatchingPolicy.standard
        let caseHashes = PDQCompanions(ImageHasher.hashes(of: bankImage, options: policy.caseHashingOptions(mode: options.mode)))
        let t3 = clock.now
        _ = ImageHasher.hashes(of: bankImage, options: HashingOptions(mode: options.mode, pdqDihedral: false))
        let t4 = clock.now
        _ = ImageHasher.hashes(of: bankImage, options: policy.queryHashingOptions(dihedral: false, mode: options.mode))
        let t5 = clock.now
        var screenshotCaseHashes: [Int: [KindedPDQ]] = [:]
        var screenshotQueryHashes: [Int: [KindedPDQ]] = [:]
        var screenshotCaseHash64: [Int: [Hash64]] = [:]
        let copies: [QueryCopy?] = options.transforms.enumerated().map { index, transform in
            let copy: DecodedImage
            if transform == .original {
                copy = bankImage // the same file, decoded the same way
            } else {
                guard let made = try? transform.apply(to: full) else { return nil }
                copy = made
            }
            if transform.isScreenshot {
                let stored = ImageHasher.hashes(of: copy, options: policy.caseHashingOptions(mode: options.mode))
                screenshotCaseHashes[index] = policy.storedPDQKinds(PDQCompanions(stored))
                let hash64 = policy.storedHash64(stored)
                screenshotCaseHash64[index] = [hash64.phash, hash64.dhash]
            }
            // Hashed as a platform's query is (`nccmatch match`), with the DCT-domain variants the other signals use.
            let hashes = ImageHasher.hashes(of: copy, options: policy.queryHashingOptions(dihedral: true))
            let plain = ImageSignature(pdq: hashes.pdq.hash, quality: hashes.pdq.quality, dihedral: hashes.pdq.dihedral, phash: hashes.phash, dhash: hashes.dhash)
            if transform.isScreenshot { screenshotQueryHashes[index] = policy.queryPDQKinds(PDQCompanions(hashes), dihedral: false) }
            let unletterboxed: ImageSignature
            if options.unletterboxThreshold == Unletterbox.defaultThreshold {
                unletterboxed = hashes.unletterboxed.map {
                    ImageSignature(pdq: $0.pdq.hash, quality: $0.pdq.quality, dihedral: $0.pdq.dihedral, phash: $0.phash, dhash: $0.dhash)
                } ?? plain
            } else {
                // Another tolerance, for the unletterboxing signals only: the policy's hashes keep the default.
                let stripped = Unletterbox.crop(copy, threshold: options.unletterboxThreshold)
                unletterboxed = stripped.width == copy.width && stripped.height == copy.height ? plain : ImageSignature(of: stripped)
            }
            return QueryCopy(plain: plain, unletterboxed: unletterboxed, captionMasked: hashes.captionMasked.map { [$0.top.hash, $0.bottom.hash] } ?? [],
                             lowPassed: hashes.lowPassed?.hash, queryHashes: PDQCompanions(hashes), policy: policy)
        }
        var measurement = ImageMeasurement(
            bank: BankEntry(original: original, pixelDihedral: pixelDihedral, unletterboxed: unletterboxedOriginal, crops: crops, captionMasked: caseHashes.captionMasked,
                             lowPassed: caseHashes.lowPassed,
                             centerCrops: caseHashes.centerCrops, caseHashes: caseHashes, policy: policy),
            copies: copies, hashSeconds: seconds(t1 - t0), pixelDihedralSeconds: seconds(t2 - t1))
        measurement.plainUploadSeconds = seconds(t4 - t3)
        measurement.queryUploadSeconds = seconds(t5 - t4)
        measurement.screenshotCaseHashes = screenshotCaseHashes
        measurement.screenshotQueryHashes = screenshotQueryHashes
        measurement.screenshotCaseHash64 = screenshotCaseHash64
        return .success(measurement)
    }

    /// Evaluates `images` and builds the report.
    /// - Parameter progress: called after each picture with (done, total); from any task.
    public static func run(
        images: [CorpusImage], options: EvaluationOptions,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async -> EvaluationOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        var results = [Result<ImageMeasurement, EvaluationError>?](repeating: nil, count: images.count)
        await withTaskGroup(of: (Int, Result<ImageMeasurement, EvaluationError>).self) { group in
            var next = 0, done = 0
            func submit() {
                let index = next
                next += 1
                let path = images[index].path
                group.addTask { (index, measure(path: path, options: options)) }
            }
            while next < images.count && next < options.jobs { submit() }
            while let (index, result) = await group.next() {
                results[index] = result
                done += 1
                progress?(done, images.count)
                if next < images.count { submit() }
            }
        }
        let measured = results.map { $0! }
        var report = summarize(images: images, measurements: measured, options: options)
        report.elapsedSeconds = Self.seconds(clock.now - start)
        return EvaluationOutcome(report: report, detailsCSV: details(images: images, measurements: measured, options: options))
    }

    /// One CSV row per picture and transform with the distance of the copy to its original for every
    /// signal: what an operator reads to see which pictures a setting misses. Names pictures by their
    /// corpus file name; holds no pixels.
    public static func details(images: [CorpusImage], measurements: [Result<ImageMeasurement, EvaluationError>], options: EvaluationOptions) -> String {
        let signals = MatchSignal.allCases
        var lines = ["file,scene_group,pdq_quality,transform," + signals.map(\.rawValue).joined(separator: ",")]
        for (image, result) in zip(images, measurements) {
            guard case .success(let m) = result else { continue }
            for (t, copy) in zip(options.transforms, m.copies) {
                let cells = signals.map { s in copy.map { String(s.distance($0, m.bank)) } ?? "" }
                lines.append([csvField(image.file), csvField(image.sceneGroup), String(m.bank.original.quality), t.id].joined(separator: ",") + "," + cells.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Computes the statistics from measurements (one per picture, in `images` order).
    public static func summarize(images: [CorpusImage], measurements: [Result<ImageMeasurement, EvaluationError>], options: EvaluationOptions) -> RobustnessReport {
        var skipped: [RobustnessReport.SkippedImage] = []
        var kept: [(image: CorpusImage, measurement: ImageMeasurement)] = []
        for (image, result) in zip(images, measurements) {
            switch result {
            case .failure(let error): skipped.append(.init(file: image.file, reason: error.code))
            case .success(let m):
                if m.bank.original.quality < options.minimumQuality {
                    skipped.append(.init(file: image.file, reason: "low_quality"))
                } else {
                    kept.append((image, m))
                }
            }
        }
        var warnings: [String] = []
        var clustering: RobustnessReport.Clustering?
        if options.clusterNearDuplicates {
            let clusters = NearDuplicateClusters.groups(kept.map(\.measurement.bank.original))
            for i in kept.indices { kept[i].image.sceneGroup = "cluster:" + kept[clusters[i]].image.file }
            var sizes: [Int: Int] = [:]
            for c in clusters { sizes[c, default: 0] += 1 }
            let multi = sizes.values.filter { $0 > 1 }
            clustering = .init(method: NearDuplicateClusters.method, clusters: multi.count, picturesInClusters: multi.reduce(0, +))
            warnings.append("There is no MANIFEST.tsv: pictures were grouped into scenes automatically (\(NearDuplicateClusters.method)); "
                + "\(multi.reduce(0, +)) pictures fell into \(multi.count) groups of near-duplicates and are not counted as different pictures. "
                + "Write a MANIFEST.tsv with a scene_group column to decide which pictures show the same scene.")
        }
        let transforms = options.transforms
        var failed: [String: Int] = [:]
        for k in kept { for (t, c) in zip(transforms, k.measurement.copies) where c == nil { failed[t.id, default: 0] += 1 } }

        let signals = MatchSignal.allCases
        // Positives: each copy against its own original.
        var positives = signals.map { s in transforms.map { _ in DistanceHistogram(bits: s.bits) } }
        for k in kept {
            for (ti, copy) in k.measurement.copies.enumerated() {
                guard let copy else { continue }
                for (si, s) in signals.enumerated() { positives[si][ti].add(s.distance(copy, k.measurement.bank)) }
            }
        }
        // Negatives: each copy of one picture against the bank entry of a picture of another scene group.
        let sampler = PairSampler(groups: kept.map(\.image.sceneGroup), limit: options.maxDifferentImagePairs)
        let pairs = sampler.pairs()
        var negatives = signals.map { DistanceHistogram(bits: $0.bits) }
        var negativesOriginal = signals.map { DistanceHistogram(bits: $0.bits) }
        let originalIndex = transforms.firstIndex(of: .original)
        for (q, b) in pairs {
            let bank = kept[b].measurement.bank
            for (ti, copy) in kept[q].measurement.copies.enumerated() {
                guard let copy else { continue }
                for (si, s) in signals.enumerated() {
                    let d = s.distance(copy, bank)
                    negatives[si].add(d)
                    if ti == originalIndex { negativesOriginal[si].add(d) }
                }
            }
        }

        // Screenshots of different pictures in the same app chrome: each screenshot copy's query against the
        // hashes a case would store for another picture's screenshot in the same transform.
        var sameChrome: RobustnessReport.SameChrome?
        let screenshotIndices = transforms.indices.filter { transforms[$0].isScreenshot }
        if !screenshotIndices.isEmpty {
            var plain = DistanceHistogram(bits: 256), recommended = DistanceHistogram(bits: 256)
            var close: [RobustnessReport.SameChromePair] = []
            var phashNear = 0, dhashNear = 0, past64Gate = 0
            let limit = MatchSignal.pdqRecommended.defaultDistance
            for (q, b) in pairs {
                for ti in screenshotIndices {
                    guard let copy = kept[q].measurement.copies[ti], let other = kept[b].measurement.copies[ti],
                          let stored = kept[b].measurement.screenshotCaseHashes[ti] else { continue }
                    plain.add(copy.plain.pdq.distance(to: other.plain.pdq))
                    // A query sends the whole screenshot's pHash and dHash; a case stores the ones the policy chooses.
                    let stored64 = kept[b].measurement.screenshotCaseHash64[ti] ?? [other.plain.phash, other.plain.dhash]
                    let near64 = (phash: copy.plain.phash.distance(to: stored64[0]) <= MatchSignal.phash.defaultDistance,
                                  dhash: copy.plain.dhash.distance(to: stored64[1]) <= MatchSignal.dhash.defaultDistance)
                    if near64.phash { phashNear += 1 }
                    if near64.dhash { dhashNear += 1 }
                    let sent = kept[q].measurement.screenshotQueryHashes[ti] ?? copy.sentKinded
                    var best = (distance: 256, sent: "", stored: "")
                    // As the service's index compares them: each sent hash reaching as its kind does.
                    for h in sent where best.distance > 0 {
                        let reach = MatchingPolicy.reach(ofSentKind: h.kind)
                        for (k, s) in stored.enumerated() {
                            let d = h.hash.distance(to: s.hash)
                            if d < best.distance && reach.counts(distance: d, storedAt: k) { best = (d, h.kind, s.kind) }
                        }
                    }
                    recommended.add(best.distance)
                    if (near64.phash || near64.dhash) && best.distance <= MatchingPolicy.pdqGateDistance { past64Gate += 1 }
                    if best.distance <= limit {
                        close.append(.init(transform: transforms[ti].id, query: kept[q].image.file, queryKind: best.sent,
                                           stored: kept[b].image.file, storedKind: best.stored, distance: best.distance))
                    }
                }
            }
            sameChrome = .init(transforms: screenshotIndices.map { transforms[$0].id }, comparisons: recommended.total,
                               smallestPlainPDQ: plain.smallest, smallestRecommended: recommended.smallest,
                               countAtDefault: recommended.countAtOrBelow(limit),
                               phashCountAtDefault: phashNear, dhashCountAtDefault: dhashNear, phashDHashPastGate: past64Gate,
                               pairsAtDefault: close.sorted { ($0.distance, $0.query, $0.stored) < ($1.distance, $1.query, $1.stored) })
        }
        // What the recommended policy costs, measured: hashes stored per picture and sent per copy.
        let storedPerPicture = kept.isEmpty ? 0 : Double(kept.reduce(0) { $0 + $1.measurement.bank.storedPDQ.count }) / Double(kept.count)
        var sentTotal = 0, sentCopies = 0
        for k in kept { for c in k.measurement.copies { if let c { sentTotal += c.sentPDQ.count; sentCopies += 1 } } }
        let sentPerCopy = sentCopies == 0 ? 0 : Double(sentTotal) / Double(sentCopies)
        var sentPlain = 0, plainCopies = 0
        if let originalIndex {
            for k in kept { if let c = k.measurement.copies[originalIndex] { sentPlain += c.sentPDQ.count; plainCopies += 1 } }
        }

        var signalReports: [RobustnessReport.SignalReport] = []
        for (si, s) in signals.enumerated() {
            let smallestFalse = negatives[si].smallest
            // The default, lowered so that no two different pictures match; nil when some match even at 0.
            let lowered = min(s.defaultDistance, (smallestFalse ?? (s.bits + 1)) - 1)
            let recommendedDistance: Int? = lowered >= 0 ? lowered : nil
            let recommended = recommendedDistance ?? -1
            var all = DistanceHistogram(bits: s.bits)
            let rows = transforms.enumerated().map { ti, t in
                let h = positives[si][ti]
                all.merge(h)
                return RobustnessReport.TransformRecall(
                    transform: t.id, summary: t.summary, copies: h.total,
                    recallAtDefault: h.rateAtOrBelow(s.defaultDistance), recallAtRecommended: h.rateAtOrBelow(recommended),
                    distanceFor99: h.distance(forShare: 0.99), medianDistance: h.median, maxDistance: h.largest,
                    histogram: Array(h.counts.prefix((h.largest ?? -1) + 1)))
            }
            func falseMatches(_ h: DistanceHistogram) -> RobustnessReport.FalseMatches {
                .init(comparisons: h.total, smallestDistance: h.smallest, countAtDefault: h.countAtOrBelow(s.defaultDistance),
                      countAtRecommended: h.countAtOrBelow(recommended), countAtOrBelow: h.cumulative)
            }
            signalReports.append(.init(
                id: s.rawValue, summary: s.summary, bits: s.bits, defaultDistance: s.defaultDistance,
                recommendedDistance: recommendedDistance,
                bankHashesPerImage: s.bankHashesPerImage(cropCount: options.cropAugmentation.count),
                queryHashesPerCopy: s.queryHashesPerCopy, transforms: rows,
                falseMatches: falseMatches(negatives[si]), falseMatchesOriginals: falseMatches(negativesOriginal[si]),
                tradeOff: (0...s.bits).map { TradeOffPoint(distance: $0, positives: all, negatives: negatives[si]) },
                marginBits: smallestFalse.map { $0 - (recommendedDistance ?? s.defaultDistance) },
                measuredBankHashesPerImage: s == .pdqRecommended ? storedPerPicture : nil,
                measuredQueryHashesPerCopy: s == .pdqRecommended ? sentPerCopy : nil,
                measuredQueryHashesPerUpload: s == .pdqRecommended && plainCopies > 0 ? Double(sentPlain) / Double(plainCopies) : nil))
            if recommendedDistance == nil {
                warnings.append("\(s.rawValue): different pictures have identical hashes (\(negatives[si].countAtOrBelow(0)) pairs at distance 0), so no distance avoids false matches; use it only beside PDQ, never alone.")
            }
        }
        let n = Double(max(kept.count, 1))
        let timing = RobustnessReport.Timing(
            bankHashMilliseconds: kept.reduce(0) { $0 + $1.measurement.hashSeconds } / n * 1000,
            pixelDihedralMilliseconds: kept.reduce(0) { $0 + $1.measurement.pixelDihedralSeconds } / n * 1000,
            plainUploadMilliseconds: kept.reduce(0) { $0 + $1.measurement.plainUploadSeconds } / n * 1000,
            queryUploadMilliseconds: kept.reduce(0) { $0 + $1.measurement.queryUploadSeconds } / n * 1000)
        return RobustnessReport(
            timing: timing,
            corpus: .init(images: images.count, evaluated: kept.count, sceneGroups: Set(kept.map(\.image.sceneGroup)).count,
                          skipped: skipped, differentImagePairs: pairs.count, failedCopies: failed),
            settings: .init(mode: options.mode.rawValue, transforms: transforms.map(\.id), unletterboxThreshold: options.unletterboxThreshold,
                            cropAugmentation: options.cropAugmentation, jobs: options.jobs, minimumQuality: options.minimumQuality),
            elapsedSeconds: 0, signals: signalReports, sameChrome: sameChrome, clustering: clustering, warnings: warnings)
    }
}
