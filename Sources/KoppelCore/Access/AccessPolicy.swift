import Foundation

/// Everything someone may try to do that the policy decides on.
public enum Action: Sendable, Hashable {
    /// Read the public programme directory.
    case viewDirectory
    /// See one's own account: who one is, one's organisation and roles.
    case viewOwnAccount
    /// List the users of an organisation.
    case listUsers(organisation: UUID)
    /// Create a user in an organisation with these roles.
    case createUser(organisation: UUID, roles: Set<Role>)
    /// Disable a user of an organisation, ending their sessions and tokens.
    case disableUser(organisation: UUID)
    /// List, create or revoke the API tokens of an organisation's users.
    case listTokens(organisation: UUID)
    case createToken(organisation: UUID)
    case revokeToken(organisation: UUID)
    /// List and create organisations.
    case manageOrganisations
}

/// The policy's answer.
public enum Decision: Sendable, Hashable {
    case allow
    case deny(DenialReason)

    public var isAllowed: Bool { self == .allow }
}

/// Why something was denied. Shown to the person denied, so it names what they lack, never what exists.
public enum DenialReason: Sendable, Hashable, CustomStringConvertible {
    case notSignedIn
    case missingRole(Role)
    case otherOrganisation
    case cannotGrant(Role)

    public var description: String {
        switch self {
        case .notSignedIn: "sign in first"
        case .missingRole(let role): "this needs the \(role.rawValue) role"
        case .otherOrganisation: "this belongs to another organisation"
        case .cannotGrant(let role): "only a hub-admin can grant the \(role.rawValue) role"
        }
    }
}

/// The one access policy: `(actor, action) → allow | deny(reason)`. Deny by default. Every API handler
/// and web page asks it; none decides on its own.
public enum AccessPolicy {
    public static func decide(_ actor: Actor?, _ action: Action) -> Decision {
        if action == .viewDirectory { return .allow }
        guard let actor else { return .deny(.notSignedIn) }
        switch action {
        case .viewDirectory, .viewOwnAccount:
            return .allow
        case .listUsers(let organisation), .disableUser(let organisation), .listTokens(let organisation),
            .createToken(let organisation), .revokeToken(let organisation):
            return administers(actor, organisation)
        case .createUser(let organisation, let roles):
            // A hub-admin may create an organisation's first admins; granting hub-admin is theirs alone.
            if actor.roles.contains(.hubAdmin) && roles.isSubset(of: [.orgAdmin, .hubAdmin]) { return .allow }
            if roles.contains(.hubAdmin) { return .deny(.cannotGrant(.hubAdmin)) }
            return administers(actor, organisation)
        case .manageOrganisations:
            return actor.roles.contains(.hubAdmin) ? .allow : .deny(.missingRole(.hubAdmin))
        }
    }

    private static func administers(_ actor: Actor, _ organisation: UUID) -> Decision {
        guard actor.roles.contains(.orgAdmin) else { return .deny(.missingRole(.orgAdmin)) }
        return actor.organisationID == organisation ? .allow : .deny(.otherOrganisation)
    }
}
