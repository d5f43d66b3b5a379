import Foundation

/// The OpenAPI 3 document of the bank's HTTP API: the one copy in the repository,
/// `Sources/NCCWire/openapi.json`, shipped as this module's resource and served at `/v1/openapi.json`.
///
/// The document and the types of this module describe the same contract; the end-to-end tests hold them to
/// each other (schemathesis runs every operation of the served document against a real server).
public enum OpenAPIDocument {
    /// The resource's file name.
    public static let fileName = "openapi.json"

    /// Why the document could not be read.
    public struct Unavailable: Error, Sendable, CustomStringConvertible {
        /// Where it was looked for, in order.
        public var searched: [String]

        /// What is missing and how to fix it.
        public var description: String {
            "The API description (\(OpenAPIDocument.fileName), in the \(OpenAPIDocument.bundleName).resources folder built beside nccmatch) was not found; looked in \(searched.joined(separator: ", ")). Install that folder beside the nccmatch executable. The API itself works without it."
        }
    }

    /// The document's JSON bytes, read once from the resource folder beside the running executable.
    public static var json: Result<Data, Unavailable> { loaded }

    /// The name SwiftPM gives this module's resource bundle (`<package>_<module>`).
    static let bundleName = "nccmatch_NCCWire"

    private static let loaded: Result<Data, Unavailable> = {
        // SwiftPM's generated `Bundle.module` stops the process when its bundle is missing; a server must not,
        // so the same places are searched here: beside the executable (and beside the file a symlink to it
        // points at), as `.resources` (Linux) or `.bundle` (Darwin).
        var folders = [Bundle.main.bundleURL]
        if let executable = Bundle.main.executableURL {
            let real = executable.resolvingSymlinksInPath().deletingLastPathComponent()
            if real.standardizedFileURL != folders[0].standardizedFileURL { folders.append(real) }
        }
        var searched: [String] = []
        for folder in folders {
            for suffix in ["resources", "bundle"] {
                let url = folder.appendingPathComponent("\(bundleName).\(suffix)")
                searched.append(url.path)
                guard let bundle = Bundle(url: url), let file = bundle.url(forResource: "openapi", withExtension: "json"),
                      let data = try? Data(contentsOf: file) else { continue }
                return .success(data)
            }
        }
        return .failure(Unavailable(searched: searched))
    }()
}
