import Crypto
import Foundation
import NCCHashCore
import NCCHashing

/// `nccmatch admin export` / `import`: the bank's active cases as JSON lines, for moving a bank between
/// SQLite and PostgreSQL (or between servers).
///
/// The file: a header line `{"format":"nccmatch-bank","version":1}`, one line per case
/// (`{"case":ID,"secret_verifier":{...},"images":[{"image":N,"kind":"video","hashes":[{"algorithm":..,"value":hex,"quality":..}]}]}`;
/// `kind` is written for videos only, whose PDQ hashes are their frames, and read as `picture` when absent),
/// and a trailer `{"checksum":"sha256:<hex of every byte before the trailer>","cases":N,"hashes":M}`.
///
/// It holds no case secret and no API key: only each case's slow, salted secret *verifier* (so its owner can
/// still check and withdraw it after the move; it cannot be turned back into the secret). Platforms, match
/// references, feedback and the audit log stay behind (platforms get new keys on the new bank).
///
/// - Warning: the file holds bank hash values, as sensitive as the bank itself: keep it owner-readable and
///   delete it once imported.
public enum BankTransfer {
    /// The header's format name.
    public static let format = "nccmatch-bank"

    /// Counts of an export or an import.
    public struct Summary: Sendable, Hashable {
        /// Cases written or imported.
        public var cases: Int
        /// Hashes written or imported.
        public var hashes: Int
        /// Cases skipped on import because the bank already has a case with that id.
        public var skipped: Int
    }

    struct Header: Codable { var format: String; var version: Int }
    struct Trailer: Codable { var checksum: String; var cases: Int; var hashes: Int }
    struct Verifier: Codable { var scheme: String; var rounds: Int; var salt: String; var hash: String }
    struct HashLine: Codable { var algorithm: String; var value: String; var quality: Int? }
    struct ImageLine: Codable { var image: Int; var kind: BankItemKind?; var hashes: [HashLine] }
    struct CaseLine: Codable {
        var `case`: String
        var secretVerifier: Verifier
        var images: [ImageLine]
        enum CodingKeys: String, CodingKey { case `case`, secretVerifier = "secret_verifier", images }
    }

    /// The bytes of lowercase or uppercase hex text; nil for anything else.
    static func bytes(_ text: String) -> [UInt8]? { try? HexCodec.decodeBytes(utf8: text.utf8).get() }

    /// Writes every active case of `store` to `path` (mode 0600, replaced if present).
    public static func export(from store: any BankStore, to path: String) async throws -> Summary {
        let cases = try await store.exportCases()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var body = Data()
        var hashes = 0
        body.append(try encoder.encode(Header(format: format, version: 1)))
        body.append(0x0A)
        for entry in cases {
            var images: [Int: [HashLine]] = [:]
            var videos = Set<Int>()
            for hash in entry.hashes {
                images[hash.imageKey, default: []].append(HashLine(algorithm: hash.algorithm.rawValue, value: HexCodec.encode(bytes: hash.value), quality: hash.quality))
                if hash.kind == .video { videos.insert(hash.imageKey) }
            }
            hashes += entry.hashes.count
            let line = CaseLine(
                case: entry.id,
                secretVerifier: Verifier(scheme: entry.secret.scheme, rounds: entry.secret.rounds, salt: HexCodec.encode(bytes: entry.secret.salt), hash: HexCodec.encode(bytes: entry.secret.hash)),
                images: images.keys.sorted().map { ImageLine(image: $0, kind: videos.contains($0) ? .video : nil, hashes: images[$0]!) })
            body.append(try encoder.encode(line))
            body.append(0x0A)
        }
        let checksum = "sha256:" + HexCodec.encode(bytes: SHA256.hash(data: body))
        body.append(try encoder.encode(Trailer(checksum: checksum, cases: cases.count, hashes: hashes)))
        body.append(0x0A)
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw BankError(.exportFailed, "The export file \(path) cannot be created; check the folder and permissions.")
        }
        do {
            try body.write(to: URL(fileURLWithPath: path))
        } catch {
            throw BankError(.exportFailed, "The export file \(path) cannot be written.", underlying: error)
        }
        return Summary(cases: cases.count, hashes: hashes, skipped: 0)
    }

    /// Reads and checks an export (header, every line, checksum, counts) before anything is written.
    public static func read(path: String) throws -> [NewCase] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw BankError(.importUnreadable, "The file \(path) cannot be read.", underlying: error)
        }
        func invalid(_ why: String) -> BankError {
            BankError(.importInvalid, "\(path) is not a complete nccmatch bank export: \(why). Nothing was imported.")
        }
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: true)
        guard lines.count >= 2, let trailerLine = lines.popLast() else { throw invalid("it is empty or cut short") }
        let decoder = JSONDecoder()
        guard let header = try? decoder.decode(Header.self, from: Data(lines[0])), header.format == format else {
            throw invalid("the first line is not an nccmatch-bank header")
        }
        guard header.version == 1 else {
            throw BankError(.importTooNew, "\(path) is export version \(header.version); this nccmatch reads version 1. Nothing was imported.")
        }
        guard let trailer = try? decoder.decode(Trailer.self, from: Data(trailerLine)) else { throw invalid("the last line is not the checksum (the file is cut short)") }
        let body = data[data.startIndex..<trailerLine.startIndex]
        let checksum = "sha256:" + HexCodec.encode(bytes: SHA256.hash(data: body))
        guard checksum == trailer.checksum else { throw invalid("its checksum does not match its contents (the file was changed or damaged)") }
        var cases: [NewCase] = []
        var hashes = 0
        for (n, line) in lines.dropFirst().enumerated() {
            guard let entry = try? decoder.decode(CaseLine.self, from: Data(line)) else { throw invalid("line \(n + 2) is not a case") }
            guard let salt = bytes(entry.secretVerifier.salt), let hash = bytes(entry.secretVerifier.hash) else { throw invalid("line \(n + 2) has a bad secret verifier") }
            var newHashes: [NewHash] = []
            for image in entry.images {
                for h in image.hashes {
                    guard let algorithm = HashAlgorithm(rawValue: h.algorithm), let value = bytes(h.value), value.count == algorithm.bitCount / 8 else {
                        throw invalid("line \(n + 2) has a hash that is not valid")
                    }
                    newHashes.append(NewHash(algorithm: algorithm, value: value, quality: h.quality, imageKey: image.image, kind: image.kind ?? .picture))
                }
            }
            hashes += newHashes.count
            cases.append(NewCase(id: entry.case, secret: StoredSecret(scheme: entry.secretVerifier.scheme, rounds: entry.secretVerifier.rounds, salt: salt, hash: hash), hashes: newHashes))
        }
        guard cases.count == trailer.cases, hashes == trailer.hashes else { throw invalid("its counts do not match the trailer") }
        return cases
    }

    /// Hashes per `importCases` call: a store may commit them in one transaction.
    static let importBatchHashes = 50_000

    /// Imports a checked export into `store`, several cases per call of `importCases` (about 50,000 hashes;
    /// never part of a case), so one transaction can hold many cases; cases whose id the bank already has are
    /// skipped (so an interrupted import can simply be run again). `progress` gets the cases done.
    public static func importBank(from path: String, into store: any BankStore, progress: @Sendable (Int) -> Void = { _ in }) async throws -> Summary {
        let cases = try read(path: path)
        var summary = Summary(cases: 0, hashes: 0, skipped: 0)
        var start = 0
        while start < cases.count {
            var end = start, hashes = 0
            while end < cases.count, end == start || hashes + cases[end].hashes.count <= importBatchHashes, end - start < 1000 {
                hashes += cases[end].hashes.count
                end += 1
            }
            let batch = Array(cases[start..<end])
            let skipped = try await store.importCases(batch)
            for entry in batch {
                if skipped.contains(entry.id) {
                    summary.skipped += 1
                } else {
                    summary.cases += 1
                    summary.hashes += entry.hashes.count
                }
            }
            if end / 1000 > start / 1000 { progress(end) }
            start = end
        }
        try await store.appendAudit(actor: "operator", action: "bank_imported", caseID: nil, matchRef: nil,
                                    detail: "\(summary.cases) cases, \(summary.hashes) hashes, \(summary.skipped) already present")
        return summary
    }
}
