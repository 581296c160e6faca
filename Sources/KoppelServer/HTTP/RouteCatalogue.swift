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
        /// The pattern's segments and which are fixed words, split once when the route is added, not per request.
        let segments: [Substring]
        let shape: [Bool]

        init(method: HTTPRequest.Method, path: String) {
            self.method = method
            self.path = path
            segments = RouteCatalogue.segments(path)
            shape = PathTemplate.shape(segments)
        }
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
        let fitting = routes.filter { PathTemplate.fits($0.segments, shape: $0.shape, segments) }
        guard let shape = fitting.map(\.shape).min(by: PathTemplate.isMoreLiteral) else { return .notFound }
        let here = fitting.filter { $0.shape == shape }
        if let route = here.first(where: { $0.method == method }) ?? (method == .head ? here.first { $0.method == .get } : nil) {
            return .found(template: route.path)
        }
        var allowed = Set(here.map(\.method))
        if allowed.contains(.get) { allowed.insert(.head) }
        return .methodNotAllowed(allowed: allowed.sorted { $0.rawValue < $1.rawValue })
    }

    static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}
