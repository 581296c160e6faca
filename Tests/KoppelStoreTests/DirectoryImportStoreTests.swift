import Foundation
import KoppelCore
import KoppelStore
import KoppelTestSupport
import Logging
import PostgresNIO
import Testing

/// The import's store against real PostgreSQL: one transaction per file, keyed by the HSDS ids, and only hub-admins
/// through the app role (the `directory_import` functions check it again after the access policy).
@Suite("Directory import store")
struct DirectoryImportStoreTests {
    let logger = quietLogger
    static let organisation = ImportedOrganisation(
        hsdsID: UUID(uuidString: "0b6d1e2a-3c4f-4a5b-8c6d-7e8f9a0b1c2d")!, name: "Sociaal Wijkteam", description: "Het wijkteam.", website: nil)
    static func service(name: String = "Maatjes", status: String = "active") -> ImportedService {
        ImportedService(
            hsdsID: UUID(uuidString: "1c7e2f3b-4d5a-4b6c-9d7e-8f9a0b1c2d3e")!, organisationHSDSID: organisation.hsdsID, name: name,
            hsdsStatus: status, description: "Een maatje.", eligibility: nil, applicationProcess: nil, minimumAge: 18, maximumAge: nil,
            serviceAreas: [ServiceArea(name: "Den Haag", extent: .municipality)], languages: ["nl", "ar"], website: "https://wijkteam.example.nl")
    }

    private func statusAndCount(_ client: PostgresClient) async throws -> (String?, Int) {
        let rows = try await client.query(
            "SELECT status FROM programmes WHERE hsds_id = \(Self.service().hsdsID)", logger: logger).collect()
        return (try rows.first?.decode(String.self), rows.count)
    }

    @Test("from the command line (owner): dry run stores nothing, import adds, again is unchanged, a change updates")
    func asOwner() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.ownerURL, logger: logger) { client in
                let store = DirectoryImportStore(client: client, logger: logger)
                let dry = try await store.run(organisations: [Self.organisation], services: [Self.service()], dryRun: true, actingFor: nil)
                #expect(dry.count(.added) == 2)
                #expect(try await statusAndCount(client).1 == 0)

                let added = try await store.run(organisations: [Self.organisation], services: [Self.service()], dryRun: false, actingFor: nil)
                #expect(added.count(.added) == 2)
                #expect(try await statusAndCount(client).0 == "paused", "listed, not open for referrals")
                let again = try await store.run(organisations: [Self.organisation], services: [Self.service()], dryRun: false, actingFor: nil)
                #expect(again.count(.unchanged) == 2)

                // A hub-admin opens it; a re-import with a new name keeps it open; the publisher withdrawing it closes it.
                try await client.query("UPDATE programmes SET status = 'open' WHERE hsds_id = \(Self.service().hsdsID)", logger: logger)
                let renamed = try await store.run(organisations: [Self.organisation], services: [Self.service(name: "Maatjes in de wijk")], dryRun: false, actingFor: nil)
                #expect(renamed.entries.map(\.change) == [.unchanged, .changed])
                #expect(try await statusAndCount(client).0 == "open")
                _ = try await store.run(organisations: [Self.organisation], services: [Self.service(status: "defunct")], dryRun: false, actingFor: nil)
                #expect(try await statusAndCount(client).0 == "closed")
                let areas = try await client.query(
                    "SELECT count(*)::integer FROM programme_service_areas a JOIN programmes p ON p.id = a.programme_id WHERE p.hsds_id = \(Self.service().hsdsID)",
                    logger: logger).collect().first!.decode(Int.self)
                #expect(areas == 1, "service areas are replaced, not added to")
                let events = try await client.query("SELECT count(*)::integer FROM outbox WHERE topic = 'programme.changed'", logger: logger)
                    .collect().first!.decode(Int.self)
                #expect(events == 3, "every written service is announced")
            }
        }
    }

    @Test("through the app role only a hub-admin imports; the app role cannot insert programmes itself")
    func asApp() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            let (organisationID, hubAdmin, caseworker) = try await PostgresClient.withRunningClient(database.ownerURL, logger: logger) { client in
                let organisation = try await client.query(
                    "INSERT INTO organisations (slug, name, kinds) VALUES ('hub', 'Hub', ARRAY['referrer']) RETURNING id", logger: logger
                ).collect().first!.decode(UUID.self)
                var users: [UUID] = []
                for (email, role) in [("hub@hub.example", "hub-admin"), ("cw@hub.example", "caseworker")] {
                    let user = try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
                        let user = try await connection.query(
                            "INSERT INTO users (organisation_id, email, display_name, password_hash) VALUES (\(organisation), \(email), 'X', 'hash') RETURNING id",
                            logger: logger).collect().first!.decode(UUID.self)
                        try await connection.query("INSERT INTO user_roles VALUES (\(user), \(organisation), \(role))", logger: logger)
                        return user
                    }
                    users.append(user)
                }
                return (organisation, users[0], users[1])
            }
            try await PostgresClient.withRunningClient(database.appURL, logger: logger) { client in
                let store = DirectoryImportStore(client: client, logger: logger)
                let asCaseworker = Actor(userID: caseworker, organisationID: organisationID, roles: [.caseworker])
                await #expect(throws: (any Error).self) {
                    try await store.run(organisations: [Self.organisation], services: [Self.service()], dryRun: false, actingFor: asCaseworker)
                }
                let asHubAdmin = Actor(userID: hubAdmin, organisationID: organisationID, roles: [.hubAdmin])
                let plan = try await store.run(organisations: [Self.organisation], services: [Self.service()], dryRun: false, actingFor: asHubAdmin)
                #expect(plan.count(.added) == 2)
                await #expect(throws: (any Error).self) {
                    try await client.query(
                        "INSERT INTO programmes (slug, name, operator_id, description_nl, target_groups) SELECT 'x', 'x', id, 'x', '{}' FROM organisations LIMIT 1",
                        logger: logger)
                }
                await #expect(throws: (any Error).self) {
                    try await client.query("UPDATE programmes SET name = 'renamed'", logger: logger)
                }
            }
        }
    }
}
