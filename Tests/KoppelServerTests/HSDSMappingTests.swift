import Foundation
import KoppelCore
import Testing

@testable import KoppelServer

/// The fields every record of the error cases shares: its id, and its organisation's.
private let withOrganisation = "\"organization_id\": \"0b6d1e2a-3c4f-4a5b-8c6d-7e8f9a0b1c2d\""
private let withID = "\"id\": \"1c7e2f3b-4d5a-4b6c-9d7e-8f9a0b1c2d3e\""

/// The mapping between Koppel's directory and HSDS 3.0, without a database: what is published, and how a file is read.
@Suite("HSDS mapping")
struct HSDSMappingTests {
    static let catalogues = try! Catalogues.bundled()
    static let schema = try! HSDSSchema.bundled()
    static let languages: Set<String> = ["nl", "en", "ar", "tr"]

    static func entry(confirmed: Date? = nil, free: Int? = 2) -> DirectoryEntry {
        let programme = Programme(
            id: UUID(uuidString: "5a1c6d7f-8b9e-4f0a-9b1c-2d3e4f5a6b7c")!, slug: "pimenta", name: "PIMENTA",
            description: LocalizedText(dutch: "Begeleid zelfstandig wonen.", english: "Supported independent living."), status: .paused,
            operatorOrganisation: OrganisationSummary(id: UUID(uuidString: "6b2d7e8a-9c0f-4a1b-8c2d-3e4f5a6b7c8d")!, name: "De Aanzet", website: "https://aanzet.example"),
            eligibility: Eligibility(minimumAge: 16, maximumAge: 25, targetGroups: [.humanTrafficking], description: LocalizedText(dutch: "Jongeren.")),
            serviceAreas: [ServiceArea(name: "Mechelen", extent: .municipality)], languages: ["nl", "fr"], typicalDurationMonths: 12,
            applicationProcess: nil, website: nil, placesTotal: 2)
        return DirectoryEntry(programme: programme, confirmedAt: confirmed, lastModified: Date(timeIntervalSince1970: 1_772_355_600), freePlaces: free)
    }

    @Test("a programme is a service and its program; eligibility, ages, areas, languages; free places and target groups as attributes")
    func service() throws {
        let confirmed = Date(timeIntervalSince1970: 1_772_406_000)  // 2026-03-01T23:00:00Z: 2 March in Amsterdam
        let service = HSDSMapping.service(Self.entry(confirmed: confirmed), catalogue: Self.catalogues[.english], nested: true)
        #expect(service.id == "5a1c6d7f-8b9e-4f0a-9b1c-2d3e4f5a6b7c" && service.status == "temporarily closed")
        #expect(service.description == "Supported independent living." && service.eligibilityDescription == "Jongeren.")
        #expect(service.minimumAge == 16 && service.maximumAge == 25)
        #expect(service.assuredDate == "2026-03-02", "the day in Amsterdam")
        #expect(service.lastModified == "2026-03-01T09:00:00Z")
        #expect(service.program.id == service.programID && service.program.organizationID == service.organizationID)
        #expect(service.serviceAreas?.map(\.name) == ["Mechelen"] && service.languages?.map(\.code) == ["nl", "fr"])
        let free = try #require(service.attributes?.first { $0.taxonomyTerm.code == "free_places" })
        #expect(free.value == "2" && free.linkType == "capacity" && free.linkID == service.id)
        #expect(service.attributes?.contains { $0.taxonomyTerm.code == "target_group:human_trafficking" } == true)
        let list = HSDSMapping.service(Self.entry(), catalogue: Self.catalogues[.dutch], nested: false)
        #expect(list.serviceAreas == nil && list.attributes == nil && list.assuredDate == nil)
        #expect(list.description == "Begeleid zelfstandig wonen.")
        let unlimited = HSDSMapping.service(Self.entry(free: nil), catalogue: Self.catalogues[.dutch], nested: true)
        #expect(unlimited.attributes?.contains { $0.taxonomyTerm.code == "free_places" } == false)
    }

    @Test("the same document twice has the same nested ids")
    func stableIDs() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let first = try encoder.encode(HSDSMapping.service(Self.entry(), catalogue: Self.catalogues[.dutch], nested: true))
        let second = try encoder.encode(HSDSMapping.service(Self.entry(), catalogue: Self.catalogues[.dutch], nested: true))
        #expect(first == second)
    }

    private func read(_ object: Any) -> Result<HSDSImportFile, HSDSImportRefusal> {
        HSDSImportFile.read(try! JSONSerialization.data(withJSONObject: object), schema: Self.schema, languages: Self.languages)
    }

    private func errors(_ object: Any) -> [ImportRecordError] {
        if case .failure(let refusal) = read(object) { return refusal.errors }
        return []
    }

    @Test("a valid file is read into organisations and services, nested ones too")
    func reads() throws {
        let organisation = "0b6d1e2a-3c4f-4a5b-8c6d-7e8f9a0b1c2d"
        let file = try read([
            "organizations": [[
                "id": organisation, "name": "Wijkteam", "description": "Het wijkteam.",
                "services": [["id": "1c7e2f3b-4d5a-4b6c-9d7e-8f9a0b1c2d3e", "name": "Maatjes", "status": "active",
                              "languages": [["id": "4f0b5c6e-7a8d-4e9f-8a0b-1c2d3e4f5a6b", "code": "tur"]]]],
            ]],
        ]).get()
        #expect(file.organisations.map(\.name) == ["Wijkteam"])
        #expect(file.services.first?.organisationHSDSID == UUID(uuidString: organisation))
        #expect(file.services.first?.languages == ["tr"])
        let page = try read(["contents": [[
            "id": "1c7e2f3b-4d5a-4b6c-9d7e-8f9a0b1c2d3e", "name": "Maatjes", "status": "active",
            "organization": ["id": organisation, "name": "Wijkteam", "description": "Het wijkteam."],
        ]]]).get()
        #expect(page.services.count == 1 && page.organisations.count == 1)
    }

    @Test("each error names the record, the field and the reason", arguments: [
        ("{\(withID), \"name\": \"X\", \"status\": \"open\", \(withOrganisation)}", "status", "is 'open'; it must be one of"),
        ("{\(withID), \"status\": \"active\", \(withOrganisation)}", "name", "is required by HSDS 3.0"),
        ("{\(withID), \"name\": \"X\", \"status\": \"active\", \(withOrganisation), \"minimum_age\": 17.5}", "minimum_age", "whole number of years"),
        ("{\(withID), \"name\": \"X\", \"status\": \"active\", \(withOrganisation), \"minimum_age\": 30, \"maximum_age\": 20}", "maximum_age", "below minimum_age"),
        ("{\(withID), \"name\": \"X\", \"status\": \"active\", \(withOrganisation), \"url\": \"javascript:alert(1)\"}", "url", "web address"),
        ("{\(withID), \"name\": \"X\", \"status\": \"active\"}", "organization_id", "is needed"),
        ("{\(withID), \"name\": \"X\", \"status\": \"active\", \"organization_id\": \"9b6d1e2a-3c4f-4a5b-8c6d-7e8f9a0b1c2d\"}", "organization_id", "not in this file"),
        ("{\(withID), \"name\": \"X\\u0000\", \"status\": \"active\", \(withOrganisation)}", "name", "NUL"),
        ("{\"id\": \"not-a-uuid\", \"name\": \"X\", \"status\": \"active\", \(withOrganisation)}", "id", "not an id"),
        ("{\(withID), \"name\": \"X\", \"status\": \"active\", \(withOrganisation), \"languages\": [{\"id\": \"4f0b5c6e-7a8d-4e9f-8a0b-1c2d3e4f5a6b\", \"code\": \"xx\"}]}", "languages", "not one of Koppel's languages"),
    ])
    func namedErrors(serviceJSON: String, field: String, reason: String) throws {
        let service = try #require(try JSONSerialization.jsonObject(with: Data(serviceJSON.utf8)) as? [String: Any])
        let file: [String: Any] = [
            "organizations": [["id": "0b6d1e2a-3c4f-4a5b-8c6d-7e8f9a0b1c2d", "name": "Wijkteam", "description": "Het wijkteam."]],
            "services": [service],
        ]
        let found = errors(file)
        let record = String((service["id"] as? String ?? "").prefix(60))
        #expect(found.contains { $0.record == record && $0.field == field && $0.reason.contains(reason) }, "\(found)")
    }

    @Test("a file of neither shape, or not JSON, is refused as a whole")
    func wholeFile() {
        #expect(errors(["something": 1]).first?.reason.contains("neither organizations nor services") == true)
        if case .failure(let refusal) = HSDSImportFile.read(Data("{".utf8), schema: Self.schema, languages: Self.languages) {
            #expect(refusal.errors.first?.reason == "is not JSON")
        } else {
            Issue.record("broken JSON was read")
        }
    }
}
