import Foundation
import KoppelStore
import KoppelTestSupport
import PostgresNIO

/// What the tests of a token checked by a use case's own statement (decisions 0026, 0027) do as the administrator.
enum AdminDatabase {
    /// Sets, as the administrator, what `sql` sets on the test database's tokens or users.
    static func change(_ database: TestDatabase, _ sql: String) async throws {
        try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { client in
            _ = try await client.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger)
        }
    }

    /// The one number `sql` answers with.
    static func count(_ database: TestDatabase, _ sql: String) async throws -> Int {
        try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { client in
            try await client.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger).collect().first!.decode(Int.self)
        }
    }

    /// The one text `sql` answers with.
    static func text(_ database: TestDatabase, _ sql: String) async throws -> String {
        try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { client in
            try await client.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger).collect().first!.decode(String.self)
        }
    }

    /// As the server runs a statement of its own: as the app role (row-level security applies), with no transaction
    /// block. The one number `sql` answers with, and the acting organisation left on that connection afterwards.
    static func countAsApp(_ database: TestDatabase, _ sql: String) async throws -> (count: Int, actingAfter: String) {
        try await PostgresClient.withRunningClient(database.appURL, maximumConnections: 1, logger: quietLogger) { client in
            let count = try await client.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger).collect().first!.decode(Int.self)
            let after = try await client.query(
                "SELECT coalesce(current_setting('koppel.organisation_id', true), '')", logger: quietLogger
            ).collect().first!.decode(String.self)
            return (count, after)
        }
    }

    /// Makes the database count calls of PL/pgSQL functions (`calls(of:_:atLeast:)`), for connections made after it.
    static func trackFunctions(_ database: TestDatabase) async throws {
        try await change(database, "ALTER DATABASE \"\(database.name)\" SET track_functions = 'pl'")
    }

    /// How often the app called `function` since it connected (`track_functions`), once the backends have reported.
    static func calls(of function: String, _ database: TestDatabase, atLeast least: Int) async throws -> Int {
        try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { client in
            var calls = 0
            // A backend reports when idle, within ten seconds (PostgreSQL 15).
            for _ in 0..<75 {
                calls = try await client.query(
                    "SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_user_functions WHERE funcname = \(function)", logger: quietLogger
                ).collect().first!.decode(Int.self)
                if calls >= least { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            return calls
        }
    }
}
