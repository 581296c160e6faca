import HTTPTypes
import Hummingbird

/// Every route the server has, by method and path pattern. Lets the server answer 405 with an `Allow`
/// header (Hummingbird's router answers 404 for a known path with the wrong method) and lets tests
/// enumerate the endpoints.
public struct RouteCatalogue: Sendable {
    public struct Route: Sendable, Hashable {
        public let method: HTTPRequest.Method
        /// The path pattern, `{name}` for a parameter: `/api/v1/programmes/{id}`.
        public let path: String
    }

    public enum Match: Equatable {
        /// The route's path pattern, as metrics name it (never the path as sent, which may hold ids).
        case found(template: String)
        case methodNotAllowed(allowed: [HTTPRequest.Method])
        case notFound
    }

    public private(set) var routes: [Route] = []

    mutating func add(_ method: HTTPRequest.Method, _ path: String) {
        routes.append(Route(method: method, path: path))
    }

    public func match(method: HTTPRequest.Method, path: String) -> Match {
        let segments = Self.segments(path)
        let matching = routes.filter { Self.pattern($0.path, matches: segments) }
        let methods = Set(matching.map(\.method))
        if methods.isEmpty { return .notFound }
        let served = methods.contains(method) ? method : .get
        if methods.contains(method) || (method == .head && methods.contains(.get)) {
            // The most literal pattern wins, as in the router: `/referrals/search` before `/referrals/{id}`.
            let route = matching.filter { $0.method == served }.min { Self.parameters($0.path) < Self.parameters($1.path) }
            return .found(template: route?.path ?? path)
        }
        var allowed = methods
        if allowed.contains(.get) { allowed.insert(.head) }
        return .methodNotAllowed(allowed: allowed.sorted { $0.rawValue < $1.rawValue })
    }

    static func parameters(_ pattern: String) -> Int { pattern.filter { $0 == "{" }.count }

    static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    static func pattern(_ pattern: String, matches segments: [Substring]) -> Bool {
        let parts = Self.segments(pattern)
        guard parts.count == segments.count else { return false }
        return zip(parts, segments).allSatisfy { part, segment in
            (part.hasPrefix("{") && part.hasSuffix("}")) || part == segment
        }
    }
}
