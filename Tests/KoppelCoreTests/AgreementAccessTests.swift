import Foundation
import KoppelCore
import Testing

/// Funders' figures are those their agreements cover: the policy, without a database.
@Suite("Statistics access by funding agreement")
struct AgreementAccessTests {
    static let enschede = UUID(), ministry = UUID(), programme = UUID(), other = UUID()
    static let twente = FundingAgreement(
        id: UUID(), funder: NamedID(id: enschede, name: "Gemeente Enschede"), programme: NamedID(id: programme, name: "Perspectief+"),
        area: NamedID(id: UUID(), name: "Twente"), firstMonth: "2026-01", lastMonth: "2026-12")
    static let north = FundingAgreement(
        id: UUID(), funder: NamedID(id: ministry, name: "JenV"), programme: NamedID(id: programme, name: "Perspectief+"),
        area: NamedID(id: UUID(), name: "Noord"), firstMonth: "2025-01", lastMonth: "2027-12")
    static let twenteLater = FundingAgreement(
        id: UUID(), funder: NamedID(id: enschede, name: "Gemeente Enschede"), programme: NamedID(id: programme, name: "Perspectief+"),
        area: NamedID(id: UUID(), name: "Twente"), firstMonth: "2026-07", lastMonth: "2027-06")
    static let all = [twente, north]
    static func period(_ text: String) -> StatisticsPeriod { StatisticsPeriod.parse(period: text, from: nil, to: nil)! }
    static func funder(_ organisation: UUID) -> Actor { Actor(userID: UUID(), organisationID: organisation, roles: [.funder]) }

    @Test("a funder's one agreement covers its programme and months: the scope carries its area")
    func inside() throws {
        let scope = try StatisticsAccess.scope(Self.funder(Self.enschede), requested: [], all: [Self.programme, Self.other], agreements: Self.all, period: Self.period("2026-Q2")).get()
        #expect(scope.programmes == [Self.programme] && scope.agreement == Self.twente && scope.referringOrganisation == nil)
    }

    @Test("outside every agreement (months, programme, another funder's agreement) is refused, naming only the funder's own")
    func outside() {
        let enschede = Self.funder(Self.enschede)
        #expect(StatisticsAccess.scope(enschede, requested: [], all: [Self.programme], agreements: Self.all, period: Self.period("2025"))
            == .failure(.outsideAgreements([Self.twente])))
        #expect(StatisticsAccess.scope(enschede, requested: [Self.other], all: [Self.programme, Self.other], agreements: Self.all, period: Self.period("2026"))
            == .failure(.outsideAgreements([Self.twente])))
        #expect(StatisticsAccess.scope(enschede, requested: [], all: [], agreements: Self.all, agreement: Self.north.id, period: Self.period("2026"))
            == .failure(.outsideAgreements([Self.twente])), "another funder's agreement: refused as if it were not there")
        #expect(StatisticsAccess.scope(Self.funder(UUID()), requested: [], all: [Self.programme], agreements: Self.all, period: Self.period("2026"))
            == .failure(.outsideAgreements([])))
    }

    @Test("two agreements that fit: the funder chooses, and each gives its own scope")
    func choose() throws {
        let enschede = Self.funder(Self.enschede)
        let agreements = Self.all + [Self.twenteLater]
        #expect(StatisticsAccess.scope(enschede, requested: [], all: [Self.programme], agreements: agreements, period: Self.period("2026-09"))
            == .failure(.chooseAgreement([Self.twente, Self.twenteLater])))
        let later = try StatisticsAccess.scope(enschede, requested: [], all: [Self.programme], agreements: agreements, agreement: Self.twenteLater.id,
                                               period: Self.period("2026-09")).get()
        #expect(later.agreement == Self.twenteLater)
        #expect(StatisticsAccess.scope(enschede, requested: [], all: [Self.programme], agreements: agreements, agreement: Self.twenteLater.id,
                                       period: Self.period("2026-03")) == .failure(.outsideAgreements([Self.twente, Self.twenteLater])))
    }

    @Test("a hub-admin may read any agreement's figures; a coordinator still sees only their whole programme; funders no whole programme")
    func others() throws {
        let hub = Actor(userID: UUID(), organisationID: UUID(), roles: [.hubAdmin])
        #expect(try StatisticsAccess.scope(hub, requested: [], all: [], agreements: Self.all, agreement: Self.north.id, period: Self.period("2027")).get().agreement == Self.north)
        let coordinator = Actor(userID: UUID(), organisationID: UUID(), roles: [.coordinator], coordinatedProgrammes: [Self.programme])
        let whole = try StatisticsAccess.scope(coordinator, requested: [], all: [Self.programme, Self.other], agreements: Self.all, period: Self.period("2026")).get()
        #expect(whole.programmes == [Self.programme] && whole.agreement == nil)
        #expect(StatisticsAccess.scope(coordinator, requested: [Self.other], all: [Self.programme, Self.other], agreements: Self.all, period: Self.period("2026"))
            == .failure(.denied(.notCoordinatorOfProgramme)))
        #expect(AccessPolicy.decide(Self.funder(Self.enschede), .viewProgrammeStatistics(programme: Self.programme)) == .deny(.notFunderOfProgramme))
        #expect(AccessPolicy.decide(Self.funder(Self.enschede), .viewAgreementStatistics(funder: Self.ministry)) == .deny(.otherOrganisation))
    }

    @Test("months an agreement does not cover narrow to those it does, else to its last twelve")
    func fitted() {
        #expect(Self.twente.fitted(Self.period("2026-Q2")) == Self.period("2026-Q2"))
        #expect(Self.twenteLater.fitted(Self.period("2026")) == StatisticsPeriod(first: "2026-07", last: "2026-12"))
        #expect(Self.twenteLater.fitted(Self.period("2024")) == StatisticsPeriod(first: "2026-07", last: "2027-06"))
        #expect(Self.north.fitted(Self.period("2030")) == Self.period("2027"))
    }
}
