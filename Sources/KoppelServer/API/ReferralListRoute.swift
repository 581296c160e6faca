import Foundation
import Hummingbird
import KoppelAPI
@_spi(Generated) import OpenAPIRuntime

/// `GET /api/v1/referrals`, the page a partner system or a coordinator's tool asks for to follow its referrals, served
/// as the read of one referral is (`ReferralReadRoute`, decision 0028): its query read as the generated server reads
/// it, the generated handler (`APIHandlers.listReferrals`) deciding the answer, and the page written by `ReferralJSON`.
/// Encoding a page of 25 with `JSONEncoder` was a third of the server's CPU for a list (issue 23).
struct ReferralListRoute {
    static let path = "/api/v1/referrals"
    let api: APIHandlers

    func register(on routes: RouteRegistrar) {
        routes.get(Self.path) { [api] request, _ in
            // `ContractValidator` has held the query and the Accept header to the contract before this runs.
            switch try await api.listReferrals(try Self.input(of: request)) {
            case .ok(let ok):
                switch ok.body {
                case .json(let page): return OwnRouteAnswer.json(.ok, ReferralJSON.bytes(page))
                }
            case .default(let status, let answer):
                switch answer.body {
                case .applicationProblemJson(let problem): return try OwnRouteAnswer.problem(status, problem)
                }
            }
        }
    }

    /// The operation's input, read with the generated server's converter, in its order: the query's items (form
    /// style, exploded), then the Accept header.
    static func input(of request: Request) throws -> Operations.ListReferrals.Input {
        let converter = APIWireFormat.converter
        let items = request.head.soar_query
        func item<Value: Decodable>(_ name: String, _ type: Value.Type) throws -> Value? {
            do {
                return try converter.getOptionalQueryItemAsURI(in: items, style: .form, explode: true, name: name, as: type)
            } catch {
                throw Problem(status: .badRequest, detail: "The request could not be read: \(name) is not one the contract allows. Check it against /openapi.yaml.")
            }
        }
        let query = Operations.ListReferrals.Input.Query(
            state: try item("state", Components.Schemas.ReferralState.self), programmeId: try item("programme_id", String.self),
            organisationId: try item("organisation_id", String.self), createdFrom: try item("created_from", String.self),
            createdTo: try item("created_to", String.self), limit: try item("limit", Int.self), cursor: try item("cursor", String.self))
        // The contract's check has found JSON acceptable; an Accept header the converter still cannot read (a weight
        // of `q=2`) is the client's to fix, as the generated server answered it.
        do {
            return .init(query: query, headers: .init(accept: try converter.extractAcceptHeaderIfPresent(in: request.headers)))
        } catch {
            throw Problem(status: .badRequest, detail: "The request could not be read: its Accept header is not one HTTP allows. Send Accept: application/json.")
        }
    }
}
