import ArgumentParser
import Foundation
import NCCHashing
import NCCVideo
import NCCWire

/// One file given to `case submit` or `case add`, hashed on this computer, ready to be sent.
struct CasePicture {
    /// The path as given or found, escaped for a terminal.
    var path: String
    /// The file's name, escaped for a terminal.
    var name: String
    /// The hashes to send, without their picture number.
    var hashes: [CaseHash]
    /// The kinds of hash, in words, for the summary.
    var kinds: [String]
    /// Why only exact copies (MD5, SHA-256) can be matched for this file, when that is so.
    var exactOnlyReason: String?
    /// Whether that is because of the file's format (a copy saved as JPEG or PNG would do better).
    var unsupportedFormat = false
    /// Whether the file is a video (sent as one `vpdq` item holding its frames).
    var isVideo = false
}

/// A file that is not sent at all, with why.
struct SkippedFile {
    /// The path, escaped for a terminal.
    var path: String
    /// Why, in plain words.
    var reason: String
}

/// Turns the paths given to `case submit` and `case add` into the hashes to send, and asks the person before
/// anything is sent when some file will only be protected against exact copies or could not be read at all.
enum CasePictures {
    /// Which hashes a case stores (`MatchingPolicy`: the same policy `match` and `eval` use).
    static let policy = MatchingPolicy.standard

    /// The hashing a case uses: every companion hash the policy stores.
    static let options = policy.caseHashingOptions()

    /// PDQ quality below which a picture cannot be matched reliably by its look (the bank refuses its PDQ).
    static let minimumQuality = policy.minimumQuality

    /// Hashes every file under `paths` (folders are walked as `nccmatch hash` walks them).
    ///
    /// A path that does not exist stops the command before anything is hashed or sent. Files that cannot be
    /// read, are not regular files, have names that are not UTF-8 or are empty are returned as skipped.
    static func hash(_ paths: [String], command: String) throws -> (pictures: [CasePicture], skipped: [SkippedFile]) {
        var inputs: [HashInput] = []
        for path in paths {
            var info = stat()
            guard stat(path, &info) == 0 || lstat(path, &info) == 0 else {
                FileHandle.standardError.write(Data("nccmatch \(command): \(TerminalText.escaped(path)) was not found; check the path. Nothing was sent.\n".utf8))
                throw ExitCode(1)
            }
            inputs += path == "-" ? [.file(path)] : InputFiles.expand([path])
        }
        var pictures: [CasePicture] = []
        var skipped: [SkippedFile] = []
        for input in inputs {
            let path: String
            switch input {
            case .skipped(let shown, _, let message):
                skipped.append(SkippedFile(path: shown, reason: message))
                continue
            case .standardInput:
                continue
            case .file(let p):
                path = p
            }
            let shown = TerminalText.escaped(path)
            let name = TerminalText.escaped((path as NSString).lastPathComponent)
            let result: FileHashResult
            do {
                result = try ImageHasher.hashFile(atPath: path, options: options)
            } catch {
                skipped.append(SkippedFile(path: shown, reason: error.message))
                continue
            }
            var hashes: [CaseHash] = []
            var kinds: [String] = []
            var exactOnly: String?
            var unsupported = false
            switch result.image {
            case .success(let h) where h.pdq.quality < minimumQuality:
                // Too plain to be matched by its look: the bank refuses its PDQ, and pHash and dHash of a nearly
                // flat picture would match other flat pictures. Only its exact digests can protect it.
                exactOnly = "This picture has too little detail (quality \(h.pdq.quality) of 100; at least \(minimumQuality) is needed) to be recognised by its look. This is not a problem with what you did; the picture is simply very plain."
            case .success(let h):
                // The picture's PDQ and its companions (rotated and mirrored, unletterboxed, caption-masked,
                // low-passed, centre-cropped), as the matching policy stores them: all with the picture's own
                // quality, so the bank admits them when it admits the picture.
                let stored = policy.storedPDQ(PDQCompanions(h))
                for hash in stored {
                    hashes.append(CaseHash(algorithm: .pdq, value: hash.hex, quality: h.pdq.quality))
                }
                let hash64 = policy.storedHash64(h)
                hashes.append(CaseHash(algorithm: .phash, value: hash64.phash.hex))
                hashes.append(CaseHash(algorithm: .dhash, value: hash64.dhash.hex))
                kinds = ["PDQ, plus \(stored.count - 1) more so that turned, mirrored, re-framed, captioned, blurred or platform-cropped copies match too", "pHash", "dHash"]
            case .failure(let error) where error.code == .unsupportedFormat && VideoCase.looksLikeVideo(path):
                // A video: its frames' vPDQ, hashed here as `nccmatch hash` does; nothing of the video is sent.
                switch VideoCase.hashes(path: path) {
                case .success(let video):
                    hashes.append(video.hash)
                    kinds = [video.kind]
                    exactOnly = video.exactOnlyReason
                case .failure(let failure):
                    exactOnly = failure.message
                }
                hashes.append(CaseHash(algorithm: .md5, value: result.digests.md5))
                hashes.append(CaseHash(algorithm: .sha256, value: result.digests.sha256))
                kinds += ["MD5", "SHA-256"]
                pictures.append(CasePicture(path: shown, name: name, hashes: hashes, kinds: kinds, exactOnlyReason: exactOnly, isVideo: true))
                continue
            case .failure(let error):
                if error.code == .emptyFile {
                    // The digests of an empty file would match every empty upload: nothing to protect, nothing sent.
                    skipped.append(SkippedFile(path: shown, reason: error.message))
                    continue
                }
                exactOnly = error.message
                unsupported = error.code == .unsupportedFormat
            }
            hashes.append(CaseHash(algorithm: .md5, value: result.digests.md5))
            hashes.append(CaseHash(algorithm: .sha256, value: result.digests.sha256))
            kinds += ["MD5", "SHA-256"]
            pictures.append(CasePicture(path: shown, name: name, hashes: hashes, kinds: kinds, exactOnlyReason: exactOnly, unsupportedFormat: unsupported))
        }
        return (pictures, skipped)
    }

    /// Tells the person, before anything is sent, which files will be protected against exact copies only
    /// and which were not read, and asks whether to go on.
    ///
    /// - Parameters:
    ///   - exactOnlyOK: `--exact-only-ok`: go on without asking for files that only exact copies can match.
    /// - Throws: `ExitCode(1)` when nothing can be sent, when the person answers no, or when an answer is
    ///   needed and there is no terminal to ask at.
    static func review(_ pictures: [CasePicture], skipped: [SkippedFile], exactOnlyOK: Bool, command: String) throws {
        let exactOnly = pictures.filter { $0.exactOnlyReason != nil }
        var text = ""
        if !skipped.isEmpty {
            text += "\(skipped.count == 1 ? "This file was" : "These files were") not read, so nothing of \(skipped.count == 1 ? "it" : "them") will be sent:\n"
            for file in skipped { text += "  \(file.path): \(file.reason)\n" }
            text += "\n"
        }
        if !exactOnly.isEmpty {
            text += "For \(exactOnly.count == 1 ? "this file" : "these files"), only exact copies can be found:\n"
            for picture in exactOnly { text += "  \(picture.path): \(picture.exactOnlyReason ?? "")\n" }
            text += exactOnly.count == 1 ? "Only its MD5 and SHA-256 would be sent. " : "Only their MD5 and SHA-256 would be sent. "
            text += """
                These find a copy only if it is the very same file; a copy that \
                was re-saved, resized or cropped (which is what usually gets posted) would not be found.

                """
            if exactOnly.contains(where: \.unsupportedFormat) {
                text += "A picture in a format nccmatch cannot read can get full protection: save a copy of it as JPEG or PNG and add that copy.\n"
            }
            text += "\n"
        }
        if pictures.isEmpty {
            FileHandle.standardError.write(Data((text + "No file could be read, so nothing was sent. Your files stayed on this computer.\n").utf8))
            throw ExitCode(1)
        }
        guard !text.isEmpty else { return }
        FileHandle.standardError.write(Data(text.utf8))
        let needsAnswer = !exactOnly.isEmpty && !exactOnlyOK
        if TerminalPrompt.isInteractive && (needsAnswer || (!skipped.isEmpty && !exactOnlyOK)) {
            let question = exactOnly.isEmpty
                ? "Send the hashes of the other \(pictures.count == 1 ? "file" : "\(pictures.count) files") now?"
                : "Send the hashes anyway, with protection against exact copies only for \(exactOnly.count == 1 ? "that file" : "those \(exactOnly.count) files")?"
            if !TerminalPrompt.confirm(question) {
                FileHandle.standardError.write(Data("Nothing was sent. Your files stayed on this computer; you can run the command again at any time.\n".utf8))
                throw ExitCode(1)
            }
            return
        }
        if needsAnswer {
            FileHandle.standardError.write(Data("""
                Nothing was sent, because this needs your answer and there is no terminal to ask it at. To send them \
                anyway, with protection against exact copies only for the files above, run the command again with \
                --exact-only-ok.

                """.utf8))
            throw ExitCode(1)
        }
    }
}
