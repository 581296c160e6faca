import KoppelCore
import KoppelStore

/// Who a request comes from, as far as they have proved it.
public enum Identity: Sendable {
    case anonymous
    /// The password was right but sign-in is not finished: a new password, a second factor, or enrolling one is due.
    case pending(account: Account, session: SessionCookie)
    /// Fully signed in through a session, or acting through an API token (then without a session).
    case signedIn(account: Account, session: SessionCookie?)
    /// An API token not checked yet: the route's use case checks it in its own first statement (`TokenCheckedByUseCase`).
    case presentedToken(SecretToken)

    /// The actor the access policy decides for; nil unless sign-in is complete.
    public var actor: Actor? {
        if case .signedIn(let account, _) = self { return account.actor }
        return nil
    }

    public var account: Account? {
        switch self {
        case .anonymous, .presentedToken: nil
        case .pending(let account, _), .signedIn(let account, _): account
        }
    }

    public var session: SessionCookie? {
        switch self {
        case .anonymous, .presentedToken: nil
        case .pending(_, let session): session
        case .signedIn(_, let session): session
        }
    }
}

/// The session a browser presented: its cookie value and what is stored for it.
public struct SessionCookie: Sendable {
    public static let name = "__Host-koppel_session"
    public let token: SecretToken
    public let record: SessionRecord
}

/// The identity of the request being handled, for code the OpenAPI generator calls without the request context.
enum RequestIdentity {
    @TaskLocal static var current: Identity = .anonymous
}
