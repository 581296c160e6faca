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

    @Test("the app role may read the directory but not change it or the schema")
    func appRoleCannotWrite() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.appURL, logger: logger) { client in
                _ = try await client.query("SELECT count(*) FROM programmes", logger: logger).collect()
                let refused: [PostgresQuery] = [
                    "INSERT INTO organisations (slug, name, kinds) VALUES ('x', 'X', ARRAY['funder'])",
                    "UPDATE programmes SET places_total = 1000",
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
}
