import Foundation
import KoppelStore
import KoppelTestSupport
import Logging
import PostgresNIO
import Testing

@Suite("The three database roles")
struct DatabaseRoleTests {
    let logger = quietLogger

    @Test("the app role is not superuser, cannot bypass row-level security and owns nothing")
    func appRoleIsUnprivileged() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.appURL, logger: logger) { client in
                let (isSuperuser, bypassesRLS, createsRoles, createsDatabases) = try await client.query(
                    "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user",
                    logger: logger
                ).collect().first!.decode((Bool, Bool, Bool, Bool).self)
                #expect(!isSuperuser && !bypassesRLS && !createsRoles && !createsDatabases)
                let owned = try await client.query(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = current_user",
                    logger: logger
                ).collect().first!.decode(Int.self)
                #expect(owned == 0)
            }
        }
    }

    @Test("every table is owned by koppel_owner")
    func ownerOwnsSchema() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.ownerURL, logger: logger) { client in
                let owners = try await client.query(
                    "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'", logger: logger
                ).collect().map { try $0.decode(String.self) }
                #expect(owners == ["koppel_owner"])
            }
        }
    }

    @Test("the app role may read the directory but not change its organisations, programmes' identity, or the schema")
    func appRoleCannotWrite() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.appURL, logger: logger) { client in
                _ = try await client.query("SELECT count(*) FROM programmes", logger: logger).collect()
                let refused: [PostgresQuery] = [
                    "UPDATE organisations SET name = 'renamed'",
                    "DELETE FROM organisations",
                    // Operational details are the app's to change (for coordinators); a programme's identity is not.
                    "UPDATE programmes SET name = 'renamed'",
                    "UPDATE programmes SET operator_id = gen_random_uuid()",
                    "UPDATE programmes SET slug = 'other'",
                    "DELETE FROM programmes",
                    "CREATE TABLE sneaky (x int)",
                    "DROP TABLE programmes",
                    "DELETE FROM koppel_schema_migrations",
                ]
                for statement in refused {
                    await #expect(throws: PSQLError.self, "\(statement.sql)") {
                        try await client.query(statement, logger: logger)
                    }
                }
            }
        }
    }

    @Test("the vault role exists, may log in, and is as unprivileged as the app role")
    func vaultRole() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.adminURL, logger: logger) { client in
                let row = try await client.query(
                    "SELECT rolcanlogin, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'koppel_vault'", logger: logger
                ).collect().first
                let (canLogin, isSuperuser, bypassesRLS) = try #require(row).decode((Bool, Bool, Bool).self)
                #expect(canLogin && !isSuperuser && !bypassesRLS)
            }
        }
    }

    @Test("every table holding an organisation's data has row-level security enabled and forced")
    func rowLevelSecurityEverywhere() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.ownerURL, logger: logger) { client in
                // A tenant table is any table with an organisation_id column, or a referring organisation's.
                let rows = try await client.query(
                    """
                    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind = 'r'
                      AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname IN ('organisation_id', 'referring_organisation_id') AND NOT a.attisdropped)
                    ORDER BY 1
                    """, logger: logger
                ).collect().map { try $0.decode((String, Bool, Bool).self) }
                #expect(rows.map(\.0) == [
                    "api_tokens", "clients", "consents", "coordinator_programmes", "idempotency_keys", "notice_preferences", "notices", "recovery_codes", "referral_events", "referral_facts", "referral_identifiers", "referrals", "sessions",
                    "user_roles", "users", "webhook_attempts", "webhook_deliveries", "webhook_subscriptions",
                ])
                for (table, enabled, forced) in rows {
                    #expect(enabled && forced, "\(table) must have row-level security enabled and forced")
                }
            }
        }
    }

    @Test("SECURITY DEFINER functions pin their search_path and only the app role may execute them")
    func securityDefinerFunctions() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.ownerURL, logger: logger) { client in
                let rows = try await client.query(
                    """
                    SELECT p.proname, coalesce(array_to_string(p.proconfig, ','), ''),
                           has_function_privilege('koppel_app', p.oid, 'EXECUTE'),
                           has_function_privilege('koppel_vault', p.oid, 'EXECUTE'),
                           pg_get_userbyid(p.proowner)
                    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND p.prosecdef ORDER BY 1
                    """, logger: logger
                ).collect().map { try $0.decode((String, String, Bool, Bool, String).self) }
                #expect(!rows.isEmpty)
                for (name, config, appMay, vaultMay, owner) in rows {
                    #expect(config.contains("search_path="), "\(name) does not pin its search_path")
                    #expect(appMay && !vaultMay, "\(name) must be executable by koppel_app only")
                    #expect(["koppel_auth", "koppel_counts", "koppel_delivery", "koppel_directory"].contains(owner), "\(name) is owned by \(owner)")
                }
            }
        }
    }

    @Test("the acting organisation and user are inlined into row-level security, and still answer what is set")
    func tenantFunctionsInlined() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.appURL, logger: logger) { client in
                try await client.withConnection { connection in
                    let organisation = UUID()
                    _ = try await connection.query("SELECT set_config('koppel.organisation_id', \(organisation.uuidString), false)", logger: logger)
                    let plan = try await connection.query("EXPLAIN VERBOSE SELECT id FROM referrals", logger: logger).collect()
                        .map { try $0.decode(String.self) }.joined(separator: "\n")
                    #expect(plan.contains("current_setting('koppel.organisation_id'"), "the policy's call inlined: \(plan)")
                    #expect(!plan.contains("acting_organisation()"))
                    let acting = try await connection.query("SELECT acting_organisation()::text, acting_user() IS NULL", logger: logger)
                        .collect().first!.decode((String, Bool).self)
                    #expect(acting.0 == organisation.uuidString.lowercased() && acting.1)
                }
            }
        }
    }
}
