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

    /// A migrated database with the demo and `count` generated referrals, and an administrator's connection to it.
    private func withGenerated(_ count: Int, _ body: @Sendable (PostgresConnection) async throws -> Void) async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { client in
                try await DemoSeeder(client: client, logger: quietLogger).seed(try DemoData.bundled())
            }
            try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { client in
                try await client.withConnection { connection in
                    try await generate(count, on: connection)
                    try await body(connection)
                }
            }
        }
    }

    /// Each month's first day `back` months before the month in progress and `ahead` after its start, as text.
    private func months(back: Int, ahead: Int, on connection: PostgresConnection) async throws -> (from: String, until: String) {
        try await connection.query(
            PostgresQuery(unsafeSQL: """
                SELECT (\(Self.thisMonth) - interval '\(back) months')::date::text, (\(Self.thisMonth) + interval '\(ahead) months')::date::text
                """), logger: quietLogger
        ).collect().first!.decode((String, String).self)
    }

    static let thisMonth = "date_trunc('month', now() AT TIME ZONE 'Europe/Amsterdam')"

    /// The part of the programme (`counts.programme_parts`) with the most referrals.
    private func busiestPart(of programme: UUID, on connection: PostgresConnection) async throws -> [String] {
        try await connection.query(
            """
            SELECT p.municipalities FROM counts.programme_parts(\(programme)) p
            ORDER BY (SELECT count(*) FROM referral_facts f WHERE f.programme_id = \(programme) AND f.municipality = ANY (p.municipalities)) DESC
            LIMIT 1
            """, logger: quietLogger
        ).collect().first!.decode([String].self)
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
        try await withGenerated(2000) { connection in
            let programme = try await programmeID("aan-de-slag", on: connection)
            let part = try await busiestPart(of: programme, on: connection)
            let (from, until) = try await months(back: 5, ahead: 2, on: connection)
            let referrer = try await organisationID("vluchtelingenwerk", on: connection)
            // The whole programme and a part of it, all referrers and one; twice each: the first call counts and keeps,
            // the second reads what was kept.
            for area in [nil, Optional(part)] {
                for referrer in [nil, Optional(referrer)] {
                    for _ in 0..<2 {
                        let together = try await sortedRows(
                            """
                            SELECT concat_ws('|', breakdown, month, breakdown_value, measure, reason, referrals)
                            FROM counts.report_months(\(programme), \(referrer), \(area)::text[], \(from)::date, \(until)::date, \(Self.breakdowns))
                            WHERE span_id IS NULL
                            """, on: connection)
                        let apart = try await sortedRows(
                            """
                            SELECT concat_ws('|', b, c.month, c.breakdown_value, c.measure, c.reason, c.referrals)
                            FROM unnest(\(Self.breakdowns)::text[]) b,
                                 LATERAL counts.statistics_months(\(programme), \(referrer), \(area)::text[], \(from)::date, \(until)::date, b) c
                            """, on: connection)
                        // Many rows for the whole programme; a referrer's in a part may, by chance, be few.
                        #expect(together.count > (area == nil && referrer == nil ? 100 : area == nil || referrer == nil ? 5 : 0), "\(together.count) rows")
                        #expect(together == apart, "\(Set(together).symmetricDifference(apart).sorted().prefix(6))")
                    }
                }
            }
        }
    }

    @Test("a report's waiting times in one statement are what month by month gives: nothing kept, then months and days kept")
    func reportWaits() async throws {
        try await withGenerated(2000) { connection in
            let programme = try await programmeID("perspectief-plus", on: connection)
            let part = try await busiestPart(of: programme, on: connection)
            let (from, until) = try await months(back: 7, ahead: 2, on: connection)
            let referrer = try await organisationID("vluchtelingenwerk", on: connection)
            // Whether a day of this month has ended an hour ago, so that counting keeps it.
            let aDaySettled = try await connection.query(
                "SELECT now() AT TIME ZONE 'Europe/Amsterdam' >= \(unescaped: Self.thisMonth) + interval '1 day 1 hour'", logger: quietLogger
            ).collect().first!.decode(Bool.self)
            for area in [nil, Optional(part)] {
                for (breakdown, referrer) in [("total", nil), ("referrer_type", nil), ("age_band", nil), ("total", Optional(referrer))] {
                    try await forget(on: connection)
                    // First with nothing kept; then as `counts.month_waits` left it (months and settled days kept).
                    for _ in 0..<2 {
                        let together = try await sortedRows(
                            """
                            SELECT concat_ws('|', breakdown_value, wait, referrals, median, p90)
                            FROM counts.statistics_waits(ARRAY[\(programme)], \(referrer), \(area)::text[], \(from)::date, \(until)::date, \(breakdown))
                            """, on: connection)
                        // As `counts.statistics_waits` read them before schema 0029: month by month.
                        let apart = try await sortedRows(
                            """
                            WITH days AS (
                                SELECT w.breakdown_value, w.wait, w.days, w.referrals
                                FROM generate_series(\(from)::date::timestamp, \(until)::date - 1, interval '1 month') AS m (month)
                                CROSS JOIN LATERAL counts.month_waits(\(programme), \(referrer), \(area)::text[], m.month::date, \(breakdown)) w
                            ), histogram AS (
                                SELECT breakdown_value, wait, days, sum(referrals) AS referrals FROM days GROUP BY 1, 2, 3
                                UNION ALL
                                SELECT 'total', wait, days, sum(referrals) FROM days WHERE \(breakdown) <> 'total' GROUP BY 2, 3
                            ), cumulative AS (
                                SELECT breakdown_value, wait, days,
                                       sum(referrals) OVER (PARTITION BY breakdown_value, wait ORDER BY days) AS up_to,
                                       sum(referrals) OVER (PARTITION BY breakdown_value, wait) AS referrals
                                FROM histogram
                            )
                            SELECT concat_ws('|', breakdown_value, wait, max(referrals)::bigint,
                                             min(days) FILTER (WHERE up_to >= 0.5 * referrals)::double precision,
                                             min(days) FILTER (WHERE up_to >= 0.9 * referrals)::double precision)
                            FROM cumulative GROUP BY breakdown_value, wait
                            """, on: connection)
                        // Both waits, for the whole programme and the part; some, for one referrer's in the whole programme.
                        #expect(together.count >= (referrer == nil ? 2 : area == nil ? 1 : 0), "\(together.count) rows")
                        #expect(together == apart, "\(area == nil ? "whole" : "part") by \(breakdown): \(Set(together).symmetricDifference(apart).sorted().prefix(6))")
                    }
                }
            }
            let daysKept = try await connection.query(
                "SELECT count(*) FROM statistics_kept_spans WHERE ends_at - starts_at < interval '2 days'", logger: quietLogger
            ).collect().first!.decode(Int.self)
            #expect(daysKept > 0 || !aDaySettled, "the month in progress has settled days kept, so both ways of reading them are compared")
        }
    }

    @Test("a programme's parts cut every municipality exactly once, each part the municipalities of the same agreements' areas")
    func programmeParts() async throws {
        try await withGenerated(0) { connection in
            for slug in ["perspectief-plus", "aan-de-slag", "pimenta"] {
                let programme = try await programmeID(slug, on: connection)
                let parts = try await connection.query("SELECT areas, municipalities FROM counts.programme_parts(\(programme))", logger: quietLogger)
                    .collect().map { try $0.decode(([UUID], [String]).self) }
                // Each municipality's areas among the programme's agreements, worked out one by one.
                let areasOf = try await connection.query(
                    """
                    SELECT m.code, coalesce(array_agg(DISTINCT f.area_id) FILTER (WHERE f.area_id IS NOT NULL), '{}')
                    FROM municipalities m
                    LEFT JOIN funding_agreements f ON f.programme_id = \(programme) AND m.code IN (SELECT area_municipalities(f.area_id))
                    GROUP BY m.code
                    """, logger: quietLogger
                ).collect().reduce(into: [String: Set<UUID>]()) { found, row in
                    let (code, areas) = try row.decode((String, [UUID]).self)
                    found[code] = Set(areas)
                }
                let listed = parts.flatMap(\.1)
                #expect(listed.count == areasOf.count && Set(listed) == Set(areasOf.keys), "\(slug): every municipality in exactly one part")
                for (areas, municipalities) in parts {
                    #expect(municipalities.allSatisfy { areasOf[$0] == Set(areas) }, "\(slug): a part's municipalities share its areas")
                }
                #expect(Set(parts.map { Set($0.0) }).count == parts.count, "\(slug): no two parts have the same areas")
            }
            let twente = try await connection.query(
                "SELECT count(*) FROM counts.programme_parts(\(try await programmeID("perspectief-plus", on: connection))) WHERE 'GM0153' = ANY (municipalities) AND cardinality(areas) = 2",
                logger: quietLogger
            ).collect().first!.decode(Int.self)
            #expect(twente == 1, "Enschede lies in both of Perspectief+'s agreements' areas (Twente, and the programme's whole area)")
        }
    }

    private func programmeID(_ slug: String, on connection: PostgresConnection) async throws -> UUID {
        try await connection.query("SELECT id FROM programmes WHERE slug = \(slug)", logger: quietLogger).collect().first!.decode(UUID.self)
    }

    private func organisationID(_ slug: String, on connection: PostgresConnection) async throws -> UUID {
        try await connection.query("SELECT id FROM organisations WHERE slug = \(slug)", logger: quietLogger).collect().first!.decode(UUID.self)
    }

    private func sortedRows(_ sql: PostgresQuery, on connection: PostgresConnection) async throws -> [String] {
        try await connection.query(sql, logger: quietLogger).collect().map { try $0.decode(String.self) }.sorted()
    }
}
