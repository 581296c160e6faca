import HTTPTypes
import KoppelUseCases

// How a use case's failure reads in each protocol. The status comes from one function, so the JSON API, the pages
// and FHIR cannot disagree about what a failure is.

extension HTTPResponse.Status {
    init(_ kind: FailureKind) {
        self = switch kind {
        case .notSignedIn: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .invalid: .unprocessableContent
        case .conflict: .conflict
        case .gone: .gone
        case .versionMismatch: .preconditionFailed
        case .tooManyRequests: .tooManyRequests
        }
    }
}

extension Problem {
    /// The JSON API's problem for a failure: its developer message.
    init(_ failure: Failure) {
        self.init(status: HTTPResponse.Status(failure.kind), detail: failure.detail, retryAfterSeconds: failure.retryAfterSeconds)
    }
}

extension Catalogue {
    /// A failure's message for people, in this catalogue's language.
    func message(_ failure: Failure) -> String {
        text(failure.messageKey, failure.arguments.mapValues(words))
    }

    func words(_ parts: [MessagePart]) -> String {
        parts.map { part in
            switch part {
            case .text(let text): text
            case .key(let key, let arguments): self.text(key, arguments.mapValues(words))
            }
        }.joined(separator: ", ")
    }
}
