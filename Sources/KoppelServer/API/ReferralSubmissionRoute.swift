import Foundation
import Hummingbird
import KoppelAPI
@_spi(Generated) import OpenAPIRuntime

/// `POST /api/v1/referrals`, a partner system's most frequent write, served as the read of one referral is
/// (`ReferralReadRoute`, decision 0028): the request read as the generated server reads it, the generated handler
/// (`APIHandlers.createReferral`) deciding the answer, and the answer written by `ReferralJSON`.
struct ReferralSubmissionRoute {
    static let path = "/api/v1/referrals"
    let api: APIHandlers

    func register(on routes: RouteRegistrar) {
        routes.post(Self.path) { [api] request, _ in
            // `ContractValidator` has held the headers, the Accept header and the body to the contract before this runs.
            switch try await api.createReferral(try await Self.input(of: request)) {
            case .created(let created):
                switch created.body {
                case .json(let referral): return OwnRouteAnswer.json(.created, ReferralJSON.bytes(referral))
                }
            case .default(let status, let answer):
                switch answer.body {
                case .applicationProblemJson(let problem): return try OwnRouteAnswer.problem(status, problem)
                }
            }
        }
    }

    /// The operation's input, read in the generated server's order and with its converter: the `Idempotency-Key`
    /// header, the content type (none, or one that allows JSON), then the body as JSON. What it cannot read is the
    /// client's to fix, as it was there.
    static func input(of request: Request) async throws -> Operations.CreateReferral.Input {
        let key: String?
        do {
            key = try APIWireFormat.converter.getOptionalHeaderFieldAsURI(in: request.headers, name: "Idempotency-Key", as: Components.Parameters.IdempotencyKey.self)
        } catch {
            throw Problem(status: .badRequest, detail: "The request could not be read: the Idempotency-Key header is not a key. Check it against /openapi.yaml.")
        }
        guard ContractValidator.readsAsJSON(request) else {
            throw Problem(status: .unsupportedMediaType, detail: "Send the referral as JSON, with Content-Type: application/json.")
        }
        // Read whole already, within the request's limit and deadline (`KoppelResponder`).
        let body = try await request.body.collect(upTo: .max)
        guard body.readableBytes > 0 else {
            throw Problem(status: .badRequest, detail: "The request has no body: send the referral as JSON. Check it against /openapi.yaml.")
        }
        let referral: Components.Schemas.NewReferral
        do {
            referral = try JSONDecoder().decode(Components.Schemas.NewReferral.self, from: Data(body.readableBytesView))
        } catch {
            throw Problem(status: .badRequest, detail: "The request could not be read: its body is not a referral in JSON. Check it against /openapi.yaml.")
        }
        return .init(headers: .init(idempotencyKey: key), body: .json(referral))
    }
}
