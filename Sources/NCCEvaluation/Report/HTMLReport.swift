import Foundation

/// The self-contained HTML page of a robustness report: inline CSS and SVG only, no scripts, no
/// external fonts or images, readable offline in any browser.
public enum HTMLReport {
    /// Signals drawn in the recall chart (all signals appear in the tables).
    static let charted: [String] = ["pdq", "pdq-dihedral", "pdq-recommended", "phash", "dhash"]
    static let palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#bab0ac", "#ff9da7"]

    /// Renders the page.
    public static func render(_ report: RobustnessReport) -> String {
        var html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>nccmatch matching robustness</title>
        <style>
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222;line-height:1.45}
        h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ddd}
        table{border-collapse:collapse;font-size:.82rem;margin:.6rem 0}
        th,td{border:1px solid #ddd;padding:.25rem .45rem;text-align:right}th{background:#f4f4f4}
        td.l,th.l{text-align:left}.small{font-size:.75rem;color:#555}
        .legend span{display:inline-block;margin-right:1.2rem;font-size:.85rem}
        .legend i{display:inline-block;width:.9rem;height:.9rem;margin-right:.3rem;vertical-align:-2px}
        svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
        </style></head><body>
        <h1>nccmatch matching robustness</h1>

        """
        let c = report.corpus, s = report.settings
        html += "<p>\(c.evaluated) of \(c.images) pictures evaluated (\(c.sceneGroups) scene groups; \(c.skipped.count) left out: "
        let reasons = Dictionary(grouping: c.skipped, by: \.reason).map { "\($0.value.count) \(esc($0.key))" }.sorted()
        html += (reasons.isEmpty ? "none" : reasons.joined(separator: ", ")) + "), "
        html += "\(s.transforms.count) transforms made in memory, \(c.differentImagePairs) ordered pairs of different pictures compared for false matches. "
        html += "Mode <code>\(esc(s.mode))</code>, unletterbox tolerance \(s.unletterboxThreshold), crop augmentation \(s.cropAugmentation.map { String(format: "%.1f%%", $0 * 100) }.joined(separator: " and ")) per side, \(s.jobs) jobs, \(String(format: "%.0f", report.elapsedSeconds)) s.</p>\n"
        html += "<p class=small>A copy is matched when the distance between its hashes and its original's is at most the distance shown. False matches: every copy of a picture against the bank entry of every picture of another scene group. Pictures whose PDQ quality is under \(s.minimumQuality) are left out (the bank refuses quality under 50).</p>\n"

        html += "<h2>Recommended distances</h2>\n"
        html += "<table><tr><th class=l>signal</th><th>default</th><th>recommended</th><th>closest different pictures</th><th>false matches at recommended</th><th>comparisons</th><th>bank hashes per picture</th><th>hashes per query</th><th class=l>what it is</th></tr>\n"
        for sig in report.signals {
            let f = sig.falseMatches
            html += "<tr><td class=l><b>\(esc(sig.id))</b></td><td>\(sig.defaultDistance)</td><td>\(sig.recommendedDistance.map(String.init) ?? "none")</td><td>\(f.smallestDistance.map(String.init) ?? "-")</td>"
            html += "<td>\(sig.recommendedDistance == nil ? "-" : String(f.countAtRecommended))</td><td>\(f.comparisons)</td><td>\(sig.bankHashesPerImage)</td><td>\(sig.queryHashesPerCopy)</td><td class=l>\(esc(sig.summary))</td></tr>\n"
        }
        html += "</table>\n"

        html += "<p class=small>Hashing one original for the bank took \(f(report.timing.bankHashMilliseconds)) ms on average; the 8 rotated/mirrored pixel copies of <code>pdq-dihedral-bank-pixels</code> added \(f(report.timing.pixelDihedralMilliseconds)) ms (measured under full load).</p>\n"
        html += "<h2>Recall per transform at the default distance</h2>\n"
        html += recallChart(report)
        html += "<h2>Recall table (all signals)</h2>\n<p class=small>Each cell: share of copies matched at the signal's default distance; below it, the distance needed for 99% recall.</p>\n"
        html += recallTable(report)

        html += "<h2>Precision/recall trade-off over all transforms</h2>\n"
        html += "<p class=small>One point per match distance. Recall counts every copy of every transform; precision counts matched copies against false matches between different pictures, as sampled here (so it depends on that mix). The ring marks the default distance.</p>\n"
        html += tradeOffChart(report)
        html += tradeOffTable(report)
        html += "<p class=small>Written by <code>nccmatch eval</code>. No pixels, thumbnails or hashes of the pictures are in this page.</p>\n</body></html>\n"
        return html
    }

    static func esc(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }

    static func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }

    static func legend(_ ids: [String]) -> String {
        "<p class=legend>" + ids.enumerated().map { "<span><i style=\"background:\(palette[$0.offset % palette.count])\"></i>\(esc($0.element))</span>" }.joined() + "</p>\n"
    }

    static func recallChart(_ report: RobustnessReport) -> String {
        let signals = charted.compactMap { id in report.signals.first { $0.id == id } }
        guard let first = signals.first else { return "" }
        let rows = first.transforms.map(\.transform)
        let barH = 5, gap = 8, left = 150, width = 860, plotW = width - left - 20
        let rowH = signals.count * barH + gap
        let height = rows.count * rowH + 40
        var svg = legend(signals.map(\.id))
        svg += "<svg role=\"img\" aria-label=\"Recall per transform and signal\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" xmlns=\"http://www.w3.org/2000/svg\">\n"
        for pct in stride(from: 0, through: 100, by: 20) {
            let x = left + plotW * pct / 100
            svg += "<line x1=\"\(x)\" y1=\"10\" x2=\"\(x)\" y2=\"\(height - 25)\" stroke=\"#ddd\"/><text x=\"\(x)\" y=\"\(height - 10)\" font-size=\"11\" text-anchor=\"middle\">\(pct)%</text>\n"
        }
        for (ri, row) in rows.enumerated() {
            let y0 = 10 + ri * rowH
            svg += "<text x=\"\(left - 6)\" y=\"\(y0 + signals.count * barH / 2 + 4)\" font-size=\"11\" text-anchor=\"end\">\(esc(row))</text>\n"
            for (si, sig) in signals.enumerated() {
                guard let t = sig.transforms.first(where: { $0.transform == row }) else { continue }
                let w = Int((Double(plotW) * t.recallAtDefault).rounded())
                svg += "<rect x=\"\(left)\" y=\"\(y0 + si * barH)\" width=\"\(max(w, 0))\" height=\"\(barH - 1)\" fill=\"\(palette[si % palette.count])\"><title>\(esc(sig.id)) \(esc(row)): \(f(t.recallAtDefault * 100))% at \(sig.defaultDistance)</title></rect>\n"
            }
        }
        svg += "</svg>\n"
        return svg
    }

    static func recallTable(_ report: RobustnessReport) -> String {
        guard let first = report.signals.first else { return "" }
        var html = "<table><tr><th class=l>transform</th>" + report.signals.map { "<th>\(esc($0.id))<br><span class=small>≤ \($0.defaultDistance)</span></th>" }.joined() + "</tr>\n"
        for (ti, t) in first.transforms.enumerated() {
            html += "<tr><td class=l title=\"\(esc(t.summary))\">\(esc(t.transform))<br><span class=small>\(esc(t.summary))</span></td>"
            for sig in report.signals {
                let r = sig.transforms[ti]
                let hue = Int(r.recallAtDefault * 120)
                html += "<td style=\"background:hsl(\(hue),70%,88%)\">\(f(r.recallAtDefault * 100))%<br><span class=small>\(r.distanceFor99.map { "99%: \($0)" } ?? "-")</span></td>"
            }
            html += "</tr>\n"
        }
        return html + "</table>\n"
    }

    static func tradeOffChart(_ report: RobustnessReport) -> String {
        let width = 640, height = 420, left = 60, top = 20, plotW = 540, plotH = 340
        // y axis: precision from the lowest value seen (at least 0) to 1.
        let minPrecision = report.signals.flatMap { $0.tradeOff.map(\.precision) }.min() ?? 0
        let yLow = max(0, (minPrecision * 10).rounded(.down) / 10)
        func px(_ recall: Double) -> Double { Double(left) + recall * Double(plotW) }
        func py(_ precision: Double) -> Double { Double(top) + (1 - (precision - yLow) / max(1 - yLow, 1e-9)) * Double(plotH) }
        var svg = legend(report.signals.map(\.id))
        svg += "<svg role=\"img\" aria-label=\"Precision against recall\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" xmlns=\"http://www.w3.org/2000/svg\">\n"
        for i in 0...5 {
            let r = Double(i) / 5
            svg += "<line x1=\"\(f(px(r)))\" y1=\"\(top)\" x2=\"\(f(px(r)))\" y2=\"\(top + plotH)\" stroke=\"#eee\"/><text x=\"\(f(px(r)))\" y=\"\(top + plotH + 16)\" font-size=\"11\" text-anchor=\"middle\">\(Int(r * 100))%</text>\n"
            let p = yLow + (1 - yLow) * r
            svg += "<line x1=\"\(left)\" y1=\"\(f(py(p)))\" x2=\"\(left + plotW)\" y2=\"\(f(py(p)))\" stroke=\"#eee\"/><text x=\"\(left - 6)\" y=\"\(f(py(p) + 4))\" font-size=\"11\" text-anchor=\"end\">\(f(p * 100, 0))%</text>\n"
        }
        svg += "<text x=\"\(left + plotW / 2)\" y=\"\(height - 8)\" font-size=\"12\" text-anchor=\"middle\">recall (all transforms)</text>\n"
        svg += "<text x=\"14\" y=\"\(top + plotH / 2)\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(top + plotH / 2))\">precision</text>\n"
        for (si, sig) in report.signals.enumerated() {
            let color = palette[si % palette.count]
            let points = sig.tradeOff.map { "\(f(px($0.recall), 1)),\(f(py($0.precision), 1))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\" points=\"\(points)\"><title>\(esc(sig.id))</title></polyline>\n"
            if let p = sig.tradeOff.first(where: { $0.distance == sig.defaultDistance }) {
                svg += "<circle cx=\"\(f(px(p.recall)))\" cy=\"\(f(py(p.precision)))\" r=\"4\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"><title>\(esc(sig.id)) at \(p.distance): recall \(f(p.recall * 100))%, precision \(f(p.precision * 100, 3))%</title></circle>\n"
            }
        }
        svg += "</svg>\n"
        return svg
    }

    static func tradeOffTable(_ report: RobustnessReport) -> String {
        var html = "<table><tr><th class=l>signal</th><th>distance</th><th>recall</th><th>false-match rate</th><th>precision</th></tr>\n"
        for sig in report.signals {
            let marks: [Int] = sig.bits == 64 ? [4, 6, 8, 10, 12, 16] : [16, 24, 31, 40, 48, 64, 80]
            for d in marks where d < sig.tradeOff.count {
                let p = sig.tradeOff[d]
                html += "<tr><td class=l>\(esc(sig.id))</td><td>\(d)\(d == sig.defaultDistance ? " (default)" : "")</td><td>\(f(p.recall * 100))%</td><td>\(p.falseMatchRate == 0 ? "0" : String(format: "%.2e", p.falseMatchRate))</td><td>\(f(p.precision * 100, 3))%</td></tr>\n"
            }
        }
        return html + "</table>\n"
    }
}
