import Foundation

/// A referral of a client to a programme. Holds a pseudonymous client id and non-identifying fields only:
/// who the client is lives in the privacy vault, never here.
public struct Referral: Sendable, Hashable, Identifiable {
    public var id: UUID
    public var clientID: UUID
    public var referringOrganisation: NamedID
    public var referringUserID: UUID
    public var programme: NamedID
    public var operatorID: UUID
    public var targetGroup: TargetGroup
    public var ageBand: AgeBand
    public var municipality: Municipality
    public var needs: [ReferralNeed]
    public var urgency: ReferralUrgency
    /// The day the client would like to start, `YYYY-MM-DD`.
    public var requestedStart: String?
    public var state: ReferralState
    public var overriddenRules: [EligibilityRule]
    public var overrideReason: EligibilityOverrideReason?
    public var forwardedFrom: UUID?
    public var createdAt: Date
    public var submittedAt: Date?
    public var stateChangedAt: Date
    public var version: Int
    /// While waitlisted, the place on the programme's waiting list; 1 is next.
    public var waitlistPosition: Int?
    /// The consent it was submitted under; or, when none covered the programme, why it went ahead anyway.
    public var consentID: UUID?
    public var consentOverrideReason: ConsentOverrideReason?
    /// The step the programme owes, and by when; nil in a state where it owes none.
    public var deadline: ReferralDeadline?

    public init(
        id: UUID, clientID: UUID, referringOrganisation: NamedID, referringUserID: UUID, programme: NamedID, operatorID: UUID,
        targetGroup: TargetGroup, ageBand: AgeBand, municipality: Municipality, needs: [ReferralNeed], urgency: ReferralUrgency,
        requestedStart: String?, state: ReferralState, overriddenRules: [EligibilityRule], overrideReason: EligibilityOverrideReason?,
        forwardedFrom: UUID?, createdAt: Date, submittedAt: Date?, stateChangedAt: Date, version: Int, waitlistPosition: Int?
    ) {
        self.id = id
        self.clientID = clientID
        self.referringOrganisation = referringOrganisation
        self.referringUserID = referringUserID
        self.programme = programme
        self.operatorID = operatorID
        self.targetGroup = targetGroup
        self.ageBand = ageBand
        self.municipality = municipality
        self.needs = needs
        self.urgency = urgency
        self.requestedStart = requestedStart
        self.state = state
        self.overriddenRules = overriddenRules
        self.overrideReason = overrideReason
        self.forwardedFrom = forwardedFrom
        self.createdAt = createdAt
        self.submittedAt = submittedAt
        self.stateChangedAt = stateChangedAt
        self.version = version
        self.waitlistPosition = waitlistPosition
    }

    /// What the access policy needs to know of it.
    public var scope: ReferralScope { ReferralScope(referringOrganisation: referringOrganisation.id, programme: programme.id, neverSubmitted: submittedAt == nil) }

    /// Who hears that it changed to `next`: the referrer always, the programme side once it has been submitted,
    /// never of a draft.
    public func audience(after next: ReferralState) -> Set<UUID> {
        Self.audience(referrer: referringOrganisation.id, operatorID: operatorID, submitted: next == .submitted || submittedAt != nil)
    }

    /// The same rule for a referral being filed, before there is one to ask.
    public static func audience(referrer: UUID, operatorID: UUID, submitted: Bool) -> Set<UUID> {
        submitted ? [referrer, operatorID] : [referrer]
    }

    /// Who hears that a referral was filed: as for any change once submitted; filing a draft is news to no one yet.
    public static func audienceOfFiling(referrer: UUID, operatorID: UUID, submitted: Bool) -> Set<UUID> {
        submitted ? audience(referrer: referrer, operatorID: operatorID, submitted: true) : []
    }

    /// The steps `actor` may take now: possible in this state and allowed by the policy.
    public func actions(for actor: Actor?) -> [ReferralAction] {
        ReferralStateMachine.allowedActions(from: state).filter { AccessPolicy.decide(actor, .stepReferral(scope, $0)).isAllowed }
    }
}

/// An id with the name to show beside it.
public struct NamedID: Sendable, Hashable {
    public var id: UUID
    public var name: String

    public init(id: UUID, name: String) {
        self.id = id
        self.name = name
    }
}

/// Why a caseworker submits a referral despite an eligibility rule; coded, as free text about a person
/// belongs in the vault.
public enum EligibilityOverrideReason: String, CaseIterable, Sendable, Codable {
    case professionalJudgement = "professional_judgement"
    case closeToAgeLimit = "close_to_age_limit"
    case movingToArea = "moving_to_area"
    case agreedWithProgramme = "agreed_with_programme"

    public var catalogueKey: String { "referral.override.\(rawValue)" }
}

/// One step in a referral's history.
public struct ReferralEvent: Sendable, Hashable {
    public var occurredAt: Date
    /// `create` for a draft, otherwise the step taken.
    public var action: String
    public var fromState: ReferralState?
    public var toState: ReferralState
    public var reason: ReferralReason?
    public var organisation: NamedID
    /// The person who took the step, when the reader may see them (their own organisation's users).
    public var userName: String?
    public var relatedReferralID: UUID?

    public init(
        occurredAt: Date, action: String, fromState: ReferralState?, toState: ReferralState, reason: ReferralReason?,
        organisation: NamedID, userName: String?, relatedReferralID: UUID?
    ) {
        self.occurredAt = occurredAt
        self.action = action
        self.fromState = fromState
        self.toState = toState
        self.reason = reason
        self.organisation = organisation
        self.userName = userName
        self.relatedReferralID = relatedReferralID
    }
}

/// Which referrals someone sees in lists: their organisation's own (caseworkers) and those ever submitted to the
/// programmes they coordinate. Drafts stay with the referrer, also when withdrawn without being submitted.
public struct ReferralVisibility: Sendable, Hashable {
    public var referringOrganisation: UUID?
    public var programmes: Set<UUID>

    public init(_ actor: Actor) {
        referringOrganisation = actor.roles.contains(.caseworker) ? actor.organisationID : nil
        programmes = actor.roles.contains(.coordinator) ? actor.coordinatedProgrammes : []
    }

    /// Whether either side is open: one who is neither caseworker nor coordinator sees no referral in a list.
    public var seesAny: Bool { referringOrganisation != nil || !programmes.isEmpty }

    /// Only the coordinator's side: the programmes' inbox, without the organisation's own referrals.
    public var programmeSide: ReferralVisibility {
        var side = self
        side.referringOrganisation = nil
        return side
    }
}
