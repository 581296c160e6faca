import HTTPTypes
import Hummingbird
import OpenAPIHummingbird
import OpenAPIRuntime

/// Registers routes on the router and records each in the route catalogue, so that no route can exist
/// without the catalogue knowing it. Also the OpenAPI generator's transport.
final class RouteRegistrar: ServerTransport, @unchecked Sendable {
    // Used only while the application is built, on one task; frozen into `catalogue` afterwards.
    let router: Router<AppRequestContext>
    private(set) var catalogue = RouteCatalogue()

    /// The API operations served by a route of Koppel's own rather than the generated server's (decision 0028).
    static let ownRoutes: Set<String> = [
        "GET " + ReferralReadRoute.path, "GET " + ReferralListRoute.path, "POST " + ReferralSubmissionRoute.path,
    ]

    init(router: Router<AppRequestContext>) {
        self.router = router
    }

    func get(
        _ path: String,
        use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response
    ) {
        catalogue.add(.get, path)
        router.get(RouterPath(path), use: handler)
    }

    func post(
        _ path: String,
        use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response
    ) {
        catalogue.add(.post, path)
        router.post(RouterPath(path), use: handler)
    }

    func put(
        _ path: String,
        use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response
    ) {
        catalogue.add(.put, path)
        router.put(RouterPath(path), use: handler)
    }

    func register(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method,
        path: String
    ) throws {
        // An operation with a route of Koppel's own keeps it: that route calls the generated handler itself. Any
        // other route registered twice still stops the server at start, as Hummingbird's router does.
        if Self.ownRoutes.contains("\(method.rawValue) \(path)") {
            precondition(catalogue.routes.contains { $0.method == method && $0.path == path }, "\(path): its own route is registered first")
            return
        }
        catalogue.add(method, path)
        router.register(handler, method: method, path: path)
    }
}
