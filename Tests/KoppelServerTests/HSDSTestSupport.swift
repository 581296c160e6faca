import Foundation
import HummingbirdTesting
import KoppelCore
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// HSDS files for the import tests: a municipality's social map with one organisation and two services.
enum HSDSFixture {
    static let organisation = "0b6d1e2a-3c4f-4a5b-8c6d-7e8f9a0b1c2d"
    static let buddies = "1c7e2f3b-4d5a-4b6c-9d7e-8f9a0b1c2d3e"
    static let housing = "2d8f3a4c-5e6b-4c7d-8e8f-9a0b1c2d3e4f"

    /// The social map; `rename` changes the buddy service's name, as a second export of the publisher might.
    static func socialMap(rename: String? = nil) -> [String: Any] {
        [
            "organizations": [
                ["id": organisation, "name": "Sociaal Wijkteam Centrum", "description": "Het wijkteam van de gemeente.",
                 "website": "https://wijkteam.example.nl"],
            ],
            "services": [
                ["id": buddies, "organization_id": organisation, "name": rename ?? "Maatjes voor nieuwkomers", "status": "active",
                 "description": "Een maatje voor een jaar.", "eligibility_description": "Nieuwkomers in de wijk.", "minimum_age": 18,
                 "maximum_age": 99, "service_areas": [["id": "3e9a4b5d-6f7c-4d8e-9f9a-0b1c2d3e4f5a", "name": "Den Haag"]],
                 "languages": [["id": "4f0b5c6e-7a8d-4e9f-8a0b-1c2d3e4f5a6b", "code": "nld"], ["id": "5a1c6d7f-8b9e-4f0a-9b1c-2d3e4f5a6b7c", "code": "ar"]]],
                ["id": housing, "organization_id": organisation, "name": "Woonbegeleiding", "status": "inactive",
                 "description": "Begeleid wonen."],
            ],
        ]
    }

    /// The social map with one broken record: a service whose minimum_age is text and whose status is not HSDS's.
    static func broken() -> [String: Any] {
        var file = socialMap()
        var services = file["services"] as! [[String: Any]]
        services[1]["minimum_age"] = "achttien"
        services[1]["status"] = "open"
        file["services"] = services
        return file
    }

    /// How many programmes Koppel keeps, whatever their status.
    static func programmeCount(_ database: TestDatabase) async throws -> Int {
        try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { db in
            try await db.query("SELECT count(*)::integer FROM programmes", logger: quietLogger).collect().first!.decode(Int.self)
        }
    }

    /// An API token of a new hub-admin.
    static func hubAdminToken(_ database: TestDatabase) async throws -> String {
        let person = try await TestPeople.make(database, organisation: "vluchtelingenwerk", email: "hub@koppel.example", roles: [.hubAdmin])
        return try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
            try await APITokenStore(client: db, logger: quietLogger)
                .create(userID: person.id, organisation: person.organisation, name: "test", expiresInDays: 1).token.value
        }
    }
}
