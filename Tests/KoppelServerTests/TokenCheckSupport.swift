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

    /// The one number `sql` answers with when run as the app role (row-level security applies), in a transaction of its own.
    static func countAsApp(_ database: TestDatabase, _ sql: String) async throws -> Int {
        try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { client in
            try await client.withTransaction(logger: quietLogger) { connection in
                _ = try await connection.query("SET LOCAL ROLE koppel_app", logger: quietLogger)
                return try await connection.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger).collect().first!.decode(Int.self)
            }
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
