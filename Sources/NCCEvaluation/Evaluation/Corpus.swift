import Foundation
import NCCHashing

/// Why an evaluation or one of its transforms could not run: a stable code and an actionable message.
public struct EvaluationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable machine-readable code, e.g. `images_not_found`, `manifest_invalid`, `no_images`,
    /// `report_not_written`, and for transforms `unknown_transform`, `encode_failed`, `decode_failed`.
    public let code: String
    /// What went wrong and what to do; names files the user gave, never pixel data.
    public let message: String

    /// Makes an error.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

/// One picture of an evaluation corpus.
public struct CorpusImage: Sendable, Hashable {
    /// Name as listed (relative to the corpus folder), used in messages and the report's skip list.
    public var file: String
    /// Path to read it from.
    public var path: String
    /// Scene group: pictures sharing one are near-duplicates and never counted as different images.
    public var sceneGroup: String

    /// Makes an entry.
    public init(file: String, path: String, sceneGroup: String) {
        self.file = file
        self.path = path
        self.sceneGroup = sceneGroup
    }
}

/// Finds the pictures of a corpus folder and their scene groups.
public enum Corpus {
    /// Lists the pictures of `directory`.
    ///
    /// With a `MANIFEST.tsv` (tab-separated, a header row naming at least a `file` column and optionally
    /// `scene_group`), its rows are the pictures; each file is looked up in the folder, then in its
    /// `images/` subfolder. Without one, every regular non-hidden file under the folder is taken (files
    /// that are not JPEG or PNG are skipped at decoding time), each in its own scene group.
    /// - Throws: `EvaluationError` `images_not_found`, `manifest_invalid` or `no_images`.
    public static func load(directory: String) throws(EvaluationError) -> [CorpusImage] {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EvaluationError(code: "images_not_found", message: "The folder \(directory) does not exist or is not a folder. Give --images the folder that holds the pictures.")
        }
        let root = URL(fileURLWithPath: directory, isDirectory: true)
        let manifest = root.appendingPathComponent("MANIFEST.tsv")
        var images: [CorpusImage] = []
        if fm.fileExists(atPath: manifest.path) {
            guard let text = try? String(contentsOf: manifest, encoding: .utf8) else {
                throw EvaluationError(code: "manifest_invalid", message: "MANIFEST.tsv in \(directory) could not be read as UTF-8 text.")
            }
            let lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
            guard let header = lines.first?.split(separator: "\t", omittingEmptySubsequences: false).map(String.init),
                  let fileColumn = header.firstIndex(of: "file") else {
                throw EvaluationError(code: "manifest_invalid", message: "MANIFEST.tsv in \(directory) needs a header row with a \"file\" column (and optionally \"scene_group\"), separated by tabs.")
            }
            let groupColumn = header.firstIndex(of: "scene_group")
            for (number, line) in lines.dropFirst().enumerated() {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                guard fields.count > fileColumn, !fields[fileColumn].isEmpty else {
                    throw EvaluationError(code: "manifest_invalid", message: "Row \(number + 2) of MANIFEST.tsv in \(directory) has no file name.")
                }
                let file = fields[fileColumn]
                var group = groupColumn.flatMap { fields.count > $0 ? fields[$0] : nil } ?? ""
                if group.isEmpty { group = "file:" + file }
                let direct = root.appendingPathComponent(file).path
                let nested = root.appendingPathComponent("images").appendingPathComponent(file).path
                let path = fm.fileExists(atPath: direct) ? direct : nested
                images.append(CorpusImage(file: file, path: path, sceneGroup: group))
            }
        } else {
            guard let walker = fm.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) else {
                throw EvaluationError(code: "images_not_found", message: "The folder \(directory) could not be listed.")
            }
            let prefix = root.standardizedFileURL.path
            for case let url as URL in walker {
                guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
                var name = url.standardizedFileURL.path
                if name.hasPrefix(prefix) { name = String(name.dropFirst(prefix.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/")) }
                images.append(CorpusImage(file: name, path: url.path, sceneGroup: "file:" + name))
            }
            images.sort { $0.file < $1.file }
        }
        guard !images.isEmpty else {
            throw EvaluationError(code: "no_images", message: "No pictures were found in \(directory).")
        }
        return images
    }

    /// Reads a whole file into wiped-on-release memory (file bytes of a picture must not linger either).
    static func read(path: String) -> PixelBuffer? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size >= 0, info.st_size < 1 << 31 else { return nil }
        let size = Int(info.st_size)
        let buffer = PixelBuffer(count: size)
        let ok = buffer.withUnsafeMutableBytes { raw -> Bool in
            var done = 0
            while done < size {
                let n = Foundation.read(fd, raw.baseAddress! + done, size - done)
                if n <= 0 { return false }
                done += n
            }
            return true
        }
        return ok ? buffer : nil
    }
}
