import Foundation
import NCCClient
import NCCWire

/// What `case submit` and `case add` tell the person once the hashes are sent: what was sent for each
/// picture, what it protects against (never more than it does), what was left out, and what to do next.
struct CaseReport {
    var pictures: [CasePicture]
    var skipped: [SkippedFile]
    var outcome: CaseUpload.Outcome
    /// The number (0-based) of the first picture sent.
    var firstImage: Int
    var server: String

    /// Picture numbers as the person sees them (1-based), for pictures `k` of this upload.
    private func number(_ k: Int) -> Int { firstImage + k + 1 }

    /// Pictures for which changed copies can be found (a PDQ hash was taken).
    private var protected: [Int] { pictures.indices.filter { outcome.sent[$0] && outcome.perceptual[$0] } }
    /// Pictures sent for which only exact copies can be found.
    private var exactOnly: [Int] { pictures.indices.filter { outcome.sent[$0] && !outcome.perceptual[$0] } }
    /// Pictures not sent because the sending stopped part way.
    private var unsent: [Int] { pictures.indices.filter { !outcome.sent[$0] } }

    /// "1, 2 and 5".
    private func list(_ ks: [Int]) -> String {
        let numbers = ks.map { String(number($0)) }
        guard numbers.count > 1 else { return numbers.first ?? "" }
        return numbers.dropLast().joined(separator: ", ") + " and " + numbers.last!
    }

    /// The lines shared by submit and add: what was sent, what it protects, what was not sent.
    private func body() -> String {
        let videos = pictures.contains(where: \.isVideo)
        var text = videos
            ? "Your pictures and videos were hashed on this computer. Only these hashes were sent, never the pictures or videos:\n"
            : "Your pictures were hashed on this computer. Only these hashes were sent, never the pictures:\n"
        for k in pictures.indices where outcome.sent[k] {
            text += "  \(pictures[k].isVideo ? "video" : "picture") \(number(k)), \(pictures[k].name): \(pictures[k].kinds.joined(separator: ", "))\n"
        }
        text += "\nWhat this protects:\n"
        let protectedPictures = protected.filter { !pictures[$0].isVideo }, protectedVideos = protected.filter { pictures[$0].isVideo }
        if !protectedPictures.isEmpty {
            text += "  \(protectedPictures.count == 1 ? "Picture" : "Pictures") \(list(protectedPictures)): copies can be found even when they are re-saved, resized, turned, mirrored, re-framed, captioned or blurred.\n"
        }
        if !protectedVideos.isEmpty {
            text += "  \(protectedVideos.count == 1 ? "Video" : "Videos") \(list(protectedVideos)): copies can be found even when they are re-encoded, resized or cut shorter, as long as most of what they show comes from your video.\n"
        }
        for k in exactOnly {
            let refusals = outcome.rejected.filter { $0.picture == k && !$0.message.isEmpty }.map(\.message)
            let why = pictures[k].exactOnlyReason ?? refusals.first ?? "The bank could not take its picture hashes."
            text += "  \(pictures[k].isVideo ? "Video" : "Picture") \(number(k)), \(pictures[k].name): only exact copies of this very file can be found; a changed copy will not be. (\(why))\n"
        }
        if !skipped.isEmpty {
            text += "\nNot sent, so not protected:\n"
            for file in skipped { text += "  \(file.path): \(file.reason)\n" }
        }
        return text
    }

    /// What was not sent because the sending stopped part way, and how to finish.
    private func unsentText(caseID: String) -> String {
        guard let failure = outcome.failure, !unsent.isEmpty else { return "" }
        var text = "\nSending stopped before everything was sent, because the bank answered: \(TerminalText.escaped(failure.message))\n"
        text += "These files were not added yet, so they are not protected yet:\n"
        for k in unsent { text += "  \(pictures[k].path)\n" }
        text += "Your case is safe. Add them when the bank can be reached again with:\n"
        text += "  nccmatch case add --server \(server) \(caseID) FILES...\n"
        return text
    }

    /// The summary after `case submit`.
    func submitText() -> String {
        let caseID = outcome.caseID
        var text = body()
        let opening: String
        if protected.isEmpty {
            opening = "Your case is open, but for now it can only find exact copies of your files, not changed ones (see above)."
        } else if !exactOnly.isEmpty || !unsent.isEmpty || !skipped.isEmpty {
            opening = "Your case is open. It protects the pictures listed above as described there; not every file has the same protection."
        } else {
            opening = "Your case is open."
        }
        text += """

            \(opening)
              Case id: \(caseID)
              Secret:  \(outcome.secret ?? "?")

            Please keep the case id and the secret somewhere safe, for example in a password manager.
            They are shown only this once, and you need both to check on your case, add pictures or withdraw it.
            Nobody else is given them.

            """
        text += unsentText(caseID: caseID)
        text += "\nCheck on it any time with: nccmatch case status --server \(server) \(caseID)\n"
        text += "Add more pictures later with: nccmatch case add --server \(server) \(caseID) FILES...\n"
        return text
    }

    /// The summary after `case add`.
    func addText() -> String {
        var text = body()
        let added = pictures.indices.filter { outcome.sent[$0] }
        text += "\n\(added.count) picture\(added.count == 1 ? " was" : "s were") added to your case \(outcome.caseID).\n"
        text += unsentText(caseID: outcome.caseID)
        return text
    }

    /// The JSON object for scripts: the case, what the bank took and refused, each picture's protection
    /// (keys sorted).
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let object = JSONReport(
            caseID: outcome.caseID, secret: outcome.secret, accepted: outcome.accepted,
            rejected: outcome.rejected.map { .init(image: firstImage + $0.picture, code: $0.code, message: $0.message) },
            pictures: pictures.indices.map { k in
                .init(image: firstImage + k, path: pictures[k].path, sent: outcome.sent[k],
                      protection: !outcome.sent[k] ? "none" : outcome.perceptual[k] ? "perceptual" : "exact_only")
            },
            skipped: skipped.map { .init(path: $0.path, reason: $0.reason) },
            error: outcome.failure.map { ErrorResponse.Body(code: $0.code, message: $0.message) })
        return String(decoding: try encoder.encode(object), as: UTF8.self)
    }

    /// The shape of `--json` output (`secret` and `error` left out when there are none).
    private struct JSONReport: Encodable {
        struct Refused: Encodable { var image: Int; var code: String; var message: String }
        struct Picture: Encodable { var image: Int; var path: String; var sent: Bool; var protection: String }
        struct Skipped: Encodable { var path: String; var reason: String }

        var caseID: String
        var secret: String?
        var accepted: Int
        var rejected: [Refused]
        var pictures: [Picture]
        var skipped: [Skipped]
        var error: ErrorResponse.Body?

        enum CodingKeys: String, CodingKey {
            case caseID = "case_id"
            case secret, accepted, rejected, pictures, skipped, error
        }
    }
}
