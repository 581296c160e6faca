import Foundation

/// A programme and the organisations that fund it: what the policy needs to decide on its figures.
public struct ProgrammeFunding: Sendable, Hashable {
    public let programme: UUID
    public let funders: Set<UUID>

    public init(programme: UUID, funders: Set<UUID>) {
        self.programme = programme
        self.funders = funders
    }
}

extension DenialReason: Error {}

/// Whose referrals a report counts.
public struct StatisticsScope: Sendable, Hashable {
    public let programmes: [UUID]
    /// Only the referrals this organisation filed (a caseworker's figures), or nil for all.
    public let referringOrganisation: UUID?
}

/// Which figures someone may see, from the policy: funders those of the programmes they fund, coordinators their
/// own programmes', hub-admins all; a caseworker those of their own organisation's referrals.
public enum StatisticsAccess {
    /// The scope of a report on `requested` programmes (empty: every programme the actor may see). A programme
    /// the actor may not see is refused by name, never silently left out.
    public static func scope(_ actor: Actor, requested: [ProgrammeFunding], all: [ProgrammeFunding]) -> Result<StatisticsScope, DenialReason> {
        // A programme named twice counts once: added up twice, its figures would pass suppression multiplied.
        var seen: Set<UUID> = []
        let requested = requested.filter { seen.insert($0.programme).inserted }
        func whole(_ programme: ProgrammeFunding) -> Decision {
            AccessPolicy.decide(actor, .viewProgrammeStatistics(programme: programme.programme, funders: programme.funders))
        }
        let ownReferrals = AccessPolicy.decide(actor, .viewReferrerStatistics(referringOrganisation: actor.organisationID)).isAllowed
        if requested.isEmpty {
            let visible = all.filter { whole($0).isAllowed }
            if !visible.isEmpty { return .success(StatisticsScope(programmes: visible.map(\.programme), referringOrganisation: nil)) }
            guard ownReferrals else { return .failure(.missingRole(.funder)) }
            return .success(StatisticsScope(programmes: all.map(\.programme), referringOrganisation: actor.organisationID))
        }
        for programme in requested {
            if case .deny(let reason) = whole(programme) {
                guard ownReferrals else { return .failure(reason) }
                return .success(StatisticsScope(programmes: requested.map(\.programme), referringOrganisation: actor.organisationID))
            }
        }
        return .success(StatisticsScope(programmes: requested.map(\.programme), referringOrganisation: nil))
    }
}
