import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelUseCases

/// Refusals in the FHIR door as `OperationOutcome`: the element path, a message in the caller's language (Dutch unless
/// `Accept-Language` asks for English), Koppel's failure code, and the developer's words as diagnostics.
enum FHIROutcome {
    /// The FHIR status of a use case's failure. A business rule a request breaks is 422 in FHIR, also where the JSON
    /// API says 409 (a step the state machine does not allow, no free place); a version that moved on is 412.
    static func status(_ kind: FailureKind) -> HTTPResponse.Status {
        switch kind {
        case .conflict: .unprocessableContent
        default: HTTPResponse.Status(kind)
        }
    }

    static func issueCode(_ kind: FailureKind) -> String {
        switch kind {
        case .notSignedIn: "login"
        case .forbidden: "forbidden"
        case .notFound: "not-found"
        case .invalid, .conflict: "business-rule"
        case .gone: "deleted"
        case .versionMismatch: "conflict"
        case .tooManyRequests: "throttled"
        }
    }

    static func response(_ failure: Failure, catalogue: Catalogue, elements: [String: String]) throws -> Response {
        let expression = failure.field.flatMap { elements[$0] }
        var issue = Self.issue(code: issueCode(failure.kind), text: catalogue.message(failure), diagnostics: failure.detail, expression: expression)
        issue["details"] = ["coding": [["system": FHIRCodes.failure, "code": failure.code]], "text": catalogue.message(failure)]
        var response = try FHIRResponse.resource(outcome([issue]), status: status(failure.kind))
        if let seconds = failure.retryAfterSeconds { response.headers[.retryAfter] = String(seconds) }
        return response
    }

    static func response(_ invalid: FHIRInvalid, catalogue: Catalogue) throws -> Response {
        let text = catalogue.text("fhir.error.\(invalid.key)", invalid.arguments.merging(["path": invalid.path]) { $1 })
        let issue = Self.issue(code: invalid.kind == .structure ? "structure" : "value", text: text, diagnostics: nil, expression: invalid.path)
        return try FHIRResponse.resource(outcome([issue]), status: invalid.kind == .structure ? .badRequest : .unprocessableContent)
    }

    /// Any other refusal (an unknown path, a body too large, the database away) in FHIR's shape.
    static func response(_ problem: Problem) -> Response {
        let code =
            switch problem.status.code {
            case 401: "login"
            case 403: "forbidden"
            case 404: "not-found"
            case 405: "not-supported"
            case 429: "throttled"
            case 500...: "exception"
            default: "invalid"
            }
        let body = (try? FHIRResponse.data(outcome([issue(code: code, text: problem.detail, diagnostics: nil, expression: nil)]))) ?? Data()
        var headers: HTTPFields = [.contentType: FHIRResponse.contentType]
        if let seconds = problem.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        if problem.status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"koppel\"" }
        return Response(status: problem.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private static func outcome(_ issues: [[String: Any]]) -> FHIRResource {
        ["resourceType": "OperationOutcome", "issue": issues]
    }

    private static func issue(code: String, text: String, diagnostics: String?, expression: String?) -> [String: Any] {
        var issue: [String: Any] = ["severity": "error", "code": code, "details": ["text": text]]
        if let diagnostics { issue["diagnostics"] = diagnostics }
        if let expression { issue["expression"] = [expression] }
        return issue
    }
}
