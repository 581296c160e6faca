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

    let client: PostgresClient
    let migrations: [Migration]
    let timeout: Duration
    let logger: Logger

    func check() async -> Verdict {
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
        let rows = try await client.query(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user", logger: logger)
        for try await (isSuperuser, bypassesRLS) in rows.decode((Bool, Bool).self) where isSuperuser || bypassesRLS {
            return .notReady(reason: "connected as a superuser or BYPASSRLS role; connect as the app role (koppel_app)")
        }
        let plan = try await MigrationRunner(client: client, migrations: migrations, logger: logger).status()
        if let next = plan.pending.first {
            return .notReady(reason: "\(plan.pending.count) migration(s) not applied, starting with schema/\(next.fileName); run koppel migrate")
        }
        return .ready
    }
}
