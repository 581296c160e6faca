import Foundation
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// `counts.keep_spans` (schema 0020) counts a report's settled months and days in one pass; it must keep exactly
/// the rows the month-by-month counting (`counts.kept_until`, one span at a time) keeps, for every breakdown, for a
/// part of a programme and the whole of it, on the generator's three years of varied histories.
@Suite("Counting months in one pass")
struct KeptSpanTests {
    static let breakdowns = ["total", "programme", "referrer_type", "target_group", "age_band"]

    /// The generator of `scripts/generate-referrals`, run as the administrator with `count` referrals.
    private func generate(_ count: Int, on connection: PostgresConnection) async throws {
        let file = TestEnvironment.repositoryRoot.appendingPathComponent("scripts/lib/generate-referrals.sql")
        let script = try String(contentsOf: file, encoding: .utf8)
            .replacingOccurrences(of: "\\set ON_ERROR_STOP on", with: "")
            .replacingOccurrences(of: ":count", with: String(count))
        for statement in SQLScript.statements(in: script) {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: quietLogger)
        }
    }

    /// Every kept row of the programme, as text, sorted; a day's running referrals left out (they are never read).
    private func keptRows(_ programme: UUID, on connection: PostgresConnection) async throws -> [String] {
        try await connection.query(
            """
            SELECT concat_ws('|', 'count', area_key, breakdown, starts_at, ends_at, breakdown_value, measure, reason, referrals)
            FROM statistics_kept_counts
            WHERE programme_id = \(programme) AND NOT (measure = 'active_at_end' AND ends_at - starts_at < interval '2 days')
            UNION ALL
            SELECT concat_ws('|', 'wait', area_key, breakdown, starts_at, ends_at, breakdown_value, wait, days, referrals)
            FROM statistics_kept_waits WHERE programme_id = \(programme)
            UNION ALL
            SELECT concat_ws('|', 'span', area_key, breakdown, starts_at, ends_at) FROM statistics_kept_spans WHERE programme_id = \(programme)
            ORDER BY 1
            """, logger: quietLogger
        ).collect().map { try $0.decode(String.self) }
    }

    private func forget(on connection: PostgresConnection) async throws {
        for table in ["statistics_kept_spans", "statistics_kept_counts", "statistics_kept_waits"] {
            try await connection.query("DELETE FROM \(unescaped: table)", logger: quietLogger)
        }
    }

    @Test("one pass keeps what month-by-month counting keeps: every breakdown, a part and the whole, months and days")
    func sameRows() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { client in
                try await DemoSeeder(client: client, logger: quietLogger).seed(try DemoData.bundled())
            }
            try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { client in
                try await client.withConnection { connection in
                    // Months and days are Amsterdam's whatever the session's time zone: this one's is not.
                    try await connection.query("SET TIME ZONE 'America/New_York'", logger: quietLogger)
                    try await generate(3000, on: connection)
                    let programme = try await connection.query("SELECT id FROM programmes WHERE slug = 'perspectief-plus'", logger: quietLogger)
                        .collect().first!.decode(UUID.self)
                    let parts = try await connection.query("SELECT municipalities FROM counts.programme_parts(\(programme))", logger: quietLogger)
                        .collect().map { try $0.decode([String].self) }
                    let twente = try #require(parts.first { $0.contains("GM0153") })
                    // Thirteen months back to the month in progress: whole months, and the settled days of this one.
                    let (from, until) = try await connection.query(
                        """
                        SELECT (date_trunc('month', now() AT TIME ZONE 'Europe/Amsterdam') - interval '13 months')::date::text,
                               (date_trunc('month', now() AT TIME ZONE 'Europe/Amsterdam') + interval '1 month')::date::text
                        """, logger: quietLogger
                    ).collect().first!.decode((String, String).self)
                    for area in [Optional(twente), nil] {
                        let kept = try await connection.query(
                            """
                            SELECT counts.keep_spans(\(programme), NULL, \(area)::text[], \(from)::date, \(until)::date, \(Self.breakdowns))
                            """, logger: quietLogger
                        ).collect().first!.decode(Int.self)
                        #expect(kept >= 13 * Self.breakdowns.count, "every settled month of every breakdown is claimed")
                        let again = try await connection.query(
                            "SELECT counts.keep_spans(\(programme), NULL, \(area)::text[], \(from)::date, \(until)::date, \(Self.breakdowns))",
                            logger: quietLogger
                        ).collect().first!.decode(Int.self)
                        #expect(again == 0, "what is kept is not counted again")
                        let onePass = try await keptRows(programme, on: connection)
                        try await forget(on: connection)
                        // Span by span as before 0020: each month, and each day of the month in progress (one not settled is not kept).
                        try await connection.query(
                            """
                            WITH spans AS (
                                SELECT m AT TIME ZONE 'Europe/Amsterdam' AS starts_at, (m + interval '1 month') AT TIME ZONE 'Europe/Amsterdam' AS ends_at
                                FROM generate_series(\(from)::date::timestamp, \(until)::date - 1, interval '1 month') m
                                UNION ALL
                                SELECT d AT TIME ZONE 'Europe/Amsterdam', (d + interval '1 day') AT TIME ZONE 'Europe/Amsterdam'
                                FROM generate_series((\(until)::date - interval '1 month'), \(until)::date - 1, interval '1 day') d
                            )
                            SELECT counts.kept_span(\(programme), NULL, \(area)::text[], s.starts_at, s.ends_at, b)
                            FROM spans s, unnest(\(Self.breakdowns)::text[]) b ORDER BY s.starts_at
                            """, logger: quietLogger)
                        let monthByMonth = try await keptRows(programme, on: connection)
                        try await forget(on: connection)
                        #expect(onePass.count > 1000, "the generated referrals fill the months")
                        #expect(onePass == monthByMonth, "\(area == nil ? "whole" : "Twente"): \(Set(onePass).symmetricDifference(monthByMonth).sorted().prefix(6))")
                    }
                }
            }
        }
    }

    @Test("a report's months of every breakdown in one call are what breakdown by breakdown gives, the month in progress included")
    func reportMonths() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { client in
                try await DemoSeeder(client: client, logger: quietLogger).seed(try DemoData.bundled())
            }
            try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { client in
                try await client.withConnection { connection in
                    try await generate(2000, on: connection)
                    let programme = try await connection.query("SELECT id FROM programmes WHERE slug = 'aan-de-slag'", logger: quietLogger)
                        .collect().first!.decode(UUID.self)
                    let range = "date_trunc('month', now() AT TIME ZONE 'Europe/Amsterdam')"
                    let (from, until) = try await connection.query(
                        PostgresQuery(unsafeSQL: "SELECT (\(range) - interval '5 months')::date::text, (\(range) + interval '2 months')::date::text"),
                        logger: quietLogger
                    ).collect().first!.decode((String, String).self)
                    func rows(_ sql: PostgresQuery) async throws -> [String] {
                        try await connection.query(sql, logger: quietLogger).collect().map { try $0.decode(String.self) }.sorted()
                    }
                    // Twice: the first call counts and keeps, the second reads what was kept.
                    for _ in 0..<2 {
                        let together = try await rows(
                            """
                            SELECT concat_ws('|', breakdown, month, breakdown_value, measure, reason, referrals)
                            FROM counts.report_months(\(programme), NULL, NULL, \(from)::date, \(until)::date, \(Self.breakdowns))
                            WHERE span_id IS NULL
                            """)
                        let apart = try await rows(
                            """
                            SELECT concat_ws('|', b, c.month, c.breakdown_value, c.measure, c.reason, c.referrals)
                            FROM unnest(\(Self.breakdowns)::text[]) b, LATERAL counts.statistics_months(\(programme), NULL, NULL, \(from)::date, \(until)::date, b) c
                            """)
                        #expect(together.count > 100)
                        #expect(together == apart, "\(Set(together).symmetricDifference(apart).sorted().prefix(6))")
                    }
                }
            }
        }
    }
}
