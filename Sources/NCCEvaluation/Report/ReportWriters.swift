import Foundation

/// Writes a `RobustnessReport` as JSON, CSV and a self-contained HTML page.
public enum ReportWriter {
    /// Pretty-printed JSON with sorted keys (stable diffs between runs).
    public static func json(_ report: RobustnessReport) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(report)
        data.append(0x0A)
        return data
    }

    /// One row per signal and transform: recall at the default and recommended distances, the distance
    /// for 99% recall, median and largest distance; then one row per signal for false matches
    /// (transform `different-images`, where recall columns hold false-match rates).
    public static func csv(_ report: RobustnessReport) -> String {
        var lines = ["signal,transform,copies,default_distance,recall_at_default,recommended_distance,recall_at_recommended,distance_for_99,median_distance,max_distance"]
        for s in report.signals {
            let recommended: String = s.recommendedDistance.map { String($0) } ?? ""
            for t in s.transforms {
                var cells: [String] = [s.id, t.transform, String(t.copies), String(s.defaultDistance)]
                cells.append(fmt(t.recallAtDefault))
                cells.append(recommended)
                cells.append(fmt(t.recallAtRecommended))
                cells.append(t.distanceFor99.map { String($0) } ?? "")
                cells.append(t.medianDistance.map { String($0) } ?? "")
                cells.append(t.maxDistance.map { String($0) } ?? "")
                lines.append(cells.joined(separator: ","))
            }
        }
        for s in report.signals {
            let f = s.falseMatches
            let n = Double(max(f.comparisons, 1))
            var cells: [String] = [s.id, "different-images", String(f.comparisons), String(s.defaultDistance)]
            cells.append(fmt(Double(f.countAtDefault) / n))
            cells.append(s.recommendedDistance.map { String($0) } ?? "")
            cells.append(fmt(Double(f.countAtRecommended) / n))
            cells.append("")
            cells.append("")
            cells.append(f.smallestDistance.map { String($0) } ?? "")
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes report.json, report.csv and report.html into `folder` (created if missing).
    /// - Throws: `EvaluationError` `report_not_written` when the folder or a file cannot be written.
    /// With `details`, also writes details.csv (per picture and transform; names the pictures).
    public static func write(_ report: RobustnessReport, details: String? = nil, to folder: String) throws(EvaluationError) {
        let url = URL(fileURLWithPath: folder, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try json(report).write(to: url.appendingPathComponent("report.json"), options: .atomic)
            try Data(csv(report).utf8).write(to: url.appendingPathComponent("report.csv"), options: .atomic)
            try Data(HTMLReport.render(report).utf8).write(to: url.appendingPathComponent("report.html"), options: .atomic)
            if let details { try Data(details.utf8).write(to: url.appendingPathComponent("details.csv"), options: .atomic) }
        } catch {
            throw EvaluationError(code: "report_not_written", message: "The report could not be written to \(folder) (\(error.localizedDescription)). Check that the folder is writable.")
        }
    }

    static func fmt(_ x: Double) -> String { String(format: "%.4f", x) }
}
