import Foundation
import KoppelCore
import Testing

@Suite("The HSDS directory's rules")
struct DirectoryRuleTests {
    private func parse(_ parameters: [String: [String]], accepting extra: Set<String> = []) -> Result<DirectoryQuery, DirectoryQueryError> {
        DirectoryQuery.parse(parameters, accepting: extra)
    }

    private func refusal(_ parameters: [String: [String]]) -> String? {
        if case .failure(let error) = parse(parameters) { return error.message }
        return nil
    }

    @Test("no parameters: the first page of 50, everything")
    func defaults() throws {
        let query = try parse([:]).get()
        #expect(query == DirectoryQuery(search: nil, page: 1, perPage: 50, modifiedAfter: nil))
        #expect(query.offset == 0)
    }

    @Test("page, per_page, search and modified_after are read into bounded values")
    func reads() throws {
        let query = try parse(["page": ["3"], "per_page": ["20"], "search": ["  maatje "], "modified_after": ["2026-03-01T09:00:00Z"]]).get()
        #expect(query.page == 3 && query.perPage == 20 && query.offset == 40)
        #expect(query.search == "maatje")
        #expect(query.modifiedAfter == Date(timeIntervalSince1970: 1_772_355_600))
    }

    @Test("a day for modified_after is its midnight in Amsterdam")
    func dayIsAmsterdamMidnight() throws {
        let query = try parse(["modified_after": ["2026-03-01"]]).get()
        #expect(query.modifiedAfter.map(DirectoryTime.dateTime) == "2026-02-28T23:00:00Z")
    }

    @Test("bad values are refused with what to send instead", arguments: [
        (["page": ["0"]], "page must be a whole number from 1"),
        (["page": ["-1"]], "page must be a whole number from 1"),
        (["page": ["abc"]], "page must be a whole number from 1"),
        (["page": ["99999999999999999999999"]], "page must be a whole number from 1"),
        (["per_page": ["10000"]], "per_page must be a whole number from 1 to 100"),
        (["per_page": ["0"]], "per_page must be a whole number from 1 to 100"),
        (["modified_after": ["garbage"]], "modified_after must be a date-time with its offset"),
        (["modified_after": ["2026-02-30"]], "modified_after must be a date-time with its offset"),
        (["modified_after": ["2026-03-01T09:00:00"]], "modified_after must be a date-time with its offset"),
        (["search": [String(repeating: "a", count: 201)]], "search may have at most 200 characters"),
        (["search": ["a\u{7}b"]], "search may not hold control characters"),
        (["page": ["1", "2"]], "'page' is given more than once"),
        (["sort": ["name"]], "'sort' is not a filter this list takes"),
        (["format": ["ndjson"]], "format 'ndjson' is not served here"),
    ])
    func refused(parameters: [String: [String]], message: String) {
        let refused = refusal(parameters)
        #expect(refused?.hasPrefix(message) == true, "\(refused ?? "accepted")")
    }

    @Test("organization_id only where the list takes it, and only as a UUID")
    func organisationFilter() throws {
        let id = UUID()
        #expect(try parse(["organization_id": [id.uuidString]], accepting: ["organization_id"]).get().organisation == id)
        #expect(refusal(["organization_id": [id.uuidString]]) != nil)
        if case .success = parse(["organization_id": ["x"]], accepting: ["organization_id"]) { Issue.record("a non-UUID was accepted") }
    }

    @Test("page shape: totals, first and last, empty past the end")
    func pageShape() {
        let middle = DirectoryPage(items: [1, 2], totalItems: 5, pageNumber: 2, perPage: 2)
        #expect(middle.totalPages == 3 && !middle.isFirstPage && !middle.isLastPage && !middle.isEmpty)
        let last = DirectoryPage(items: [5], totalItems: 5, pageNumber: 3, perPage: 2)
        #expect(last.isLastPage)
        let past = DirectoryPage<Int>(items: [], totalItems: 5, pageNumber: 9, perPage: 2)
        #expect(past.isLastPage && past.isEmpty)
        let none = DirectoryPage<Int>(items: [], totalItems: 0, pageNumber: 1, perPage: 50)
        #expect(none.totalPages == 0 && none.isFirstPage && none.isLastPage && none.isEmpty)
    }

    @Test("derived ids are stable, differ per owner and part, and are version 8 UUIDs")
    func derivedIdentifiers() {
        let owner = UUID(uuidString: "11111111-2222-4333-8444-555555555555")!
        let first = DerivedIdentifier.make(owner, "service_area/0")
        #expect(first == DerivedIdentifier.make(owner, "service_area/0"))
        #expect(first != DerivedIdentifier.make(owner, "service_area/1"))
        #expect(first != DerivedIdentifier.make(UUID(), "service_area/0"))
        let text = first.uuidString.lowercased()
        #expect(Array(text)[14] == "8")
        #expect("89ab".contains(Array(text)[19]))
    }

    @Test("an imported service is listed but never opened by an import; a withdrawn one is closed", arguments: [
        ("active", nil, ProgrammeStatus.paused),
        ("temporarily closed", nil, .paused),
        ("inactive", nil, .closed),
        ("defunct", ProgrammeStatus.open, .closed),
        ("active", .open, .open),
        ("active", .paused, .paused),
        ("active", .closed, .paused),
    ] as [(String, ProgrammeStatus?, ProgrammeStatus)])
    func importedStatus(publisher: String, current: ProgrammeStatus?, expected: ProgrammeStatus) {
        #expect(ImportedStatus.status(publisher: publisher, current: current) == expected)
    }

    @Test("an import plan counts added, changed and unchanged records")
    func plan() {
        let organisation = ImportedOrganisation(hsdsID: UUID(), name: "Sociaal Wijkteam", description: "Wijkteam", website: nil)
        var renamed = organisation
        renamed.name = "Wijkteam Centrum"
        #expect(ImportPlan.change(organisation, existing: nil) == .added)
        #expect(ImportPlan.change(organisation, existing: organisation) == .unchanged)
        #expect(ImportPlan.change(renamed, existing: organisation) == .changed)
    }

    @Test("slugs are plain, readable and carry the start of the id")
    func slugs() {
        let id = UUID(uuidString: "1a2b3c4d-0000-4000-8000-000000000000")!
        #expect(Slug.make("Buddyhulp Den Haag", id) == "buddyhulp-den-haag-1a2b3c4d")
        #expect(Slug.make("Café Óók!", id) == "cafe-ook-1a2b3c4d")
        #expect(Slug.make("—", id) == "hsds-1a2b3c4d")
    }

    @Test("only the programme's coordinators confirm its entry; only hub-admins import")
    func policy() {
        let programme = UUID()
        let organisation = UUID()
        let coordinator = Actor(userID: UUID(), organisationID: organisation, roles: [.coordinator], coordinatedProgrammes: [programme])
        let otherCoordinator = Actor(userID: UUID(), organisationID: organisation, roles: [.coordinator], coordinatedProgrammes: [UUID()])
        let hubAdmin = Actor(userID: UUID(), organisationID: organisation, roles: [.hubAdmin])
        #expect(AccessPolicy.decide(coordinator, .confirmDirectoryEntry(programme: programme)) == .allow)
        #expect(AccessPolicy.decide(otherCoordinator, .confirmDirectoryEntry(programme: programme)) == .deny(.notCoordinatorOfProgramme))
        #expect(AccessPolicy.decide(hubAdmin, .confirmDirectoryEntry(programme: programme)) == .deny(.missingRole(.coordinator)))
        #expect(AccessPolicy.decide(nil, .confirmDirectoryEntry(programme: programme)) == .deny(.notSignedIn))
        #expect(AccessPolicy.decide(hubAdmin, .importDirectory) == .allow)
        #expect(AccessPolicy.decide(coordinator, .importDirectory) == .deny(.missingRole(.hubAdmin)))
        #expect(AccessPolicy.decide(nil, .importDirectory) == .deny(.notSignedIn))
    }
}
