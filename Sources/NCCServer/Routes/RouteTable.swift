import Hummingbird
import Synchronization

/// The API's paths and the methods each takes, read off the router once its routes are registered (the route
/// registrations in `Routes.swift` are the only list), so that a known path asked with another method gets
/// 405 with `Allow` rather than 404.
final class RouteTable: Sendable {
    private let entries = Mutex<[(path: [String], methods: [String])]>([])

    /// Takes the router's registered routes (call once, after the last route is added).
    func fill(from routes: [Router<BankRequestContext>.RouteDescription]) {
        var byPath: [String: (path: [String], methods: [String])] = [:]
        for route in routes {
            let key = route.path.description
            byPath[key, default: (route.path.components.map(\.description), [])].methods.append(route.method.rawValue)
        }
        entries.withLock { $0 = Array(byPath.values) }
    }

    /// The methods a request path accepts, or nil when no route has this path. `{id}` components match any one.
    func allowedMethods(path: String) -> [String]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        return entries.withLock { entries in
            entries.first { $0.path.count == parts.count && zip($0.path, parts).allSatisfy { $0 == $1 || $0.hasPrefix("{") } }?.methods
        }
    }
}
