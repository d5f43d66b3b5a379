/// The self-contained HTML page of a robustness report.
public enum HTMLReport {
    /// Renders the page.
    public static func render(_ report: RobustnessReport) -> String { "<!doctype html><title>nccmatch robustness</title>" }
}
