import Foundation

/// Through what someone asks for a client's identifying data.
public enum ClientRoute: Sendable, Hashable {
    /// As the organisation that registered the client.
    case registeringOrganisation(UUID)
    /// Through a referral of the client, in its current state.
    case referral(ReferralScope, state: ReferralState)
}

/// Why identifying data is not shown. Says what is missing, never what exists.
public enum DisclosureDenial: Error, Sendable, Hashable, CustomStringConvertible {
    case policy(DenialReason)
    case referralClosed(ReferralState)
    case noConsent(ConsentPurpose)
    /// A reveal states why the data is needed: to know who the client is, or to contact them.
    case notARevealPurpose

    public var description: String {
        switch self {
        case .policy(let reason): reason.description
        case .referralClosed(let state):
            "the referral is \(state.rawValue); the receiving programme sees identifying data only while a referral is submitted, waitlisted, accepted or active"
        case .noConsent(let purpose): "no consent in force permits your organisation this for the purpose \(purpose.rawValue)"
        case .notARevealPurpose: "a reveal needs the purpose share_identity or contact"
        }
    }
}

/// What a reveal may show, and the consents that allow it.
public struct RevealGrant: Sendable, Hashable {
    public let fields: [IdentityField]
    public let consents: Set<UUID>
}

/// The one place that decides who sees identifying data: the access policy first, then, for the receiving
/// programme, the referral's state, then the client's consents. Funders never get this far.
public enum Disclosure {
    /// The states in which the receiving programme may see the client's data.
    public static let openToProgramme: Set<ReferralState> = [.submitted, .waitlisted, .accepted, .active]

    /// Which identity fields `actor` may see for `purpose`, through `route`, given the client's consents on `day`.
    public static func reveal(
        _ actor: Actor, through route: ClientRoute, purpose: ConsentPurpose, consents: [Consent], on day: String
    ) -> Result<RevealGrant, DisclosureDenial> {
        guard purpose != .referral else { return .failure(.notARevealPurpose) }
        switch subject(actor, through: route) {
        case .failure(let denial): return .failure(denial)
        case .success(let programme):
            let permitted = ConsentEvaluation.permittedClasses(
                consents, organisation: actor.organisationID, programme: programme, purpose: purpose, on: day)
            guard !permitted.isEmpty else { return .failure(.noConsent(purpose)) }
            let fields = IdentityField.allCases.filter { permitted[$0.dataClass] != nil }
            return .success(RevealGrant(fields: fields, consents: Set(permitted.values)))
        }
    }

    /// Whether `actor` may read and write the messages of a referral: they are identifying data, used to process
    /// the referral, so the same rules hold for the purpose `referral`.
    public static func messages(
        _ actor: Actor, through route: ClientRoute, consents: [Consent], on day: String
    ) -> Result<UUID, DisclosureDenial> {
        switch subject(actor, through: route) {
        case .failure(let denial): return .failure(denial)
        case .success(let programme):
            guard
                let consent = ConsentEvaluation.permitting(
                    consents, organisation: actor.organisationID, programme: programme, purpose: .referral, dataClass: nil, on: day)
            else { return .failure(.noConsent(.referral)) }
            return .success(consent.id)
        }
    }

    /// Whether `actor` may ask through `route` at all (the policy and the referral's state), before any consent
    /// is read: pages offer a reveal and show a thread only then; the consents decide when it is asked.
    public static func mayAsk(_ actor: Actor, through route: ClientRoute) -> Bool {
        if case .success = subject(actor, through: route) { return true }
        return false
    }

    /// The policy's and the referral state's part: on success, the programme the actor acts for (nil for the
    /// referring side).
    static func subject(_ actor: Actor, through route: ClientRoute) -> Result<UUID?, DisclosureDenial> {
        if case .deny(let reason) = AccessPolicy.decide(actor, .useClientData(route)) { return .failure(.policy(reason)) }
        guard case .referral(let scope, let state) = route, !AccessPolicy.refersFor(actor, scope) else { return .success(nil) }
        guard openToProgramme.contains(state) else { return .failure(.referralClosed(state)) }
        return .success(scope.programme)
    }
}
