import Foundation
import NCCHashing

/// The `hash` command's output formats.
enum HashOutputFormat: String, Sendable, CaseIterable {
    case text, jsonl, csv
    /// Meta's vPDQ text form (`frame,quality,pdq,timestamp` lines) for each video; other files are reported on stderr.
    case vpdq
}

extension HashRecord {
    /// Column names of the `csv` format, in order. The companion columns come after `error_message`, so that
    /// parsers of the first 13 columns keep working; they are empty when not computed. The last, `pdq_center_crops`,
    /// holds space-separated `aspect/pdq/quality` triples (`4:5/9f3a…/87`).
    static let csvHeader = "path,md5,sha256,pdq,pdq_quality,pdq_dihedral,phash,dhash,width,height,format,error_code,error_message,"
        + "pdq_pixel_dihedral,unletterboxed_pdq,unletterboxed_pdq_quality,unletterboxed_pdq_dihedral,unletterboxed_phash,unletterboxed_dhash,"
        + "unletterboxed_width,unletterboxed_height,pdq_caption_masked_top,pdq_caption_masked_top_quality,"
        + "pdq_caption_masked_bottom,pdq_caption_masked_bottom_quality,pdq_low_passed,pdq_low_passed_quality,pdq_center_crops"

    /// One JSON object: the documented contract other tools parse.
    func jsonLine() -> String {
        var json = JSONObjectWriter()
        json.string("path", path)
        if let digests {
            json.string("md5", digests.md5)
            json.string("sha256", digests.sha256)
        }
        if let video { return videoJSON(video, into: json) }
        switch outcome {
        case .success(let hashes):
            json.string("pdq", hashes.pdq.hash.hex)
            json.int("pdq_quality", hashes.pdq.quality)
            json.strings("pdq_dihedral", hashes.pdq.dihedral.map(\.hex))
            json.string("phash", hashes.phash.hex)
            json.string("dhash", hashes.dhash.hex)
            json.int("width", hashes.width)
            json.int("height", hashes.height)
            json.string("format", hashes.format.rawValue)
            if !hashes.pdqPixelDihedral.isEmpty {
                json.strings("pdq_pixel_dihedral", hashes.pdqPixelDihedral.map(\.hex))
            }
            if let stripped = hashes.unletterboxed {
                var inner = JSONObjectWriter()
                inner.string("pdq", stripped.pdq.hash.hex)
                inner.int("pdq_quality", stripped.pdq.quality)
                inner.strings("pdq_dihedral", stripped.pdq.dihedral.map(\.hex))
                inner.string("phash", stripped.phash.hex)
                inner.string("dhash", stripped.dhash.hex)
                inner.int("width", stripped.width)
                inner.int("height", stripped.height)
                json.raw("unletterboxed", inner.finished())
            }
            if let masked = hashes.captionMasked {
                var inner = JSONObjectWriter()
                inner.string("top", masked.top.hash.hex)
                inner.int("top_quality", masked.top.quality)
                inner.string("bottom", masked.bottom.hash.hex)
                inner.int("bottom_quality", masked.bottom.quality)
                json.raw("pdq_caption_masked", inner.finished())
            }
            if let lowPassed = hashes.lowPassed {
                json.string("pdq_low_passed", lowPassed.hash.hex)
                json.int("pdq_low_passed_quality", lowPassed.quality)
            }
            if !hashes.centerCrops.isEmpty {
                let crops = hashes.centerCrops.map { crop in
                    var inner = JSONObjectWriter()
                    inner.string("aspect", crop.aspect.description)
                    inner.string("pdq", crop.pdq.hash.hex)
                    inner.int("quality", crop.pdq.quality)
                    return inner.finished()
                }
                json.raw("pdq_center_crops", "[" + crops.joined(separator: ",") + "]")
            }
            if !hashes.straightened.isEmpty {
                let turned = hashes.straightened.map { straightened in
                    var inner = JSONObjectWriter()
                    inner.int("degrees", straightened.degrees)
                    inner.string("pdq", straightened.pdq.hash.hex)
                    inner.int("quality", straightened.pdq.quality)
                    return inner.finished()
                }
                json.raw("pdq_straightened", "[" + turned.joined(separator: ",") + "]")
            }
            if let corner = hashes.cornerMasked {
                json.string("pdq_corner_masked", corner.hash.hex)
                json.int("pdq_corner_masked_quality", corner.quality)
            }
            if let region = hashes.photoRegion {
                json.string("pdq_photo_region", region.hash.hex)
                if hashes.photoRegionInChrome { json.raw("pdq_photo_region_in_chrome", "true") }
                if let corner = hashes.photoRegionCornerMasked { json.string("pdq_photo_region_corner_masked", corner.hash.hex) }
            }
            if !hashes.collageTiles.isEmpty { json.strings("pdq_collage_tiles", hashes.collageTiles.map(\.hash.hex)) }
            if let animation { animationJSON(animation, into: &json) }
        case .failure(let error):
            var inner = JSONObjectWriter()
            inner.string("code", error.code)
            inner.string("message", error.message)
            json.raw("error", inner.finished())
        }
        return json.finished()
    }

    /// One CSV row matching `csvHeader`; lists of hashes (dihedral variants) are separated by spaces. Fields
    /// are quoted as RFC 4180 says (a field holding a comma, a quote, CR or LF is put in quotes, its quotes
    /// doubled), so a file name cannot add or shift columns.
    func csvLine() -> String {
        var fields = [path, digests?.md5 ?? "", digests?.sha256 ?? ""]
        if let video { return videoCSVFields(video, after: fields).map(Self.csvField).joined(separator: ",") }
        switch outcome {
        case .success(let hashes):
            fields += [
                hashes.pdq.hash.hex, String(hashes.pdq.quality), hashes.pdq.dihedral.map(\.hex).joined(separator: " "),
                hashes.phash.hex, hashes.dhash.hex, String(hashes.width), String(hashes.height), hashes.format.rawValue, "", "",
                hashes.pdqPixelDihedral.map(\.hex).joined(separator: " "),
            ]
            if let stripped = hashes.unletterboxed {
                fields += [
                    stripped.pdq.hash.hex, String(stripped.pdq.quality), stripped.pdq.dihedral.map(\.hex).joined(separator: " "),
                    stripped.phash.hex, stripped.dhash.hex, String(stripped.width), String(stripped.height),
                ]
            } else {
                fields += Array(repeating: "", count: 7)
            }
            if let masked = hashes.captionMasked {
                fields += [masked.top.hash.hex, String(masked.top.quality), masked.bottom.hash.hex, String(masked.bottom.quality)]
            } else {
                fields += Array(repeating: "", count: 4)
            }
            fields += hashes.lowPassed.map { [$0.hash.hex, String($0.quality)] } ?? ["", ""]
            // Space-separated "aspect/hash/quality" triples, e.g. "4:5/9f3a…/87".
            fields.append(hashes.centerCrops.map { "\($0.aspect)/\($0.pdq.hash.hex)/\($0.pdq.quality)" }.joined(separator: " "))
        case .failure(let error):
            fields += ["", "", "", "", "", "", "", "", error.code, error.message] + Array(repeating: "", count: 15)
        }
        return fields.map(Self.csvField).joined(separator: ",")
    }

    /// One readable line for a person at a terminal.
    func textLine() -> String {
        if let video { return videoTextLine(video) }
        switch outcome {
        case .success(let hashes):
            return "\(TerminalText.escaped(path))\n  pdq   \(hashes.pdq.hash.hex)  quality \(hashes.pdq.quality)\n  phash \(hashes.phash.hex)  dhash \(hashes.dhash.hex)  \(hashes.format.rawValue) \(hashes.width)x\(hashes.height)"
                + (animation.map(animationTextLine) ?? "")
        case .failure(let error):
            let digestLine = digests.map { "\n  md5   \($0.md5)" } ?? ""
            return "\(TerminalText.escaped(path))\n  not hashed: \(error.message) (\(error.code))\(digestLine)"
        }
    }

    static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
