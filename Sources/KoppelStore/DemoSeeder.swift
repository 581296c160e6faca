import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// Loads the demo data. Idempotent: organisations and programmes are matched by slug and updated in place,
/// so running it twice changes nothing and keeps every id.
public struct DemoSeeder: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func seed(_ demo: DemoData) async throws {
        try await client.withClockedTransaction(logger: logger) { connection in
            try await connection.query("SET LOCAL ROLE \(unescaped: MigrationRunner.ownerRole)", logger: logger)
            for organisation in demo.organisations {
                try await upsert(organisation, on: connection)
            }
            for programme in demo.programmes {
                try await upsert(programme, on: connection)
            }
        }
    }

    /// Creates the demo accounts that do not exist yet, all with one password, ready for first sign-in
    /// (no password change; a second factor is enrolled then). Existing accounts are left as they are.
    public func seedUsers(_ demo: DemoData, passwordHash: String) async throws {
        let users = UserStore(client: client, logger: logger)
        for user in demo.users where try await users.signInCandidate(email: user.email) == nil {
            let organisation = try await client.query("SELECT id FROM organisations WHERE slug = \(user.organisation)", logger: logger)
                .collect().first!.decode(UUID.self)
            var programmes: Set<UUID> = []
            for slug in user.programmes ?? [] {
                programmes.insert(try await client.query("SELECT id FROM programmes WHERE slug = \(slug)", logger: logger).collect().first!.decode(UUID.self))
            }
            let id = try await users.create(
                NewUser(organisationID: organisation, email: user.email, displayName: user.name, roles: Set(user.roles), coordinatedProgrammes: programmes),
                passwordHash: passwordHash)
            try await users.setPassword(id: id, organisation: organisation, hash: passwordHash, mustChange: false)
        }
    }

    private func upsert(_ organisation: DemoData.Organisation, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO organisations (slug, name, kinds, country, website, organisation_type)
            VALUES (\(organisation.slug), \(organisation.name), \(organisation.kinds), \(organisation.country), \(organisation.website),
                    \((organisation.type ?? .civilSociety).rawValue))
            ON CONFLICT (slug) DO UPDATE
            SET name = excluded.name, kinds = excluded.kinds, country = excluded.country, website = excluded.website,
                organisation_type = excluded.organisation_type
            """, logger: logger)
    }

    private func upsert(_ programme: DemoData.Programme, on connection: PostgresConnection) async throws {
        let rules = programme.eligibility
        let targetGroups = rules.targetGroups.map(\.rawValue)
        let rows = try await connection.query(
            """
            INSERT INTO programmes (slug, name, operator_id, status, description_nl, description_en,
                eligibility_nl, eligibility_en, application_process_nl, application_process_en,
                minimum_age, maximum_age, target_groups, languages, typical_duration_months, places_total, website)
            VALUES (\(programme.slug), \(programme.name), (SELECT id FROM organisations WHERE slug = \(programme.operator)),
                \(programme.status.rawValue), \(programme.description.dutch), \(programme.description.english),
                \(rules.description?.dutch), \(rules.description?.english),
                \(programme.applicationProcess?.dutch), \(programme.applicationProcess?.english),
                \(rules.minimumAge), \(rules.maximumAge), \(targetGroups), \(programme.languages),
                \(programme.typicalDurationMonths), \(programme.placesTotal), \(programme.website))
            ON CONFLICT (slug) DO UPDATE SET
                name = excluded.name, operator_id = excluded.operator_id, status = excluded.status,
                description_nl = excluded.description_nl, description_en = excluded.description_en,
                eligibility_nl = excluded.eligibility_nl, eligibility_en = excluded.eligibility_en,
                application_process_nl = excluded.application_process_nl,
                application_process_en = excluded.application_process_en,
                minimum_age = excluded.minimum_age, maximum_age = excluded.maximum_age,
                target_groups = excluded.target_groups, languages = excluded.languages,
                typical_duration_months = excluded.typical_duration_months,
                places_total = excluded.places_total, website = excluded.website, updated_at = koppel_now()
            RETURNING id
            """, logger: logger)
        guard let programmeID = try await rows.collect().first?.decode(UUID.self) else { return }

        try await connection.query("DELETE FROM programme_service_areas WHERE programme_id = \(programmeID)", logger: logger)
        for (position, area) in programme.serviceAreas.enumerated() {
            try await connection.query(
                """
                INSERT INTO programme_service_areas (programme_id, position, name, extent)
                VALUES (\(programmeID), \(position), \(area.name), \(area.extent.rawValue))
                """, logger: logger)
        }
        try await connection.query("DELETE FROM programme_funders WHERE programme_id = \(programmeID)", logger: logger)
        for funder in programme.funders {
            try await connection.query(
                """
                INSERT INTO programme_funders (programme_id, funder_id)
                SELECT \(programmeID), id FROM organisations WHERE slug = \(funder)
                """, logger: logger)
        }
    }
}
