import Foundation
import KoppelStore
import KoppelTestSupport
import Logging
import PostgresNIO
import Testing

/// A bug in a handler must not be enough to read or change another organisation's rows: PostgreSQL refuses.
@Suite("Row-level security between organisations")
struct TenantIsolationTests {
    let logger = quietLogger

    /// Two organisations with a user, a role, a session and an API token each. Returns their ids.
    private func twoOrganisations(_ database: TestDatabase) async throws -> (UUID, UUID) {
        try await PostgresClient.withRunningClient(database.ownerURL, logger: logger) { client in
            var ids: [UUID] = []
            for slug in ["org-a", "org-b"] {
                let id = try await client.query(
                    "INSERT INTO organisations (slug, name, kinds) VALUES (\(slug), \(slug), ARRAY['referrer']) RETURNING id", logger: logger
                ).collect().first!.decode(UUID.self)
                try await client.withTenantTransaction(organisation: id, logger: logger) { connection in
                    let user = try await connection.query(
                        "INSERT INTO users (organisation_id, email, display_name, password_hash) VALUES (\(id), \(slug + "@example.org"), 'X', 'hash') RETURNING id",
                        logger: logger
                    ).collect().first!.decode(UUID.self)
                    try await connection.query("INSERT INTO user_roles VALUES (\(user), \(id), 'caseworker')", logger: logger)
                    try await connection.query(
                        "INSERT INTO sessions (token_hash, user_id, organisation_id, stage, csrf_token, expires_at) VALUES (\(ByteBuffer(string: slug)), \(user), \(id), 'complete', 'c', now() + interval '1 hour')",
                        logger: logger)
                    try await connection.query(
                        "INSERT INTO api_tokens (user_id, organisation_id, name, token_hash) VALUES (\(user), \(id), 't', \(ByteBuffer(string: slug + "-token")))",
                        logger: logger)
                    try await connection.query("INSERT INTO recovery_codes VALUES (\(user), \(id), \(ByteBuffer(string: slug + "-code")), NULL)", logger: logger)
                }
                ids.append(id)
            }
            return (ids[0], ids[1])
        }
    }

    static let tenantTables = ["users", "user_roles", "coordinator_programmes", "recovery_codes", "sessions", "api_tokens"]

    @Test("acting for one organisation, the app role sees none of another's rows in any tenant table")
    func noForeignReads() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            let (orgA, orgB) = try await twoOrganisations(database)
            try await PostgresClient.withRunningClient(database.appURL, logger: logger) { client in
                for table in Self.tenantTables {
                    let (foreign, own) = try await client.withTenantTransaction(organisation: orgB, logger: logger) { connection in
                        try await connection.query(
                            "SELECT count(*) FILTER (WHERE organisation_id = \(orgA)), count(*) FILTER (WHERE organisation_id = \(orgB)) FROM \(unescaped: table)",
                            logger: logger
                        ).collect().first!.decode((Int, Int).self)
                    }
                    #expect(foreign == 0, "\(table) shows another organisation's rows")
                    if table != "coordinator_programmes" { #expect(own == 1, "\(table) hides the organisation's own rows") }
                }
                // With no organisation set at all, nothing is visible.
                let unscoped = try await client.query("SELECT count(*) FROM users", logger: logger).collect().first!.decode(Int.self)
                #expect(unscoped == 0)
            }
        }
    }

    @Test("acting for one organisation, the app role cannot change, delete or insert another's rows")
    func noForeignWrites() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            let (orgA, orgB) = try await twoOrganisations(database)
            try await PostgresClient.withRunningClient(database.appURL, logger: logger) { client in
                let changed = try await client.withTenantTransaction(organisation: orgB, logger: logger) { connection in
                    var changed = 0
                    for statement: PostgresQuery in [
                        "UPDATE users SET display_name = 'taken over' WHERE organisation_id = \(orgA) RETURNING 1",
                        "UPDATE api_tokens SET revoked_at = now() WHERE organisation_id = \(orgA) RETURNING 1",
                        "DELETE FROM sessions WHERE organisation_id = \(orgA) RETURNING 1",
                        "DELETE FROM recovery_codes WHERE organisation_id = \(orgA) RETURNING 1",
                    ] {
                        changed += try await connection.query(statement, logger: logger).collect().count
                    }
                    return changed
                }
                #expect(changed == 0)
                // Writing a row for another organisation, or moving one there, is refused outright.
                let refused: [PostgresQuery] = [
                    "INSERT INTO users (organisation_id, email, display_name, password_hash) VALUES (\(orgA), 'intruder@example.org', 'I', 'h')",
                    "UPDATE users SET organisation_id = \(orgA)",
                ]
                for statement in refused {
                    let error = await #expect(throws: PSQLError.self, "\(statement.sql)") {
                        try await client.withTenantTransaction(organisation: orgB, logger: logger) { connection in
                            try await connection.query(statement, logger: logger)
                        }
                    }
                    let cause = error
                    #expect(cause?.serverInfo?[.sqlState] == "42501", "\(statement.sql) was not refused by row-level security")
                    #expect(cause?.serverInfo?[.message]?.contains("row-level security") == true)
                }
            }
            // And organisation A's rows are as they were.
            try await PostgresClient.withRunningClient(database.appURL, logger: logger) { client in
                let name = try await client.withTenantTransaction(organisation: orgA, logger: logger) { connection in
                    try await connection.query("SELECT display_name FROM users", logger: logger).collect().first!.decode(String.self)
                }
                #expect(name == "X")
            }
        }
    }

    @Test("the acting organisation does not outlive its transaction on a pooled connection")
    func contextIsPerTransaction() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            let (orgA, _) = try await twoOrganisations(database)
            try await PostgresClient.withRunningClient(database.appURL, maximumConnections: 1, logger: logger) { client in
                let inside = try await client.withTenantTransaction(organisation: orgA, logger: logger) { connection in
                    try await connection.query("SELECT count(*) FROM users", logger: logger).collect().first!.decode(Int.self)
                }
                let after = try await client.query("SELECT count(*) FROM users", logger: logger).collect().first!.decode(Int.self)
                #expect(inside == 1)
                #expect(after == 0)
            }
        }
    }

    @Test("the app role cannot set itself a role that reads everything")
    func noEscapeToAuthRole() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.appURL, logger: logger) { client in
                for role in ["koppel_auth", "koppel_counts", "koppel_owner", "koppel_vault"] {
                    await #expect(throws: PSQLError.self, "SET ROLE \(role)") {
                        try await client.query("SET ROLE \(unescaped: role)", logger: logger)
                    }
                }
            }
        }
    }
}

/// Referrals are seen by two organisations, the referrer and the programme's operator, and by no third.
@Suite("Row-level security on referrals")
struct ReferralIsolationTests {
    let logger = quietLogger

    struct World {
        let referrer: UUID, other: UUID, operatorID: UUID, referral: UUID, caseworker: UUID
    }

    /// VluchtelingenWerk refers a client to 2GO (run by Stek); Humanitas is a third organisation.
    private func world(_ database: TestDatabase) async throws -> World {
        try await PostgresClient.withRunningClient(database.ownerURL, logger: logger) { client in
            try await DemoSeeder(client: client, logger: logger).seed(try DemoData.bundled())
            func id(_ sql: PostgresQuery) async throws -> UUID { try await client.query(sql, logger: logger).collect().first!.decode(UUID.self) }
            let referrer = try await id("SELECT id FROM organisations WHERE slug = 'vluchtelingenwerk'")
            let other = try await id("SELECT id FROM organisations WHERE slug = 'humanitas'")
            let operatorID = try await id("SELECT id FROM organisations WHERE slug = 'stek'")
            let programme = try await id("SELECT id FROM programmes WHERE slug = '2go'")
            let referral = UUID()
            let caseworker = try await client.withTenantTransaction(organisation: referrer, logger: logger) { connection in
                let user = try await connection.query(
                    "INSERT INTO users (organisation_id, email, display_name, password_hash) VALUES (\(referrer), 'cw@vw.example', 'C', 'h') RETURNING id",
                    logger: logger
                ).collect().first!.decode(UUID.self)
                let clientID = UUID()
                try await connection.query(
                    "INSERT INTO clients (id, organisation_id, registered_by) VALUES (\(clientID), \(referrer), \(user))", logger: logger)
                try await connection.query(
                    """
                    INSERT INTO referrals (id, client_id, referring_organisation_id, referring_user_id, programme_id, operator_id, target_group,
                        age_band, municipality, needs, urgency, state, created_at, submitted_at, state_changed_at)
                    VALUES (\(referral), \(clientID), \(referrer), \(user), \(programme), \(operatorID), 'human_trafficking', '26-35',
                        'GM0518', '{}', 'soon', 'submitted', now(), now(), now())
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO referral_events (referral_id, referring_organisation_id, operator_id, occurred_at, actor_user_id,
                        actor_organisation_id, action, to_state) VALUES (\(referral), \(referrer), \(operatorID), now(), \(user), \(referrer), 'submit', 'submitted')
                    """, logger: logger)
                return user
            }
            return World(referrer: referrer, other: other, operatorID: operatorID, referral: referral, caseworker: caseworker)
        }
    }

    private func counts(_ client: PostgresClient, actingFor organisation: UUID) async throws -> (Int, Int) {
        try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
            try await connection.query("SELECT (SELECT count(*) FROM referrals), (SELECT count(*) FROM referral_events)", logger: logger)
                .collect().first!.decode((Int, Int).self)
        }
    }

    @Test("the referrer and the operator see a referral and its history; a third organisation sees neither, nor can change them")
    func twoSidesOnly() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            let world = try await world(database)
            try await PostgresClient.withRunningClient(database.appURL, logger: logger) { client in
                let seenReferrer = try await counts(client, actingFor: world.referrer)
                #expect(seenReferrer.0 == 1 && seenReferrer.1 == 1)
                let seenOperatorid = try await counts(client, actingFor: world.operatorID)
                #expect(seenOperatorid.0 == 1 && seenOperatorid.1 == 1)
                let seenOther = try await counts(client, actingFor: world.other)
                #expect(seenOther.0 == 0 && seenOther.1 == 0)
                let changed = try await client.withTenantTransaction(organisation: world.other, logger: logger) { connection in
                    try await connection.query("UPDATE referrals SET state = 'declined' RETURNING 1", logger: logger).collect().count
                }
                #expect(changed == 0)
                // Filing a referral in another organisation's name, or writing history as another organisation, is refused.
                for statement: PostgresQuery in [
                    """
                    INSERT INTO referrals (id, client_id, referring_organisation_id, referring_user_id, programme_id, operator_id, target_group,
                        age_band, municipality, needs, urgency, state, created_at, submitted_at, state_changed_at)
                    SELECT gen_random_uuid(), gen_random_uuid(), referring_organisation_id, referring_user_id, programme_id, operator_id,
                        target_group, age_band, municipality, needs, urgency, 'submitted', now(), now(), now()
                    FROM referrals
                    """,
                    """
                    INSERT INTO referral_events (referral_id, referring_organisation_id, operator_id, occurred_at, actor_user_id,
                        actor_organisation_id, action, to_state)
                    VALUES (\(world.referral), \(world.referrer), \(world.operatorID), now(), \(world.caseworker), \(world.referrer), 'withdraw', 'withdrawn')
                    """,
                ] {
                    let error = await #expect(throws: PSQLError.self) {
                        try await client.withTenantTransaction(organisation: world.operatorID, logger: logger) { connection in
                            try await connection.query(statement, logger: logger)
                        }
                    }
                    #expect(error?.serverInfo?[.sqlState] == "42501", "\(statement.sql)")
                }
            }
        }
    }

    /// `referral_as` and `submission_facts_as` (schema 0025) set the tenant in the statement that reads, with no
    /// transaction block: row-level security must hold there as everywhere, and the tenant must end with the statement.
    @Test("a read in one statement shows the referral to its two sides only, and the tenant it set ends with the statement")
    func oneStatementRead() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            let world = try await world(database)
            let clientID = try await PostgresClient.withRunningClient(database.ownerURL, logger: logger) { client in
                try await client.query("SELECT client_id FROM referrals WHERE id = \(world.referral)", logger: logger).collect().first!.decode(UUID.self)
            }
            try await PostgresClient.withRunningClient(database.appURL, maximumConnections: 1, logger: logger) { client in
                func read(actingFor organisation: UUID, lock: Bool = false) async throws -> [UUID] {
                    try await client.query(
                        "SELECT id FROM referral_as(\(organisation.uuidString), '', '1790000000.0', '', \(world.referral), \(lock))", logger: logger
                    ).collect().map { try $0.decode(UUID.self) }
                }
                #expect(try await read(actingFor: world.referrer) == [world.referral])
                #expect(try await read(actingFor: world.operatorID, lock: true) == [world.referral])
                #expect(try await read(actingFor: world.other).isEmpty)
                #expect(try await read(actingFor: world.other, lock: true).isEmpty)
                // The next statement on the same (only) connection acts for no one: the view shows nothing.
                let after = try await client.query(
                    "SELECT current_setting('koppel.organisation_id', true), (SELECT count(*) FROM referral_rows)", logger: logger
                ).collect().first!.decode((String?, Int).self)
                #expect(after.0 ?? "" == "")
                #expect(after.1 == 0)
                // The facts of a submission: a third organisation learns nothing of the referrer's client.
                let facts = try await client.query(
                    """
                    SELECT client_erased, consent_id FROM submission_facts_as(\(world.other.uuidString), '', '1790000000.0', '', \(clientID),
                        'GM0518', 'den haag')
                    """, logger: logger
                ).collect().map { try $0.decode((Bool?, UUID?).self) }
                #expect(facts.count == 1 && facts[0].0 == nil && facts[0].1 == nil)
                let ownFacts = try await client.query(
                    "SELECT client_erased FROM submission_facts_as(\(world.referrer.uuidString), '', '1790000000.0', '', \(clientID), 'GM0518', '')",
                    logger: logger
                ).collect().map { try $0.decode(Bool?.self) }
                #expect(ownFacts == [false])
            }
        }
    }

    @Test("a forward can only be filed from a referral the acting organisation operates")
    func forgedForward() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            let world = try await world(database)
            try await PostgresClient.withRunningClient(database.appURL, logger: logger) { client in
                // Humanitas neither sees nor operates the referral: a "forward" of it in VluchtelingenWerk's name is refused.
                let error = await #expect(throws: PSQLError.self) {
                    try await client.withTenantTransaction(organisation: world.other, logger: logger) { connection in
                        try await connection.query(
                            """
                            INSERT INTO referrals (id, client_id, referring_organisation_id, referring_user_id, programme_id, operator_id,
                                target_group, age_band, municipality, needs, urgency, state, forwarded_from, forwarded_by_organisation_id,
                                created_at, state_changed_at)
                            VALUES (gen_random_uuid(), gen_random_uuid(), \(world.referrer), \(world.caseworker),
                                (SELECT id FROM programmes WHERE slug = '2go'), \(world.operatorID), 'human_trafficking', '26-35',
                                'GM0518', '{}', 'soon', 'submitted', \(world.referral), \(world.other), now(), now())
                            """, logger: logger)
                    }
                }
                #expect(error?.serverInfo?[.sqlState] == "42501")
            }
        }
    }

    @Test("history is append-only and the outbox write-only for the app role")
    func immutableHistory() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            let world = try await world(database)
            try await PostgresClient.withRunningClient(database.appURL, logger: logger) { client in
                for statement: PostgresQuery in [
                    "UPDATE referral_events SET to_state = 'declined'",
                    "DELETE FROM referral_events",
                    "DELETE FROM referrals",
                    "SELECT * FROM outbox",
                    "UPDATE outbox SET delivered_at = now()",
                    // Steps change a referral's state, never whose it is or where it goes.
                    "UPDATE referrals SET referring_organisation_id = operator_id",
                    "UPDATE referrals SET programme_id = programme_id",
                ] {
                    let error = await #expect(throws: PSQLError.self) {
                        try await client.withTenantTransaction(organisation: world.referrer, logger: logger) { connection in
                            try await connection.query(statement, logger: logger)
                        }
                    }
                    #expect(error?.serverInfo?[.sqlState] == "42501", "\(statement.sql) must be refused")
                }
                let seenReferrer = try await counts(client, actingFor: world.referrer)
                #expect(seenReferrer.0 == 1 && seenReferrer.1 == 1)
            }
        }
    }

    @Test("the counting functions answer with numbers only, and a position only for a referral the caller may see")
    func countsOnly() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            let world = try await world(database)
            try await PostgresClient.withRunningClient(database.appURL, logger: logger) { client in
                try await client.withTenantTransaction(organisation: world.other, logger: logger) { connection in
                    try await connection.query("UPDATE referrals SET state = 'waitlisted'", logger: logger)
                    let inUse = try await connection.query(
                        "SELECT sum(waitlisted)::integer FROM counts.programme_places()", logger: logger).collect().first!.decode(Int?.self)
                    #expect(inUse == 0, "Humanitas cannot move the referral, so nothing is waitlisted")
                }
                try await client.withTenantTransaction(organisation: world.operatorID, logger: logger) { connection in
                    try await connection.query("UPDATE referrals SET state = 'waitlisted'", logger: logger)
                }
                for (organisation, expected) in [(world.referrer, 1), (world.operatorID, 1), (world.other, nil)] as [(UUID, Int?)] {
                    let position = try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
                        try await connection.query("SELECT counts.waitlist_position(\(world.referral))", logger: logger)
                            .collect().first!.decode(Int?.self)
                    }
                    #expect(position == expected)
                }
            }
        }
    }
}
