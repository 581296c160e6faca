import Foundation
import HTTPTypes
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
                case .json(let referral): return Self.json(.ok, "application/json", ReferralJSON.bytes(referral))
                }
            case .default(let status, let answer):
                switch answer.body {
                case .applicationProblemJson(let problem):
                    return Self.json(.init(code: status), "application/problem+json", Array(try Self.problemEncoder.encode(problem)))
                }
            }
        }
    }

    /// As the generated server writes a problem (`APIWireFormat`): keys sorted, slashes unescaped.
    private static var problemEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    private static func json(_ status: HTTPResponse.Status, _ type: String, _ bytes: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: "\(type); charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
