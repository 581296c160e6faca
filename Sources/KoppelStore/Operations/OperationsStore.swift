import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// What monitoring reads from PostgreSQL at each scrape: the outbox's backlog (`delivery.backlog`, numbers only) and
/// this replica's connections by pool and state (each pool names itself in `application_name`).
public struct OperationsStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The application name a pool of this replica connects with: `koppel:<pool>:<replica>`.
    public static func applicationName(pool: String, replica: String) -> String {
        String("koppel:\(pool):\(replica)".prefix(63))
    }

    public func backlog() async throws -> [(measure: String, value: Double)] {
        try await client.query("SELECT measure, value FROM delivery.backlog(\(WallClock.current.now()))", logger: logger)
            .collect().map { row in
                let (measure, value) = try row.decode((String, Double).self)
                return (measure, value)
            }
    }

    /// Connections of `replica` by pool and state; another role's (the vault's) state is hidden from this one: "other".
    public func connections(replica: String) async throws -> [(pool: String, state: String, count: Int)] {
        try await client.query(
            """
            SELECT split_part(application_name, ':', 2), coalesce(state, 'other'), count(*)::integer FROM pg_stat_activity
            WHERE application_name = 'koppel:' || split_part(application_name, ':', 2) || ':' || \(replica)
            GROUP BY 1, 2
            """, logger: logger
        ).collect().map { row in
            let (pool, state, count) = try row.decode((String, String, Int).self)
            return (pool, state, count)
        }
    }
}
