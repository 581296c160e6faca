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
            // Areas and agreements came with schema 0018; a test of an earlier migration loads the demo before it.
            let agreements = try await connection.query("SELECT to_regclass('funding_agreements') IS NOT NULL", logger: logger)
                .collect().first!.decode(Bool.self)
            guard agreements else { return }
            for area in demo.areas {
                try await upsert(area, on: connection)
            }
            try await connection.query("SELECT directory_import.refresh_municipality_places()", logger: logger)
            let year = Int(WallClock.current.today().prefix(4)) ?? 2026
            for agreement in demo.agreements {
                try await upsert(agreement, year: year, on: connection)
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
    }

    /// Matched by name; its members replaced. A code the reference data lacks is skipped (a database not yet imported).
    private func upsert(_ area: DemoData.Area, on connection: PostgresConnection) async throws {
        let id = try await connection.query(
            """
            INSERT INTO areas (id, name, folded, description) VALUES (\(UUID()), \(area.name), \(PlaceName.folded(area.name)), \(area.description))
            ON CONFLICT (folded) DO UPDATE SET name = excluded.name, description = excluded.description
            RETURNING id
            """, logger: logger
        ).collect().first!.decode(UUID.self)
        try await connection.query("DELETE FROM area_members WHERE area_id = \(id)", logger: logger)
        try await connection.query(
            """
            INSERT INTO area_members (area_id, municipality) SELECT \(id), code FROM municipalities WHERE code = ANY(\(area.municipalities ?? []))
            """, logger: logger)
        try await connection.query(
            "INSERT INTO area_members (area_id, region) SELECT \(id), code FROM regions WHERE code = ANY(\(area.regions ?? []))", logger: logger)
    }

    /// Matched by funder, programme and first month; what the demo says replaces what was there (and the
    /// everywhere-for-ever agreement migration 0018 made of the programme's funders before).
    private func upsert(_ agreement: DemoData.Agreement, year: Int, on connection: PostgresConnection) async throws {
        let funder = try await connection.query("SELECT id FROM organisations WHERE slug = \(agreement.funder)", logger: logger).collect().first!.decode(UUID.self)
        let programme = try await connection.query("SELECT id FROM programmes WHERE slug = \(agreement.programme)", logger: logger).collect().first!.decode(UUID.self)
        let area = try await connection.query("SELECT id FROM areas WHERE folded = \(PlaceName.folded(agreement.area))", logger: logger).collect().first!.decode(UUID.self)
        let startsOn = DemoData.Agreement.month(agreement.from, year: year)! + "-01"
        let endMonth = DemoData.Agreement.month(agreement.until, year: year)! + "-01"
        try await connection.query(
            """
            DELETE FROM funding_agreements WHERE funder_id = \(funder) AND programme_id = \(programme)
              AND (starts_on = \(startsOn)::date OR starts_on = DATE '2000-01-01')
            """, logger: logger)
        try await connection.query(
            """
            INSERT INTO funding_agreements (id, funder_id, programme_id, area_id, starts_on, ends_on, budget_euros, target_places, reference)
            VALUES (\(UUID()), \(funder), \(programme), \(area), \(startsOn)::date,
                    (\(endMonth)::date + interval '1 month' - interval '1 day')::date, \(agreement.budgetEuros),
                    \(agreement.targetPlaces), \(agreement.reference))
            """, logger: logger)
    }
}
