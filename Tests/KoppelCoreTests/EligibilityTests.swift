import Foundation
import KoppelCore
import Testing

@Suite("Eligibility at submission")
struct EligibilityTests {
    static let denHaag = Municipality(
        code: "GM0518", name: "'s-Gravenhage", region: "Agglomeratie 's-Gravenhage", country: "Nederland", names: ["den haag"],
        places: ["zuid holland", "haaglanden", "west nederland"])
    static let enschede = Municipality(code: "GM0153", name: "Enschede", region: "Twente", country: "Nederland", places: ["overijssel"])
    static let mechelen = Municipality(code: "12025", name: "Mechelen", region: "Arrondissement Mechelen", country: "België", names: ["malines"], places: ["antwerpen"])

    static func programme(
        minimumAge: Int? = nil, maximumAge: Int? = nil, groups: [TargetGroup] = [], areas: [ServiceArea], status: ProgrammeStatus = .open
    ) -> Programme {
        Programme(
            id: UUID(), slug: "p", name: "P", description: LocalizedText(dutch: "p", english: nil), status: status,
            operatorOrganisation: OrganisationSummary(id: UUID(), name: "O", website: nil),
            eligibility: Eligibility(minimumAge: minimumAge, maximumAge: maximumAge, targetGroups: groups, description: nil),
            serviceAreas: areas, languages: ["nl"], typicalDurationMonths: nil, applicationProcess: nil, website: nil)
    }

    static let pimenta = programme(minimumAge: 16, maximumAge: 25, groups: [.humanTrafficking], areas: [.init(name: "Mechelen", extent: .municipality)])

    @Test("PIMENTA takes trafficking victims of 16 to 25 from Mechelen, and no one else")
    func pimentaAges() {
        #expect(Self.pimenta.unmetRules(ageBand: .from16to17, municipality: Self.mechelen, targetGroup: .humanTrafficking).isEmpty)
        #expect(Self.pimenta.unmetRules(ageBand: .from18to25, municipality: Self.mechelen, targetGroup: .humanTrafficking).isEmpty)
        #expect(Self.pimenta.unmetRules(ageBand: .under16, municipality: Self.mechelen, targetGroup: .humanTrafficking) == [.age])
        #expect(Self.pimenta.unmetRules(ageBand: .from26to35, municipality: Self.mechelen, targetGroup: .humanTrafficking) == [.age])
        #expect(Self.pimenta.unmetRules(ageBand: .from26to35, municipality: Self.denHaag, targetGroup: .domesticViolence)
            == [.age, .region, .targetGroup])
    }

    @Test("a municipality, a region or a country covers the places within it")
    func serviceAreas() {
        let twente = Self.programme(areas: [.init(name: "Twente", extent: .region)])
        let nederland = Self.programme(areas: [.init(name: "Nederland", extent: .country)])
        #expect(twente.unmetRules(ageBand: .from36to50, municipality: Self.enschede, targetGroup: .domesticViolence).isEmpty)
        #expect(twente.unmetRules(ageBand: .from36to50, municipality: Self.denHaag, targetGroup: .domesticViolence) == [.region])
        #expect(nederland.unmetRules(ageBand: .over65, municipality: Self.denHaag, targetGroup: .socialIsolation).isEmpty)
        #expect(nederland.unmetRules(ageBand: .over65, municipality: Self.mechelen, targetGroup: .socialIsolation) == [.region])
    }

    @Test("a paused or closed programme takes no referrals; an age band across a limit does not prove eligibility")
    func statusAndStraddlingBands() {
        let paused = Self.programme(areas: [.init(name: "Den Haag", extent: .municipality)], status: .paused)
        #expect(paused.unmetRules(ageBand: .from26to35, municipality: Self.denHaag, targetGroup: .humanTrafficking) == [.programmeOpen])
        let adults = Self.programme(minimumAge: 18, maximumAge: 30, areas: [.init(name: "Den Haag", extent: .municipality)])
        #expect(adults.unmetRules(ageBand: .from26to35, municipality: Self.denHaag, targetGroup: .humanTrafficking) == [.age])
        #expect(adults.unmetRules(ageBand: .from18to25, municipality: Self.denHaag, targetGroup: .humanTrafficking).isEmpty)
    }
}

@Suite("Calendar days")
struct CalendarDayTests {
    @Test("only real days written as YYYY-MM-DD", arguments: [
        ("2026-12-01", true), ("2024-02-29", true), ("2026-02-29", false), ("2026-02-30", false), ("2026-13-45", false),
        ("2026-1-01", false), ("01-12-2026", false), ("tomorrow", false),
    ])
    func days(text: String, valid: Bool) {
        #expect(CalendarDay.isValid(text) == valid, "\(text)")
    }
}

extension EligibilityTests {
    @Test("a municipality is covered by any of its names or its code, however it is written; a region by any region or named area it lies in")
    func namesAndCodes() {
        for name in ["Den Haag", "den-haag", "'s-Gravenhage", "S GRAVENHAGE", "GM0518", "gm0518"] {
            let programme = Self.programme(areas: [.init(name: name, extent: .municipality)])
            #expect(programme.unmetRules(ageBand: .from36to50, municipality: Self.denHaag, targetGroup: .domesticViolence).isEmpty, "\(name)")
        }
        #expect(Self.programme(areas: [.init(name: "Malines", extent: .municipality)])
            .unmetRules(ageBand: .from36to50, municipality: Self.mechelen, targetGroup: .domesticViolence).isEmpty)
        #expect(Self.programme(areas: [.init(name: "Zuid-Holland", extent: .region)])
            .unmetRules(ageBand: .from36to50, municipality: Self.denHaag, targetGroup: .domesticViolence).isEmpty)
        #expect(Self.programme(areas: [.init(name: "Den Haag", extent: .region)])
            .unmetRules(ageBand: .from36to50, municipality: Self.denHaag, targetGroup: .domesticViolence) == [.region],
            "a municipality's name is no region")
        #expect(Self.programme(areas: [.init(name: "Delft", extent: .municipality)])
            .unmetRules(ageBand: .from36to50, municipality: Self.denHaag, targetGroup: .domesticViolence) == [.region])
    }
}
