import Foundation

extension DenialReason: Error {}

/// Whose referrals a report counts.
public struct StatisticsScope: Sendable, Hashable {
    public let programmes: [UUID]
    /// Only the referrals this organisation filed (a caseworker's figures), or nil for all.
    public let referringOrganisation: UUID?
    /// The funding agreement the figures are restricted to (its programme, area and months), or nil for whole
    /// programmes.
    public let agreement: FundingAgreement?

    public init(programmes: [UUID], referringOrganisation: UUID?, agreement: FundingAgreement? = nil) {
        self.programmes = programmes
        self.referringOrganisation = referringOrganisation
        self.agreement = agreement
    }
}

/// Why a report was refused, with what the reader may ask for instead.
public enum StatisticsRefusal: Error, Sendable, Hashable {
    case denied(DenialReason)
    /// A funder asked for something no agreement of theirs covers; these are theirs.
    case outsideAgreements([FundingAgreement])
    /// Several of the funder's agreements cover the request: the funder chooses one.
    case chooseAgreement([FundingAgreement])
}

/// Which figures someone may see, from the policy: coordinators their own programmes', hub-admins all; funders
/// exactly what one of their funding agreements covers (its programme, area and months); a caseworker those of their
/// own organisation's referrals.
public enum StatisticsAccess {
    /// The scope of a report on `requested` programmes (empty: every programme the actor may see) over `period`, or of
    /// the funding agreement `agreement`. A programme the actor may not see is refused by name, never silently left out.
    public static func scope(
        _ actor: Actor, requested: [UUID], all: [UUID], agreements: [FundingAgreement], agreement: UUID? = nil, period: StatisticsPeriod
    ) -> Result<StatisticsScope, StatisticsRefusal> {
        // A programme named twice counts once: added up twice, its figures would pass suppression multiplied.
        var seen: Set<UUID> = []
        let requested = requested.filter { seen.insert($0).inserted }
        let own = agreements.filter { $0.funder.id == actor.organisationID }
        func fits(_ candidate: FundingAgreement) -> Bool {
            (requested.isEmpty || requested == [candidate.programme.id]) && candidate.covers(period)
        }
        if let agreement {
            guard let named = agreements.first(where: { $0.id == agreement }),
                AccessPolicy.decide(actor, .viewAgreementStatistics(funder: named.funder.id)).isAllowed
            else { return .failure(.outsideAgreements(own)) }
            guard fits(named) else { return .failure(.outsideAgreements(actor.roles.contains(.hubAdmin) ? [named] : own)) }
            return .success(StatisticsScope(programmes: [named.programme.id], referringOrganisation: nil, agreement: named))
        }
        func whole(_ programme: UUID) -> Decision { AccessPolicy.decide(actor, .viewProgrammeStatistics(programme: programme)) }
        if requested.isEmpty {
            let visible = all.filter { whole($0).isAllowed }
            if !visible.isEmpty { return .success(StatisticsScope(programmes: visible, referringOrganisation: nil)) }
        } else if requested.allSatisfy({ whole($0).isAllowed }) {
            return .success(StatisticsScope(programmes: requested, referringOrganisation: nil))
        }
        if actor.roles.contains(.funder) {
            let fitting = own.filter(fits)
            if fitting.count == 1 { return .success(StatisticsScope(programmes: [fitting[0].programme.id], referringOrganisation: nil, agreement: fitting[0])) }
            return .failure(fitting.isEmpty ? .outsideAgreements(own) : .chooseAgreement(fitting))
        }
        let ownReferrals = AccessPolicy.decide(actor, .viewReferrerStatistics(referringOrganisation: actor.organisationID))
        guard ownReferrals.isAllowed else {
            if let refused = requested.lazy.compactMap({ whole($0).reason }).first { return .failure(.denied(refused)) }
            return .failure(.denied(.missingRole(.funder)))
        }
        return .success(StatisticsScope(programmes: requested.isEmpty ? all : requested, referringOrganisation: actor.organisationID))
    }

    /// The agreements whose figures `actor` may ask for, as a funder chooses among them (hub-admins: every one).
    public static func agreements(of actor: Actor, among agreements: [FundingAgreement]) -> [FundingAgreement] {
        agreements.filter { AccessPolicy.decide(actor, .viewAgreementStatistics(funder: $0.funder.id)).isAllowed }
    }
}

extension Decision {
    /// Why it was denied, if it was.
    var reason: DenialReason? {
        if case .deny(let reason) = self { return reason }
        return nil
    }
}
