import Crypto
import Foundation

/// The person's page: the static files of `Site/` (a SwiftPM resource of this module), read once into memory.
///
/// Only the files found here are ever served, each under its own registered route, so no request path can
/// reach anything outside `Site/` (there is no path lookup to trick with `..`).
struct PageSite: Sendable {
    /// One served file.
    struct File: Sendable {
        /// The path under `Site/`, e.g. `i18n/en.json`.
        var path: String
        var contentType: String
        var bytes: [UInt8]
        /// A short digest of the bytes, the file's ETag.
        var etag: String
    }

    /// The files by path (index.html with its version placeholders filled in).
    var files: [String: File]
    /// One digest over every file: the `?v=` the page adds to each of its requests, so that an asset asked
    /// with the current version can be cached for a year and a new release is fetched at once.
    var version: String
    /// Language codes with a file in `i18n/`, and each language's own name (its `language_name` string).
    var languages: [(code: String, name: String)]

    /// The placeholder in `index.html` replaced by `version`.
    static let versionPlaceholder = "@SITE_VERSION@"

    /// The name of the resource folder SwiftPM writes beside the executable.
    static let resourceBundleName = "nccmatch_NCCServer.resources"

    /// Content types by file extension; a file of another kind is not served.
    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8", "json": "application/json; charset=utf-8", "wasm": "application/wasm",
        "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon", "txt": "text/plain; charset=utf-8",
    ]

    /// The `Site` folder: in the resource bundle beside the running executable (where `swift build` puts it,
    /// `.build/<config>/nccmatch_NCCServer.resources/Site`), or nil when it is not there.
    ///
    /// SwiftPM's `Bundle.module` would stop the process when the bundle is missing (a binary copied without
    /// its resources); the API must keep serving then, so the folder is looked up here instead.
    static func locate() -> URL? {
        var candidates: [URL] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        candidates.append(executable.deletingLastPathComponent())
        if let path = Bundle.main.executableURL?.resolvingSymlinksInPath() { candidates.append(path.deletingLastPathComponent()) }
        candidates.append(Bundle.main.bundleURL)
        for folder in candidates {
            let site = folder.appendingPathComponent(resourceBundleName).appendingPathComponent("Site")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: site.appendingPathComponent("index.html").path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return site
            }
        }
        return nil
    }

    /// Reads every file under `root` whose extension has a content type (dot files and other kinds are left
    /// out), and fills in the version.
    static func load(from root: URL) throws -> PageSite {
        var files: [String: File] = [:]
        var digest = SHA256()
        let rootPath = root.resolvingSymlinksInPath().path
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        var paths: [(String, URL)] = []
        while let url = enumerator?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let full = url.resolvingSymlinksInPath().path
            guard full.hasPrefix(rootPath + "/") else { continue }
            let relative = String(full.dropFirst(rootPath.count + 1))
            guard !relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }),
                  contentTypes[(relative as NSString).pathExtension.lowercased()] != nil else { continue }
            paths.append((relative, url))
        }
        for (relative, url) in paths.sorted(by: { $0.0 < $1.0 }) {
            let bytes = [UInt8](try Data(contentsOf: url))
            digest.update(data: Array(relative.utf8))
            digest.update(data: bytes)
            files[relative] = File(path: relative, contentType: contentTypes[(relative as NSString).pathExtension.lowercased()]!,
                                   bytes: bytes, etag: Self.shortDigest(bytes))
        }
        let version = digest.finalize().prefix(8).map { String(format: "%02x", $0) }.joined()
        if var index = files["index.html"] {
            index.bytes = Array(String(decoding: index.bytes, as: UTF8.self).replacingOccurrences(of: versionPlaceholder, with: version).utf8)
            index.etag = Self.shortDigest(index.bytes)
            files["index.html"] = index
        }
        var languages: [(code: String, name: String)] = []
        for (path, file) in files where path.hasPrefix("i18n/") && path.hasSuffix(".json") {
            let code = String(path.dropFirst(5).dropLast(5))
            let strings = (try? JSONSerialization.jsonObject(with: Data(file.bytes))) as? [String: Any]
            languages.append((code, strings?["language_name"] as? String ?? code))
        }
        return PageSite(files: files, version: version, languages: languages.sorted { $0.code < $1.code })
    }

    static func shortDigest(_ bytes: [UInt8]) -> String {
        "\"" + SHA256.hash(data: bytes).prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
    }
}
