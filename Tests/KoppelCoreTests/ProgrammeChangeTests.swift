import KoppelCore
import Testing

@Suite("Changing a programme")
struct ProgrammeChangeTests {
    @Test("a sensible change has no problems")
    func fine() {
        var change = ProgrammeChange()
        change.status = .paused
        change.placesTotal = 30
        change.minimumAge = 18
        change.languages = ["nl", "ar"]
        #expect(change.problems(currentMinimumAge: nil, currentMaximumAge: 25).isEmpty)
    }

    @Test("a change that changes nothing is refused")
    func empty() {
        #expect(ProgrammeChange().problems(currentMinimumAge: nil, currentMaximumAge: nil) == ["the change names no field to change"])
    }

    @Test("each bad value is named, ages are checked against the ages the programme keeps")
    func problems() {
        var change = ProgrammeChange()
        change.placesTotal = -1
        change.minimumAge = 30
        change.languages = ["Nederlands"]
        change.serviceAreas = []
        change.typicalDurationMonths = 0
        change.description[.dutch] = "  "
        let problems = change.problems(currentMinimumAge: 16, currentMaximumAge: 25)
        #expect(problems == [
            "places_total must be from 0 to 100000", "minimum_age (30) may not be above maximum_age (25)",
            "typical_duration_months must be from 1 to 120", "languages are ISO 639-1 codes such as nl or en",
            "service_areas needs at least one area", "description_nl may not be empty",
        ])
    }
}
