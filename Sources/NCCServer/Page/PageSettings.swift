import Foundation

/// What a bank's operator sets on the person's page without editing its files: the bank's name and where to
/// get help. Read from the JSON file given to `nccmatch serve --page-settings FILE`, and served to the page as
/// `GET /page-settings.json` (with the list of languages the page speaks).
///
/// ```json
/// {"bank_name": "Example Helpline hash bank",
///  "help_links": [{"label": "Example Helpline", "url": "https://help.example.org", "description": "Chat, 9-21 every day"}],
///  "default_language": "en"}
/// ```
public struct PageSettings: Codable, Sendable, Equatable {
    /// One place to get help, shown on the first screen and on the status page.
    public struct HelpLink: Codable, Sendable, Equatable {
        /// The name shown as the link's text (at most 120 characters).
        public var label: String
        /// An `https://` (or `tel:`) address; anything else is refused when the settings are read.
        public var url: String
        /// An optional line under the link (at most 300 characters), in the operator's language.
        public var description: String?

        /// Makes a link.
        public init(label: String, url: String, description: String? = nil) {
            self.label = label
            self.url = url
            self.description = description
        }
    }

    /// The bank's name as the page shows it ("Your pictures are protected by ..." is never said: only the name).
    public var bankName: String
    /// Where to get help, in the order shown (at most 12).
    public var helpLinks: [HelpLink]
    /// The language used when none of the browser's languages has a file (`en` unless set).
    public var defaultLanguage: String

    enum CodingKeys: String, CodingKey {
        case bankName = "bank_name"
        case helpLinks = "help_links"
        case defaultLanguage = "default_language"
    }

    /// Makes settings.
    public init(bankName: String, helpLinks: [HelpLink], defaultLanguage: String = "en") {
        self.bankName = bankName
        self.helpLinks = helpLinks
        self.defaultLanguage = defaultLanguage
    }

    /// What the page shows when the operator sets nothing: a neutral name and the two international services
    /// the project's advice points to. The page shows these two descriptions in its own language when they
    /// equal `help.default_stopncii` and `help.default_take_it_down` of `Site/i18n/en.json` (keep them equal).
    public static let defaults = PageSettings(
        bankName: "Hash bank",
        helpLinks: [
            HelpLink(label: "StopNCII.org", url: "https://stopncii.org",
                     description: "For adults whose intimate images are shared or threatened."),
            HelpLink(label: "Take It Down (NCMEC)", url: "https://takeitdown.ncmec.org",
                     description: "If you were under 18 in the pictures."),
        ])

    /// Reads and checks a settings file; fields left out keep their defaults.
    /// - Throws: `PageSettingsError` naming the file and what to fix (unreadable file, not JSON, unknown field,
    ///   a link that is not `https://` or `tel:`, text too long).
    public static func load(path: String) throws -> PageSettings {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PageSettingsError("page settings file \(path) could not be read (\(error.localizedDescription)); check the path given to --page-settings.")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw PageSettingsError("page settings file \(path) is not a JSON object; see docs/page.md for an example.")
        }
        let known: Set<String> = ["bank_name", "help_links", "default_language"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw PageSettingsError("page settings file \(path) has an unknown field \"\(unknown)\"; the fields are bank_name, help_links and default_language (docs/page.md).")
        }
        var settings = PageSettings.defaults
        if let value = object["bank_name"] {
            guard let name = value as? String, !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 120 else {
                throw PageSettingsError("page settings file \(path): bank_name must be a non-empty text of at most 120 characters.")
            }
            settings.bankName = name
        }
        if let value = object["default_language"] {
            guard let language = value as? String, language.count >= 2, language.count <= 12,
                  language.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-") }) else {
                throw PageSettingsError("page settings file \(path): default_language must be a language code such as \"en\" or \"pt-BR\".")
            }
            settings.defaultLanguage = language
        }
        if let value = object["help_links"] {
            guard let links = value as? [[String: Any]], links.count <= 12 else {
                throw PageSettingsError("page settings file \(path): help_links must be a list of at most 12 objects with label, url and optionally description.")
            }
            settings.helpLinks = try links.enumerated().map { index, link in
                let at = "help_links[\(index)]"
                if let unknown = link.keys.sorted().first(where: { !["label", "url", "description"].contains($0) }) {
                    throw PageSettingsError("page settings file \(path): \(at) has an unknown field \"\(unknown)\"; a link has label, url and description.")
                }
                guard let label = link["label"] as? String, !label.isEmpty, label.count <= 120 else {
                    throw PageSettingsError("page settings file \(path): \(at).label must be a non-empty text of at most 120 characters.")
                }
                guard let url = link["url"] as? String, url.count <= 500,
                      url.lowercased().hasPrefix("https://") || url.lowercased().hasPrefix("tel:") else {
                    throw PageSettingsError("page settings file \(path): \(at).url must start with https:// or tel: (the page never links to plain http).")
                }
                let description = link["description"]
                if description != nil, (description as? String)?.count ?? 301 > 300 {
                    throw PageSettingsError("page settings file \(path): \(at).description must be a text of at most 300 characters.")
                }
                return HelpLink(label: label, url: url, description: description as? String)
            }
        }
        return settings
    }
}

/// A page settings file that cannot be used; the message names the file and what to fix.
public struct PageSettingsError: Error, CustomStringConvertible {
    /// What is wrong and how to fix it.
    public var description: String
    init(_ description: String) { self.description = "page_settings_invalid: " + description }
}
