import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore

/// Finds out who a request comes from: an `Authorization: Bearer` API token, or for web pages a session cookie.
/// The API takes tokens only: a browser sends its cookie with any request, a forged cross-site form included, and
/// only pages check the form's anti-forgery token. A bad or stale cookie makes the request anonymous.
struct Authenticator: Sendable {
    let users: UserStore
    let sessions: SessionStore
    let tokens: APITokenStore

    func identity(of request: Request) async throws -> Identity {
        if let header = request.headers[.authorization] {
            return try await identity(bearer: header)
        }
        guard WebPaths.isPage(request.uri.path), let value = request.cookies[SessionCookie.name]?.value, !value.isEmpty, value.count <= 100 else { return .anonymous }
        let token = SecretToken(value: value)
        guard let record = try await sessions.resume(token),
            let account = try await users.account(id: record.userID, organisation: record.organisationID), !account.isDisabled
        else { return .anonymous }
        let session = SessionCookie(token: token, record: record)
        return record.stage == .complete ? .signedIn(account: account, session: session) : .pending(account: account, session: session)
    }

    private func identity(bearer header: String) async throws -> Identity {
        guard header.hasPrefix("Bearer "), header.count <= 200 else { throw Problem.badCredentials }
        let token = SecretToken(value: String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces))
        guard let account = try await tokens.account(of: token), !account.isDisabled else { throw Problem.badCredentials }
        return .signedIn(account: account, session: nil)
    }
}

extension Problem {
    /// Any bearer token that does not work, for whatever reason: the answer does not say which.
    static let badCredentials = Problem(
        status: .unauthorized, detail: "The API token is not valid: it may be mistyped, expired or revoked. Ask your organisation's admin for a new one.")

    static func denied(_ reason: DenialReason) -> Problem {
        switch reason {
        case .notSignedIn:
            Problem(status: .unauthorized, detail: "Sign in first, or send an API token as 'Authorization: Bearer …'.")
        default:
            Problem(status: .forbidden, detail: "Not allowed: \(reason).")
        }
    }
}
