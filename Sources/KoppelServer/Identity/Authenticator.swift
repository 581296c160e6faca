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

    /// With `tokenCheckedLater` (`TokenCheckedByUseCase`), an API token is only read here, and checked by the use case.
    func identity(of request: Request, tokenCheckedLater: Bool = false) async throws -> Identity {
        if let header = request.headers[.authorization] {
            let token = try Self.bearerToken(header)
            return tokenCheckedLater ? .presentedToken(token) : try await identity(bearer: token)
        }
        guard WebPaths.isPage(request.uri.path), let value = request.cookies[SessionCookie.name]?.value, !value.isEmpty, value.count <= 100 else { return .anonymous }
        let token = SecretToken(value: value)
        guard let record = try await sessions.resume(token),
            let account = try await users.account(id: record.userID, organisation: record.organisationID), !account.isDisabled
        else { return .anonymous }
        let session = SessionCookie(token: token, record: record)
        return record.stage == .complete ? .signedIn(account: account, session: session) : .pending(account: account, session: session)
    }

    /// The token of an `Authorization: Bearer` header.
    static func bearerToken(_ header: String) throws -> SecretToken {
        guard header.hasPrefix("Bearer "), header.count <= 200 else { throw Problem.badCredentials }
        return SecretToken(value: String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces))
    }

    private func identity(bearer token: SecretToken) async throws -> Identity {
        guard let account = try await tokens.account(of: token), !account.isDisabled else { throw Problem.badCredentials }
        return .signedIn(account: account, session: nil)
    }
}

/// The routes whose use case checks an API token in its own first statement, saving the round trip of checking it
/// before: reading one referral (decision 0026), filing one (decision 0027) and taking a step on one (decision
/// 0032), the API's most frequent requests.
/// Their handlers resolve `Identity.presentedToken` through the use case; every other route gets the token checked
/// before its handler.
enum TokenCheckedByUseCase {
    static func contains(method: HTTPRequest.Method, template: String) -> Bool {
        switch template {
        case "/api/v1/referrals/{referralId}": method == .get || method == .head
        case "/api/v1/referrals": method == .post
        case "/api/v1/referrals/{referralId}/transitions": method == .post
        default: false
        }
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
