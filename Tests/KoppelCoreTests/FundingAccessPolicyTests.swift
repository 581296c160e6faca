import Foundation
import KoppelCore
import Testing

/// Who may keep areas and funding agreements (hub-admins), and who may read a funder's (that funder, hub-admins).
@Suite("The access policy on funding agreements")
struct FundingAccessPolicyTests {
    static let own = UUID()
    static let other = UUID()

    static func actor(_ roles: Set<Role>) -> Actor {
        Actor(userID: UUID(), organisationID: own, roles: roles)
    }

    @Test("only a hub-admin manages agreements and areas", arguments: Role.allCases)
    func manage(role: Role) {
        let decision = AccessPolicy.decide(Self.actor([role]), .manageFundingAgreements)
        #expect(decision == (role == .hubAdmin ? .allow : .deny(.missingRole(.hubAdmin))))
    }

    @Test("a funder reads its own organisation's agreements, not another's; a hub-admin any; nobody else", arguments: Role.allCases)
    func view(role: Role) {
        let actor = Self.actor([role])
        let own = AccessPolicy.decide(actor, .viewFundingAgreements(funder: Self.own))
        let other = AccessPolicy.decide(actor, .viewFundingAgreements(funder: Self.other))
        switch role {
        case .hubAdmin:
            #expect(own == .allow && other == .allow)
        case .funder:
            #expect(own == .allow)
            #expect(other == .deny(.otherOrganisation))
        default:
            #expect(own == .deny(.missingRole(.funder)) && other == .deny(.missingRole(.funder)))
        }
    }

    @Test("a funder who is also an org-admin still may not change agreements; nobody signed out may read them")
    func combinations() {
        #expect(!AccessPolicy.decide(Self.actor([.funder, .orgAdmin]), .manageFundingAgreements).isAllowed)
        #expect(AccessPolicy.decide(nil, .viewFundingAgreements(funder: Self.own)) == .deny(.notSignedIn))
        #expect(AccessPolicy.decide(nil, .manageFundingAgreements) == .deny(.notSignedIn))
    }
}
