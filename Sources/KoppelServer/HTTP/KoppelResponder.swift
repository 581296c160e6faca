import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore
import Logging
import NIOCore
import Tracing

/// Wraps the router with what every request gets: a request id, 404 and 405 for unknown routes,
/// errors as problem details (or an error page for web pages), security headers and one log line.
struct KoppelResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == AppRequestContext {
    let inner: Inner
    let routes: RouteCatalogue
    let errorPages: any ErrorPageRendering
    /// No request may take longer: past it the client gets a 503 rather than a hanging connection.
    let requestTimeout: Duration
    let authenticator: Authenticator
    let trustedProxies: TrustedProxies
    let clock: WallClock
    let contract: ContractValidator
    let progress: ServingProgress
    let limits: RequestLimits
    let measurements: Measurements
    let spans: Spans
    /// No request body of Koppel's is larger; a larger one is refused before a handler reads it.
    static var maximumBodyBytes: Int { 64 * 1024 }
    /// An HSDS file to import is the one larger body (a municipality's social map), for hub-admins only.
    static func maximumBodyBytes(for path: String) -> Int { path == "/api/v1/directory/imports" ? 1024 * 1024 : maximumBodyBytes }

    func respond(to request: Request, context: AppRequestContext) async throws -> Response {
        try await WallClock.$current.withValue(clock) {
            try await Measurements.$current.withValue(measurements) { try await respondOnClock(to: request, context: context) }
        }
    }

    private func respondOnClock(to request: Request, context: AppRequestContext) async throws -> Response {
        var context = context
        context.requestID = Self.requestID(from: request)
        context.logger[metadataKey: "request_id"] = "\(context.requestID)"
        context.clientAddress = trustedProxies.clientAddress(peer: context.clientAddress, forwardedFor: request.headers[values: .xForwardedFor])
        let started = ContinuousClock.now

        var response: Response
        var template = "unknown"
        // A path with an empty segment would reach a route whose checks look at the path as written (`//api/v1/…`).
        let route: RouteCatalogue.Match = request.uri.path.contains("//") ? .notFound : routes.match(method: request.method, path: request.uri.path)
        if case .found(let matched) = route { template = matched }
        // Named by the route's template, never the path: a path holds ids.
        let span = spans.start("\(request.method.rawValue) \(template)", kind: .server, traceparent: request.headers[.traceparent])
        span.set("http.request.method", request.method.rawValue)
        span.set("http.route", template)
        let trace = span.context
        context.logger[metadataKey: "trace_id"] = "\(trace.traceID)"
        context.logger[metadataKey: "span_id"] = "\(trace.spanID)"
        if let parent = trace.parentID { context.logger[metadataKey: "parent_span_id"] = "\(parent)" }
        switch route {
        case .notFound:
            response = errorResponse(.notFound(request.uri.path), request: request)
        case .methodNotAllowed(let allowed):
            response = errorResponse(.methodNotAllowed(request.method, allowed: allowed), request: request)
            response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
        case .found:
            // Watched from when the body is in: a slow upload is the client's wait, not a sign of a stuck pool.
            let watch = ProgressWatch(progress: WebPaths.isOperational(request.uri.path) ? nil : progress)
            do {
                response = try await withDeadline(requestTimeout) { [inner, authenticator, limits, contract, context, request, template] in
                    var request = request
                    // Read the body here, up to the limit and within the deadline, so that no handler ever buffers more.
                    let limit = Self.maximumBodyBytes(for: request.uri.path)
                    let body: ByteBuffer
                    do { body = try await request.collectBody(upTo: limit) } catch is NIOTooManyBytesError {
                        throw Problem(status: .contentTooLarge, detail: "The request body is too large; Koppel accepts at most \(limit / 1024) KiB here.")
                    }
                    watch.begin()
                    if NULScreen.holdsNUL(uri: request.uri.description, body: body) { throw NULScreen.problem }
                    if let problem = contract.problem(for: request, body: body) { throw problem }
                    var context = context
                    // Before the credentials are looked up, so a flood of bad tokens costs no database calls.
                    if let problem = limits.beforeAuthentication(request, context: context) { throw problem }
                    context.identity = try await authenticator.identity(
                        of: request, tokenCheckedLater: TokenCheckedByUseCase.contains(method: request.method, template: template))
                    if let problem = limits.problem(for: request, context: context) { throw problem }
                    // The events this request writes carry its span on to their webhook deliveries.
                    return try await RequestTrace.$traceparent.withValue(trace.header) {
                        try await RequestIdentity.$current.withValue(context.identity) {
                            try await inner.respond(to: request, context: context)
                        }
                    }
                }
            } catch {
                response = errorResponse(ErrorResponses.problem(for: error, logger: context.logger), request: request)
            }
            watch.end(answered: response.status != .serviceUnavailable)
        }

        SecurityHeaders.apply(to: &response.headers)
        response.headers[.xRequestID] = context.requestID
        // The caller learns this server's span in its trace (W3C Trace Context, `traceresponse`).
        response.headers[.traceresponse] = trace.header
        let duration = ContinuousClock.now - started
        span.set("http.response.status_code", Int(response.status.code))
        span.end(failed: response.status.code >= 500)
        measurements.answered(route: template, method: request.method.rawValue, status: Int(response.status.code), after: duration)
        let elapsed = duration.components
        let milliseconds = elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
        // The path only: a query string may carry things that must never reach a log.
        context.logger.info(
            "request",
            metadata: [
                "http.method": "\(request.method.rawValue)",
                "http.path": "\(request.uri.path)",
                "http.status": "\(response.status.code)",
                "duration_ms": "\(milliseconds)",
            ])
        return response
    }

    private func errorResponse(_ problem: Problem, request: Request) -> Response {
        if request.uri.path.hasPrefix(FHIRDoor.base + "/") { return FHIROutcome.response(problem) }
        if WebPaths.isPage(request.uri.path) {
            var page = errorPages.errorPage(for: problem, request: request)
            if let seconds = problem.retryAfterSeconds { page.headers[.retryAfter] = String(seconds) }
            return page
        }
        var headers: HTTPFields = [:]
        if problem.status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"koppel\"" }
        return problem.response(instance: request.uri.path, headers: headers)
    }

    /// A caller's request id is kept when it is a plain token (a load balancer's, say); otherwise a new one.
    static func requestID(from request: Request) -> String {
        if let given = request.headers[.xRequestID], (1...64).contains(given.count),
            given.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") })
        {
            return given
        }
        return UUID().uuidString.lowercased()
    }
}

/// Renders an error as an HTML page for people using the web pages.
protocol ErrorPageRendering: Sendable {
    func errorPage(for problem: Problem, request: Request) -> Response
}

/// Which paths are web pages (HTML for people) rather than API or operational endpoints.
enum WebPaths {
    static let machinePrefixes = ["/api/", "/fhir/", "/openapi.yaml", "/healthz", "/readyz", "/static/", "/hsds"]

    static func isPage(_ path: String) -> Bool {
        !machinePrefixes.contains { path.hasPrefix($0) }
    }

    /// Probes and static files: neither touches the database nor tells whether the replica can serve.
    static func isOperational(_ path: String) -> Bool {
        ["/healthz", "/readyz", "/openapi.yaml"].contains(path) || path.hasPrefix("/static/")
    }
}
