import Foundation
import Hummingbird
import KoppelAPI

/// `GET /api/v1/referrals/{referralId}`, the API's most frequent request, served without the generated server's
/// transport and `JSONEncoder` (decision 0028). The generated handler (`APIHandlers.getReferral`) still decides the
/// answer; only reading the path and writing the JSON (`ReferralJSON`) are done here.
struct ReferralReadRoute {
    static let path = "/api/v1/referrals/{referralId}"
    let api: APIHandlers

    func register(on routes: RouteRegistrar) {
        routes.get(Self.path) { [api] _, context in
            // `ContractValidator` has held the path and the Accept header to the contract before this runs.
            // Percent-decoded, as the generated server reads a path's value.
            let id = context.parameters.get("referralId").map { $0.removingPercentEncoding ?? $0 } ?? ""
            switch try await api.getReferral(.init(path: .init(referralId: id))) {
            case .ok(let ok):
                switch ok.body {
                case .json(let referral): return OwnRouteAnswer.json(.ok, ReferralJSON.bytes(referral))
                }
            case .default(let status, let answer):
                switch answer.body {
                case .applicationProblemJson(let problem): return try OwnRouteAnswer.problem(status, problem)
                }
            }
        }
    }
}
