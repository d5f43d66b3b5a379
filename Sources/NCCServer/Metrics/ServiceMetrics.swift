import Foundation
import Synchronization

/// The service's Prometheus metrics: requests and latencies per route and status, match figures, index sizes.
/// Labels never carry ids, hashes or secrets: only route templates, methods, statuses and algorithm names.
final class ServiceMetrics: Sendable {
    /// The figures gathered so far.
    fileprivate struct Figures {
        var requests: [String: Int] = [:]
        var latency: [String: (buckets: [Int], sum: Double, count: Int)] = [:]
        var counters: [String: Int] = [:]
        var gauges: [String: Int] = [:]
    }

    private let figures = Mutex(Figures())
    static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    func observe(method: String, route: String, status: Int, seconds: Double) {
        figures.withLock { $0.observe(method: method, route: route, status: status, seconds: seconds) }
    }

    /// Adds to a named counter (`name` and its label text).
    func add(_ name: String, _ amount: Int = 1) {
        figures.withLock { $0.counters[name, default: 0] += amount }
    }

    /// Sets a named gauge (`name` and its label text) to `value`.
    func set(_ name: String, _ value: Int) {
        figures.withLock { $0.gauges[name] = value }
    }

    /// Prometheus text exposition format 0.0.4.
    func render(indexCounts: [String: Int], ready: Bool) -> String {
        let figures = figures.withLock { $0 }
        return figures.render(indexCounts: indexCounts, ready: ready)
    }
}

extension ServiceMetrics.Figures {
    mutating func observe(method: String, route: String, status: Int, seconds: Double) {
        requests["method=\"\(method)\",route=\"\(route)\",status=\"\(status)\"", default: 0] += 1
        let key = "method=\"\(method)\",route=\"\(route)\""
        var entry = latency[key] ?? (Array(repeating: 0, count: ServiceMetrics.bounds.count), 0, 0)
        for (i, bound) in ServiceMetrics.bounds.enumerated() where seconds <= bound { entry.buckets[i] += 1 }
        entry.sum += seconds
        entry.count += 1
        latency[key] = entry
    }

    func render(indexCounts: [String: Int], ready: Bool) -> String {
        var out = "# HELP nccmatch_http_requests_total HTTP requests by method, route and status.\n# TYPE nccmatch_http_requests_total counter\n"
        for (labels, n) in requests.sorted(by: { $0.key < $1.key }) { out += "nccmatch_http_requests_total{\(labels)} \(n)\n" }
        out += "# HELP nccmatch_http_request_duration_seconds Time to answer a request.\n# TYPE nccmatch_http_request_duration_seconds histogram\n"
        for (labels, entry) in latency.sorted(by: { $0.key < $1.key }) {
            for (i, bound) in ServiceMetrics.bounds.enumerated() {
                out += "nccmatch_http_request_duration_seconds_bucket{\(labels),le=\"\(bound)\"} \(entry.buckets[i])\n"
            }
            out += "nccmatch_http_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(entry.count)\n"
            out += "nccmatch_http_request_duration_seconds_sum{\(labels)} \(entry.sum)\n"
            out += "nccmatch_http_request_duration_seconds_count{\(labels)} \(entry.count)\n"
        }
        let help: [String: String] = [
            "nccmatch_match_queries_total": "Hashes submitted to /v1/match, by algorithm.",
            "nccmatch_match_hits_total": "Bank pictures matched, by algorithm.",
            "nccmatch_cases_opened_total": "Cases opened.",
            "nccmatch_cases_withdrawn_total": "Cases withdrawn.",
            "nccmatch_feedback_total": "Feedback reports, by outcome.",
            "nccmatch_rate_limited_total": "Requests refused with 429, by reason.",
            "nccmatch_probing_suspected_total": "Bank pictures whose outer-band matches were withheld from a platform for probing.",
            "nccmatch_match_withheld_total": "Matches withheld from platforms for probing.",
            "nccmatch_match_budget_refused_total": "Match batches refused for the platform's daily budget of distinct pictures.",
            "nccmatch_case_secret_refused_total": "Wrong case secrets and unknown case ids.",
            "nccmatch_hit_rate_unusual_total": "Hours in which a platform's share of matched uploads was far above its usual.",
            "nccmatch_exchange_pages_total": "Exchange pages stored by the fetch loop, by exchange.",
            "nccmatch_imported_matches_unanswered_total": "Match requests refused (503) because exchange banks' references need the shared bank's database, which was away.",
            "nccmatch_quarantine_flagged_total": "Bank items flagged for matching far more uploads in an hour than their peers (the audit log names each, action quarantine_flagged).",
            "nccmatch_exchange_records_rejected_total": "Malformed exchange records skipped by the fetch loop, by exchange and reason.",
            "nccmatch_feedback_delivered_total": "Feedback items an exchange accepted, by exchange.",
        ]
        var byName: [String: [(String, Int)]] = [:]
        for (key, n) in counters {
            let name = String(key.prefix { $0 != "{" })
            byName[name, default: []].append((key, n))
        }
        for name in Set(help.keys).union(byName.keys).sorted() {
            out += "# HELP \(name) \(help[name] ?? name)\n# TYPE \(name) counter\n"
            for (key, n) in (byName[name] ?? []).sorted(by: { $0.0 < $1.0 }) { out += "\(key) \(n)\n" }
        }
        out += "# HELP nccmatch_index_hashes Hashes in the matching indexes, by algorithm.\n# TYPE nccmatch_index_hashes gauge\n"
        for (algorithm, n) in indexCounts.sorted(by: { $0.key < $1.key }) { out += "nccmatch_index_hashes{algorithm=\"\(algorithm)\"} \(n)\n" }
        var gaugesByName: [String: [(String, Int)]] = [:]
        for (key, n) in gauges { gaugesByName[String(key.prefix { $0 != "{" }), default: []].append((key, n)) }
        for name in gaugesByName.keys.sorted() {
            let gaugeHelp = [
                "nccmatch_feedback_pending": "Feedback items waiting to be sent, by exchange.",
                "nccmatch_quarantine_flagged_items": "Bank items flagged for quarantine that are not quarantined (the operator's decision waits).",
            ]
            out += "# HELP \(name) \(gaugeHelp[name] ?? name)\n# TYPE \(name) gauge\n"
            for (key, n) in gaugesByName[name]!.sorted(by: { $0.0 < $1.0 }) { out += "\(key) \(n)\n" }
        }
        out += "# HELP nccmatch_ready Whether the index is loaded.\n# TYPE nccmatch_ready gauge\nnccmatch_ready \(ready ? 1 : 0)\n"
        return out
    }
}
