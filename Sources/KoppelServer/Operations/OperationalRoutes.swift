import Foundation
import HTTPTypes
import Hummingbird
import KoppelAPI

/// Liveness, readiness and the API contract: what load balancers, orchestrators and client developers fetch.
struct OperationalRoutes {
    let readiness: ReadinessProbe

    func register(on routes: RouteRegistrar) {
        routes.get("/healthz") { _, _ in
            Self.json(.ok, #"{"status":"ok"}"#)
        }
        routes.get("/readyz") { request, _ in
            switch await readiness.check() {
            case .ready:
                return Self.json(.ok, #"{"status":"ready"}"#)
            case .notReady(let reason):
                return Problem(status: .serviceUnavailable, detail: "Not ready: \(reason).").response(instance: request.uri.path)
            }
        }
        routes.get("/openapi.yaml") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: APIContract.yaml)))
        }
    }

    private static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
