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
    /// Subscribe an organisation's systems to events (webhooks), see their deliveries and send them again.
    case manageWebhooks(organisation: UUID)
    /// File a referral on behalf of an organisation.
    case createReferral(referringOrganisation: UUID)
    /// List the referrals one may see (the store narrows the list to those).
    case listReferrals
    /// See one referral, its history and its messages.
    case viewReferral(ReferralScope)
    /// Take a step on a referral.
    case stepReferral(ReferralScope, ReferralAction)
    /// See a programme's places in use and free, and how long its waiting list is.
    case viewCapacity
    /// See who is on a programme's waiting list, in order.
    case viewWaitingList(programme: UUID)
    /// Change a programme's operational details: status, places, rules, intake.
    case editProgramme(programme: UUID)
    /// Confirm that a programme's directory entry is current (HSDS `assured_date`).
    case confirmDirectoryEntry(programme: UUID)
    /// Load services and organisations from another HSDS publisher into the directory.
    case importDirectory
    /// Register a client of an organisation, with who they are.
    case registerClient(organisation: UUID)
    /// Change a client's identity, record or withdraw their consents, export what Koppel holds on them.
    case manageClient(organisation: UUID)
    /// Erase a client's identifying data for good.
    case eraseClient(organisation: UUID)
    /// See or write a client's identifying data (reveal, messages): whether consent and the referral's state
    /// allow it as well is `Disclosure`'s to decide.
    case useClientData(ClientRoute)
    /// Submit a referral without a consent covering its programme, with a recorded reason.
    case overrideMissingConsent(referringOrganisation: UUID)
    /// See the statistics of all referrals to a programme: its coordinators, hub-admins. Funders see theirs through
    /// their funding agreements (`viewAgreementStatistics`).
    case viewProgrammeStatistics(programme: UUID)
    /// See the statistics a funding agreement covers (its programme, area and months): the funder, hub-admins.
    case viewAgreementStatistics(funder: UUID)
    /// See a funder's funding agreements: the funder, hub-admins.
    case viewFundingAgreements(funder: UUID)
    /// Make, change and end funding agreements, and the named areas they cover.
    case manageFundingAgreements
    /// See the statistics of the referrals one's own organisation filed.
    case viewReferrerStatistics(referringOrganisation: UUID)
}

/// What the policy needs to know of a referral: whose it is and where it goes.
public struct ReferralScope: Sendable, Hashable {
    public let referringOrganisation: UUID
    public let programme: UUID
    /// A referral reaches the programme side when it is submitted; until then (and if it is withdrawn as a
    /// draft) it stays with the referrer.
    public let neverSubmitted: Bool

    public init(referringOrganisation: UUID, programme: UUID, neverSubmitted: Bool = false) {
        self.referringOrganisation = referringOrganisation
        self.programme = programme
        self.neverSubmitted = neverSubmitted
    }
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
    case notCoordinatorOfProgramme
    case notReferrer
    case notFunderOfProgramme

    public var description: String {
        switch self {
        case .notSignedIn: "sign in first"
        case .missingRole(let role): "this needs the \(role.rawValue) role"
        case .otherOrganisation: "this belongs to another organisation"
        case .cannotGrant(let role): "only a hub-admin can grant the \(role.rawValue) role"
        case .notCoordinatorOfProgramme: "only a coordinator of the programme can do this"
        case .notReferrer: "only a caseworker of the referring organisation can do this"
        case .notFunderOfProgramme: "a funder sees the figures its funding agreements cover; coordinators and hub-admins see a programme's"
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
            .createToken(let organisation), .revokeToken(let organisation), .manageWebhooks(let organisation):
            return administers(actor, organisation)
        case .createUser(let organisation, let roles):
            // A hub-admin may create an organisation's first admins; granting hub-admin is theirs alone.
            if actor.roles.contains(.hubAdmin) && roles.isSubset(of: [.orgAdmin, .hubAdmin]) { return .allow }
            if roles.contains(.hubAdmin) { return .deny(.cannotGrant(.hubAdmin)) }
            return administers(actor, organisation)
        case .manageOrganisations, .importDirectory, .manageFundingAgreements:
            return actor.roles.contains(.hubAdmin) ? .allow : .deny(.missingRole(.hubAdmin))
        case .createReferral(let organisation):
            return refers(actor, for: organisation)
        case .listReferrals:
            // Funders and admins see no single referral by virtue of their role.
            return actor.roles.contains(.caseworker) || actor.roles.contains(.coordinator) ? .allow : .deny(.missingRole(.caseworker))
        case .viewReferral(let referral):
            let asReferrer = refers(actor, for: referral.referringOrganisation)
            if asReferrer == .allow || referral.neverSubmitted { return asReferrer }
            return coordinates(actor, referral.programme)
        case .stepReferral(let referral, let action):
            switch action.side {
            case .referrer: return refers(actor, for: referral.referringOrganisation)
            case .programme: return coordinates(actor, referral.programme)
            }
        case .viewCapacity:
            return .allow
        case .viewWaitingList(let programme):
            return coordinates(actor, programme)
        case .editProgramme(let programme):
            return actor.roles.contains(.hubAdmin) ? .allow : coordinates(actor, programme)
        case .confirmDirectoryEntry(let programme):
            // Only those who run the programme can vouch that what the directory says of it is true today.
            return coordinates(actor, programme)
        case .registerClient(let organisation), .manageClient(let organisation):
            return refers(actor, for: organisation)
        case .eraseClient(let organisation):
            return administers(actor, organisation)
        case .useClientData(.registeringOrganisation(let organisation)):
            return refers(actor, for: organisation)
        case .useClientData(.referral(let referral, _)):
            return decide(actor, .viewReferral(referral))
        case .overrideMissingConsent(let organisation):
            let asReferrer = refers(actor, for: organisation)
            guard asReferrer == .allow else { return asReferrer }
            return administers(actor, organisation)
        case .viewProgrammeStatistics(let programme):
            if actor.roles.contains(.hubAdmin) { return .allow }
            if coordinates(actor, programme) == .allow { return .allow }
            return .deny(actor.roles.contains(.funder) ? .notFunderOfProgramme : .notCoordinatorOfProgramme)
        case .viewAgreementStatistics(let funder), .viewFundingAgreements(let funder):
            if actor.roles.contains(.hubAdmin) { return .allow }
            guard actor.roles.contains(.funder) else { return .deny(.missingRole(.funder)) }
            return actor.organisationID == funder ? .allow : .deny(.otherOrganisation)
        case .viewReferrerStatistics(let organisation):
            return refers(actor, for: organisation)
        }
    }

    /// Whether `actor` is on the referring side of a referral (rather than the programme's).
    public static func refersFor(_ actor: Actor, _ referral: ReferralScope) -> Bool {
        refers(actor, for: referral.referringOrganisation) == .allow
    }

    private static func refers(_ actor: Actor, for organisation: UUID) -> Decision {
        guard actor.roles.contains(.caseworker) else { return .deny(.missingRole(.caseworker)) }
        return actor.organisationID == organisation ? .allow : .deny(.notReferrer)
    }

    private static func coordinates(_ actor: Actor, _ programme: UUID) -> Decision {
        guard actor.roles.contains(.coordinator) else { return .deny(.missingRole(.coordinator)) }
        return actor.coordinatedProgrammes.contains(programme) ? .allow : .deny(.notCoordinatorOfProgramme)
    }

    private static func administers(_ actor: Actor, _ organisation: UUID) -> Decision {
        guard actor.roles.contains(.orgAdmin) else { return .deny(.missingRole(.orgAdmin)) }
        return actor.organisationID == organisation ? .allow : .deny(.otherOrganisation)
    }
}
