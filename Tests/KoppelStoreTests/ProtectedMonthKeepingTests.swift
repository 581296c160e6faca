import Foundation
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// A protected month is kept only from kept spans that are still there, and is forgotten with them (decision 0025),
/// whichever of a report keeping it and a deletion of its spans comes first.
@Suite("Keeping protected months against forgetting spans")
struct ProtectedMonthKeepingTests {
    static let month = "2025-03-01"

    /// Keeps the whole-month span of March 2025 for 2GO's total and returns the programme and the span's id.
    private func keepSpan(on connection: PostgresConnection) async throws -> (programme: UUID, span: Int) {
        try await connection.query(
            """
            INSERT INTO statistics_kept_spans (programme_id, referrer, area_key, breakdown, starts_at, ends_at)
            SELECT id, NULL, '', 'total', (\(Self.month)::date)::timestamp AT TIME ZONE 'Europe/Amsterdam',
                   (\(Self.month)::date + interval '1 month')::timestamp AT TIME ZONE 'Europe/Amsterdam'
            FROM programmes WHERE slug = '2go'
            RETURNING programme_id, id
            """, logger: quietLogger
        ).collect().first!.decode((UUID, Int).self)
    }

    private func keep(_ programme: UUID, span: Int, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query(
            """
            SELECT counts.keep_protected_month(\(programme), NULL, NULL, \(Self.month)::date, 'shape', ARRAY[\(span)]::bigint[], '{0, -1}')
            """, logger: quietLogger
        ).collect().first!.decode(Bool.self)
    }

    private func kept(on connection: PostgresConnection) async throws -> Int {
        try await connection.query("SELECT count(*) FROM statistics_protected_months", logger: quietLogger).collect().first!.decode(Int.self)
    }

    /// Whether some statement waits for an advisory lock, as both sides take; asked outside their transactions,
    /// whose view of the server's activity would stay as it was when first asked.
    private func waitsForALock(_ client: PostgresClient) async throws -> Bool {
        for _ in 0..<50 {
            let waiting = try await client.query(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'", logger: quietLogger
            ).collect().first!.decode(Int.self)
            if waiting > 0 { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// A migrated database with the demo's directory, and a client of its administrator with room for the report,
    /// the deletion and the one watching them.
    private func withSeededAdministrator(_ body: @Sendable (PostgresClient) async throws -> Void) async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { client in
                try await DemoSeeder(client: client, logger: quietLogger).seed(try DemoData.bundled())
            }
            try await PostgresClient.withRunningClient(database.adminURL, maximumConnections: 3, logger: quietLogger, body)
        }
    }

    @Test("kept first: the deletion of its span waits for the report's commit, then forgets what it kept")
    func keptThenForgotten() async throws {
        try await withSeededAdministrator { client in
            try await client.withConnection { report in
                let (programme, span) = try await keepSpan(on: report)
                try await report.query("BEGIN", logger: quietLogger)
                #expect(try await keep(programme, span: span, on: report))
                let deletion = Task {
                    try await client.withConnection { other in
                        try await other.query("DELETE FROM statistics_kept_spans WHERE id = \(span)", logger: quietLogger)
                    }
                }
                #expect(try await waitsForALock(client), "the deletion waits for the report that keeps the month")
                try await report.query("COMMIT", logger: quietLogger)
                _ = try await deletion.value
                #expect(try await kept(on: report) == 0, "forgotten with its span")
            }
        }
    }

    @Test("forgotten first: the report waits for the deletion's commit, finds the span gone and keeps nothing")
    func forgottenThenNotKept() async throws {
        try await withSeededAdministrator { client in
            try await client.withConnection { deletion in
                let (programme, span) = try await keepSpan(on: deletion)
                try await deletion.query("BEGIN", logger: quietLogger)
                try await deletion.query("DELETE FROM statistics_kept_spans WHERE id = \(span)", logger: quietLogger)
                let report = Task { try await client.withConnection { try await keep(programme, span: span, on: $0) } }
                #expect(try await waitsForALock(client), "the report waits for the deletion")
                try await deletion.query("COMMIT", logger: quietLogger)
                #expect(try await report.value == false)
                #expect(try await kept(on: deletion) == 0)
            }
        }
    }
}
