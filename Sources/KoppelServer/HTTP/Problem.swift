import Foundation
import HTTPTypes
import Hummingbird

/// An RFC 9457 problem: what went wrong, in words a person can act on. Thrown by handlers; `KoppelResponder`
/// renders it as `application/problem+json`, or as an error page for web pages. (Deliberately not an
/// `HTTPResponseError`, which the router would render itself, always as JSON.)
public struct Problem: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var title: String
    public var detail: String
    public var type: String
    /// Seconds after which trying again makes sense (503, 429); sent as `Retry-After`.
    public var retryAfterSeconds: Int?

    public init(status: HTTPResponse.Status, detail: String, type: String = "about:blank", retryAfterSeconds: Int? = nil) {
        self.status = status
        self.title = status.reasonPhrase
        self.detail = detail
        self.type = type
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The problem as a response, `instance` being the request path (never its query, which may hold secrets).
    public func response(instance: String, headers: HTTPFields = [:]) -> Response {
        let body = ProblemBody(type: type, title: title, status: Int(status.code), detail: detail, instance: instance)
        let data = (try? APIWireFormat.encoder.encode(body)) ?? Data()
        var fields = headers
        fields[.contentType] = "application/problem+json"
        if let retryAfterSeconds { fields[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    struct ProblemBody: Codable {
        var type: String
        var title: String
        var status: Int
        var detail: String
        var instance: String
    }
}

extension Problem {
    static func notFound(_ path: String) -> Problem {
        Problem(status: .notFound, detail: "There is nothing at \(path). The API is described at /openapi.yaml.")
    }

    static func methodNotAllowed(_ method: HTTPRequest.Method, allowed: [HTTPRequest.Method]) -> Problem {
        let names = allowed.map(\.rawValue).joined(separator: ", ")
        return Problem(status: .methodNotAllowed, detail: "\(method.rawValue) is not allowed here; use \(names).")
    }

    static func notAcceptable(_ answers: [String]) -> Problem {
        Problem(
            status: .notAcceptable,
            detail: "Koppel answers this request as \(answers.joined(separator: " or ")): send an Accept header that allows it, or none.")
    }

    static let internalError = Problem(
        status: .internalServerError,
        detail: "Something went wrong on our side. Nothing was changed; try again, and quote the X-Request-ID header if it persists.")

    static let timedOut = Problem(
        status: .serviceUnavailable,
        detail: "Koppel could not answer in time. Nothing was changed; try again in a minute.", retryAfterSeconds: 30)

    static let databaseUnavailable = Problem(
        status: .serviceUnavailable,
        detail: "The database is not reachable right now. Nothing was changed; try again in a minute.", retryAfterSeconds: 30)
}
