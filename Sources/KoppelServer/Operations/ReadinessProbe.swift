import Foundation
import KoppelStore
import Logging
import PostgresNIO

/// Whether this replica can serve: the database answers in time, every migration is applied unchanged,
/// and the server is connected as a role that row-level security applies to.
struct ReadinessProbe: Sendable {
    enum Verdict: Equatable {
        case ready
        case notReady(reason: String)
    }

    /// A connection of its own: a pool busy with slow requests must not make a healthy replica look dead.
    let client: PostgresClient
    /// The vault's pool, whose login is checked as the app's is.
    let vaultClient: PostgresClient
    let migrations: [Migration]
    let timeout: Duration
    /// Requests waiting this long with none answered mean the server's pool is stuck.
    let stalledAfter: Duration
    let progress: ServingProgress
    let draining: DrainState
    let logger: Logger

    func check() async -> Verdict {
        if draining.isDraining { return .notReady(reason: "the server is shutting down") }
        if let stalled = progress.stalled(), stalled > stalledAfter {
            return .notReady(reason: "requests have had no answer from the database for \(stalled.components.seconds) s")
        }
        do {
            return try await withDeadline(timeout) { try await verdict() }
        } catch is DeadlineExceeded {
            return .notReady(reason: "the database did not answer within \(timeout)")
        } catch let error as MigrationError {
            return .notReady(reason: error.description)
        } catch let error as PSQLError {
            return .notReady(reason: "the database is not reachable (\(error.code))")
        } catch {
            return .notReady(reason: "the database check failed")
        }
    }

    private func verdict() async throws -> Verdict {
        for (connection, role) in [(client, "app role (koppel_app)"), (vaultClient, "vault role (koppel_vault)")] {
            if let problem = try await roleProblem(connection) { return .notReady(reason: "\(problem); connect as the \(role)") }
        }
        let plan = try await MigrationRunner(client: client, migrations: migrations, logger: logger).status()
        if let next = plan.pending.first {
            return .notReady(reason: "\(plan.pending.count) migration(s) not applied, starting with schema/\(next.fileName); run koppel migrate")
        }
        return .ready
    }

    /// Row-level security binds neither a superuser nor a BYPASSRLS role, and a table's owner may alter or disable it,
    /// and rewrite the audit log: the server's logins are none of them.
    private func roleProblem(_ connection: PostgresClient) async throws -> String? {
        let rows = try await connection.query(
            """
            SELECT rolsuper OR rolbypassrls,
                   EXISTS (SELECT 1 FROM pg_tables WHERE schemaname IN ('public', 'vault', 'audit')
                           AND pg_has_role(current_user, tableowner, 'USAGE'))
            FROM pg_roles WHERE rolname = current_user
            """, logger: logger)
        for try await (unbound, owner) in rows.decode((Bool, Bool).self) {
            if unbound { return "connected as a superuser or BYPASSRLS role" }
            if owner { return "connected as the owner of Koppel's tables" }
        }
        return nil
    }
}
