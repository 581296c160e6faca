import Foundation
import KoppelCore

/// What sign-in needs to check a password, found by e-mail before the organisation is known.
public struct SignInCandidate: Sendable {
    public let userID: UUID
    public let organisationID: UUID
    public let passwordHash: String
    public let isDisabled: Bool
}

/// A user as their organisation's admins and they themselves see them.
public struct Account: Sendable, Hashable {
    public let id: UUID
    public let organisationID: UUID
    public let organisationName: String
    public let email: String
    public let displayName: String
    public let roles: Set<Role>
    public let coordinatedProgrammes: Set<UUID>
    public let mustChangePassword: Bool
    /// Set once enrolment has begun; confirmed when a first code was accepted.
    public let totpSecret: String?
    public let totpConfirmed: Bool
    public let isDisabled: Bool

    public var actor: Actor {
        Actor(userID: id, organisationID: organisationID, roles: roles, coordinatedProgrammes: coordinatedProgrammes)
    }
}

/// A session as stored: who, how far through sign-in, and its anti-forgery token.
public struct SessionRecord: Sendable {
    public enum Stage: String, Sendable {
        /// The password was right; a second factor (or enrolling one, or a new password) is still due.
        case password
        case complete
    }

    public let userID: UUID
    public let organisationID: UUID
    public let stage: Stage
    public let csrfToken: String
    public let createdAt: Date
    public let lastSeenAt: Date
    /// Notices not yet read, up to `NoticeStore.countLimit`: the bell on every page.
    public var unreadNotices: Int = 0
}

/// An API token as its organisation's admins see it: never the token itself.
public struct APITokenRecord: Sendable, Hashable {
    public let id: UUID
    public let userID: UUID
    public let userEmail: String
    public let name: String
    public let createdAt: Date
    public let expiresAt: Date?
    public let revokedAt: Date?
    public let lastUsedAt: Date?
}

/// A new user, as an admin or the command line asks for one.
public struct NewUser: Sendable {
    public var organisationID: UUID
    public var email: String
    public var displayName: String
    public var roles: Set<Role>
    public var coordinatedProgrammes: Set<UUID>

    public init(organisationID: UUID, email: String, displayName: String, roles: Set<Role>, coordinatedProgrammes: Set<UUID> = []) {
        self.organisationID = organisationID
        self.email = email
        self.displayName = displayName
        self.roles = roles
        self.coordinatedProgrammes = coordinatedProgrammes
    }
}

/// Why an identity change was refused, in words for the admin who asked.
public enum IdentityError: Error, Equatable, CustomStringConvertible {
    case emailTaken
    case invalidEmail
    case invalidName
    case programmeNotOperated

    /// A stable key for messages in a UI catalogue.
    public var code: String {
        switch self {
        case .emailTaken: "email_taken"
        case .invalidEmail: "invalid_email"
        case .invalidName: "invalid_name"
        case .programmeNotOperated: "programme_not_operated"
        }
    }

    public var description: String {
        switch self {
        case .emailTaken: "a user with this e-mail address already exists"
        case .invalidEmail: "the e-mail address is not valid"
        case .invalidName: "the name must have 1 to 200 characters"
        case .programmeNotOperated: "a coordinator can only coordinate programmes their organisation operates"
        }
    }
}
