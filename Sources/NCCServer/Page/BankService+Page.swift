import Foundation
import HTTPTypes
import Hummingbird
import NCCWire
import NIOCore

extension BankService {
    /// Registers the person's page: `/` (index.html), each file of `Site/` under its own path, and
    /// `/page-settings.json` (the operator's settings and the languages the page speaks).
    ///
    /// Every answer carries `PageHeaders.security` (a strict Content-Security-Policy and friends). index.html
    /// and the settings are `no-cache`; an asset asked with the current `?v=` is cached for a year
    /// (`immutable`), since a new release changes `v`. When the page's files are not beside the binary, `/`
    /// answers 503 `page_unavailable` and the API is unaffected.
    func addPageRoutes(to router: Router<BankRequestContext>) {
        guard let root = PageSite.locate(), let site = try? PageSite.load(from: root) else {
            logger.warning("the person's page is not served: its files (\(PageSite.resourceBundleName)/Site) are not beside the nccmatch binary")
            router.get("/") { _, _ -> Response in
                throw APIError(.serviceUnavailable, "page_unavailable", "The page's files are not installed beside this server (\(PageSite.resourceBundleName)); the operator must copy them next to the nccmatch binary. The API under /v1 works.")
            }
            return
        }
        let settings = Self.settingsJSON(configuration.pageSettings, site: site)
        router.get("/") { request, _ in
            Self.pageResponse(site.files["index.html"]!, request: request, immutable: false)
        }
        router.get("page-settings.json") { request, _ in
            Self.pageResponse(settings, request: request, immutable: false)
        }
        for (path, file) in site.files where path != "index.html" {
            router.get(RouterPath(path)) { request, _ in
                Self.pageResponse(file, request: request, immutable: request.uri.queryParameters["v"].map(String.init) == site.version)
            }
        }
    }

    /// `page-settings.json`: the operator's settings plus the page's version and languages.
    static func settingsJSON(_ settings: PageSettings, site: PageSite) -> PageSite.File {
        var object: [String: Any] = [
            "bank_name": settings.bankName,
            "default_language": settings.defaultLanguage,
            "help_links": settings.helpLinks.map { link -> [String: Any] in
                var entry: [String: Any] = ["label": link.label, "url": link.url]
                if let description = link.description { entry["description"] = description }
                return entry
            },
            "languages": site.languages.map { ["code": $0.code, "name": $0.name] },
            "version": site.version,
            "max_hashes_per_request": WireLimits.maxItemsPerRequest,
        ]
        object["max_pictures"] = 200
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        let bytes = [UInt8](data)
        return PageSite.File(path: "page-settings.json", contentType: "application/json; charset=utf-8", bytes: bytes, etag: PageSite.shortDigest(bytes))
    }

    /// A page file with the security headers, its cache policy and its ETag (304 when the browser has it).
    static func pageResponse(_ file: PageSite.File, request: Request, immutable: Bool) -> Response {
        var headers = PageHeaders.security
        headers[.contentType] = file.contentType
        headers[.eTag] = file.etag
        headers[.cacheControl] = immutable ? "public, max-age=31536000, immutable" : "no-cache"
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == file.etag }) {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}

/// The headers every answer of the person's page carries.
enum PageHeaders {
    /// Nothing from other origins, no inline script or style, requests only to this server, the WebAssembly
    /// core allowed to compile, thumbnails from `blob:` URLs made on the device, no framing, no referrer.
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; img-src 'self' blob:; media-src blob:; style-src 'self'; worker-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static let security: HTTPFields = {
        var fields = HTTPFields()
        fields[HTTPField.Name("Content-Security-Policy")!] = contentSecurityPolicy
        fields[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        fields[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        fields[HTTPField.Name("X-Frame-Options")!] = "DENY"
        fields[HTTPField.Name("Cross-Origin-Opener-Policy")!] = "same-origin"
        fields[HTTPField.Name("Permissions-Policy")!] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        return fields
    }()
}
