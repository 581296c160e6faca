import Foundation
import HTTPTypes
import Hummingbird
@testable import KoppelServer
import KoppelStore
import KoppelTestSupport
import Logging
import OpenAPIRuntime
import Testing
@Suite("Mapping errors to responses")
struct ErrorResponseTests {
    private func serverError(input: (any Sendable)?, underlying: any Error, status: HTTPResponse.Status = .internalServerError) -> ServerError {
        ServerError(
            operationID: "createSomething", request: HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/x"),
            requestBody: nil, requestMetadata: .init(), operationInput: input, operationOutput: nil,
            causeDescription: "Unexpected end of JSON input.", underlyingError: underlying,
            httpStatus: status, httpHeaderFields: [:], httpBody: nil)
    }

    @Test("a body the generated server could not decode is 400, saying what was wrong, never 500")
    func undecodableInput() {
        let decoding = DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "Unexpected end of JSON input."))
        let problem = ErrorResponses.problem(for: serverError(input: nil, underlying: decoding), logger: quietLogger)
        #expect(problem.status == .badRequest)
        #expect(problem.detail.contains("Unexpected end of JSON input."))
    }

    @Test("a problem thrown by a handler passes through the generated server unchanged")
    func handlerProblem() {
        let thrown = Problem(status: .conflict, detail: "Already accepted.")
        #expect(ErrorResponses.problem(for: serverError(input: "input", underlying: thrown), logger: quietLogger) == thrown)
    }

    @Test("an unexpected error is a 500 that reveals nothing of it")
    func unexpected() {
        struct SecretError: Error { let text = "connection string with password" }
        let problem = ErrorResponses.problem(for: SecretError(), logger: quietLogger)
        #expect(problem.status == .internalServerError)
        #expect(!problem.detail.contains("password"))
    }
}
