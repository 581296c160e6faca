import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// Months that are over are counted once and kept, and the days of the month in progress (`schema/0007`). A history loaded with past times (as the
/// generator or an import does) must make the kept months of its programme count again.
@Suite("Statistics of settled months")
struct StatisticsSettledMonthTests {
    /// The month three months back, as `YYYY-MM`, and the month after it.
    static var months: (past: String, next: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Amsterdam")!
        func month(_ back: Int) -> String {
            let parts = calendar.dateComponents([.year, .month], from: calendar.date(byAdding: .month, value: -back, to: Date())!)
            return String(format: "%04d-%02d", parts.year!, parts.month!)
        }
        return (month(3), month(2))
    }

    /// Inserts, as the database administrator, events with past times: `sql` given the 2GO id and the month.
    private func load(_ database: TestDatabase, _ sql: String) async throws {
        try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { client in
            _ = try await client.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger)
        }
    }

    private func settledRows(_ database: TestDatabase, month: String) async throws -> Int {
        try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { client in
            try await client.query(
                """
                SELECT count(*) FROM statistics_kept_spans
                WHERE starts_at = (\(month + "-01")::timestamp AT TIME ZONE 'Europe/Amsterdam') AND ends_at - starts_at > interval '27 days'
                """, logger: quietLogger)
                .collect().first!.decode(Int.self)
        }
    }

    /// How many protected months are kept for `month` (decision 0025).
    private func protectedMonths(_ database: TestDatabase, month: String) async throws -> Int {
        try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { client in
            try await client.query("SELECT count(*) FROM statistics_protected_months WHERE month = \(month + "-01")::date", logger: quietLogger)
                .collect().first!.decode(Int.self)
        }
    }

    /// Loads 12 referrals to 2GO from VluchtelingenWerk arriving at `at`: 11 are accepted 2 days later, 10 start
    /// 5 days after that; 1 is declined the next day.
    private func loadTwelve(_ database: TestDatabase, twoGo: String, at: String) async throws {
        try await load(database, """
                WITH made AS (
                    SELECT gen_random_uuid() AS id, gen_random_uuid() AS client_id, i,
                           '\(at)'::timestamptz AS at,
                           (SELECT id FROM organisations WHERE slug = 'vluchtelingenwerk') AS org,
                           (SELECT id FROM users WHERE email = 'cw@vw.example') AS author,
                           '\(twoGo)'::uuid AS programme, (SELECT id FROM organisations WHERE slug = 'stek') AS operator
                    FROM generate_series(1, 12) AS i
                ), clients AS (
                    INSERT INTO clients (id, organisation_id, registered_by, registered_at) SELECT client_id, org, author, at FROM made
                ), referrals AS (
                    INSERT INTO referrals (id, client_id, referring_organisation_id, referring_user_id, programme_id, operator_id,
                        target_group, age_band, municipality, needs, urgency, state, created_at, submitted_at, state_changed_at)
                    SELECT id, client_id, org, author, programme, operator, 'human_trafficking', '26-35', 'GM0518', '{social_contact}',
                           'soon', CASE WHEN i <= 10 THEN 'active' WHEN i = 11 THEN 'accepted' ELSE 'declined' END, at, at, at
                    FROM made RETURNING id
                )
                INSERT INTO referral_events (referral_id, referring_organisation_id, operator_id, occurred_at, actor_user_id,
                    actor_organisation_id, action, from_state, to_state, reason)
                SELECT m.id, m.org, m.operator, m.at + s.after, m.author, m.org, s.action, s.from_state, s.to_state, s.reason
                FROM made m
                JOIN (VALUES (1, 12, interval '0', 'submit', NULL, 'submitted', NULL),
                             (1, 11, interval '2 days', 'accept', 'submitted', 'accepted', NULL),
                             (1, 10, interval '7 days', 'start', 'accepted', 'active', NULL),
                             (12, 12, interval '1 day', 'decline', 'submitted', 'declined', 'not_eligible'))
                     AS s (first, last, after, action, from_state, to_state, reason) ON m.i BETWEEN s.first AND s.last
                ORDER BY m.i, s.after
                """)
    }

    /// One of the running referrals completes at `at`.
    private func loadCompletion(_ database: TestDatabase, twoGo: String, at: String) async throws {
        try await load(database, """
            INSERT INTO referral_events (referral_id, referring_organisation_id, operator_id, occurred_at, actor_user_id,
                actor_organisation_id, action, from_state, to_state)
            SELECT id, referring_organisation_id, operator_id, '\(at)', referring_user_id, operator_id, 'complete', 'active', 'completed'
            FROM referrals WHERE state = 'active' AND programme_id = '\(twoGo)' LIMIT 1
            """)
    }

    @Test("12 referrals of a past month: counted, kept, the same when read from what was kept, and counted again when a later step is loaded")
    func settledMonth() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let (past, next) = Self.months
            try await loadTwelve(database, twoGo: cast.twoGoID, at: "\(past)-05 10:00:00+00")

            let uri = "/api/v1/statistics?programme=\(cast.twoGoID)&from=\(past)&to=\(next)"
            let first = try await api(.get, uri, as: cast.funder)
            #expect(first.status == .ok)
            let total = try #require(first.json["total"] as? [String: Any])
            let figures = try #require(total["figures"] as? [String: [String: Any]])
            #expect(figures["received"]?["count"] as? Int == 12)
            #expect(figures["accepted"]?["count"] as? Int == 11)
            #expect(figures["declined"]?["suppressed"] as? Bool == true)
            #expect(figures["active_at_end"]?["count"] as? Int == 10, "running at the end of the later month: the stock")
            let waits = try #require(total["submitted_to_accepted"] as? [String: Any])
            #expect(waits["median_days"] as? Double == 2 && waits["p90_days"] as? Double == 2)
            #expect((total["accepted_to_active"] as? [String: Any])?["median_days"] as? Double == 5)
            let occupancy = try #require(first.json["occupancy"] as? [[String: Any]])
            #expect(occupancy.compactMap { ($0["in_use"] as? [String: Any])?["count"] as? Int } == [10, 10])
            // Kept by every breakdown: a report protects each programme's month by all of them together.
            #expect(try await settledRows(database, month: past) == StatisticsReport.protectedTogether.count, "the month is kept")
            #expect(try await protectedMonths(database, month: past) == 1, "and kept protected, once")
            #expect(try await protectedMonths(database, month: next) == 1)

            let again = try await api(.get, uri, as: cast.funder)
            #expect(NSDictionary(dictionary: again.json) == NSDictionary(dictionary: first.json), "read from what was kept: the same report")

            // One of them completed in the later month, loaded afterwards: both kept months no longer hold.
            try await loadCompletion(database, twoGo: cast.twoGoID, at: "\(next)-10 10:00:00+00")
            #expect(try await settledRows(database, month: next) == 0)
            #expect(try await protectedMonths(database, month: next) == 0, "forgotten with the spans it was made from")
            #expect(try await protectedMonths(database, month: past) == 1)
            let after = try await api(.get, uri, as: cast.funder)
            let figuresAfter = try #require((after.json["total"] as? [String: Any])?["figures"] as? [String: [String: Any]])
            #expect(figuresAfter["active_at_end"]?["count"] as? Int == 9)
            #expect(figuresAfter["completed"]?["suppressed"] as? Bool == true)
            let occupancyAfter = try #require(after.json["occupancy"] as? [[String: Any]])
            #expect(occupancyAfter.compactMap { ($0["in_use"] as? [String: Any])?["count"] as? Int } == [10, 9])
            #expect(try await settledRows(database, month: next) == StatisticsReport.protectedTogether.count, "kept again")
            #expect(try await protectedMonths(database, month: next) == 1, "protected again from the new counts")

            // Kept only from the month's own kept spans, as they are now: another month's, or none, keep nothing.
            try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { admin in
                let spans = try await admin.query(
                    """
                    SELECT array_agg(id) FROM statistics_kept_spans
                    WHERE starts_at = (\(past + "-01")::timestamp AT TIME ZONE 'Europe/Amsterdam') AND ends_at - starts_at > interval '27 days'
                    """, logger: quietLogger)
                    .collect().first!.decode([Int].self)
                for (month, ids) in [(next, spans), (past, [Int]()), (past, spans.map { $0 + 1_000_000 })] {
                    let kept = try await admin.query(
                        """
                        SELECT counts.keep_protected_month(\(cast.twoGoID)::uuid, NULL, NULL, \(month + "-01")::date, 'forged', \(ids)::bigint[], '{0}')
                        """, logger: quietLogger)
                        .collect().first!.decode(Bool.self)
                    #expect(!kept, "\(month) \(ids)")
                }
            }

            // The service's own role reaches them only through the counting functions.
            try await PostgresClient.withRunningClient(database.appURL, logger: quietLogger) { app in
                for statement: PostgresQuery in [
                    "SELECT * FROM referral_facts", "SELECT * FROM statistics_kept_counts", "SELECT * FROM statistics_kept_waits",
                    "DELETE FROM statistics_kept_spans", "SELECT counts.steps_counted(gen_random_uuid(), NULL, NULL, now(), now(), 'total')",
                    "SELECT * FROM statistics_protected_months", "DELETE FROM statistics_protected_months",
                ] {
                    let error = await #expect(throws: PSQLError.self) { try await app.query(statement, logger: quietLogger).collect() }
                    #expect(error?.serverInfo?[.sqlState] == "42501", "\(statement.sql)")
                }
            }
        }
    }

    @Test("the month in progress: the days that are over are kept, today is counted live, and a step loaded for an earlier day counts again",
          .enabled(if: StatisticsSettledMonthTests.dayOfMonth >= 10, "needs nine days of this month behind us"))
    func daysOfTheMonthInProgress() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let month = StatisticsAPITests.thisMonth
            try await loadTwelve(database, twoGo: cast.twoGoID, at: "\(month)-01 10:00:00+00")
            let uri = "/api/v1/statistics?programme=\(cast.twoGoID)&period=\(month)"
            func figures(_ answer: APICall.Answer) -> [String: [String: Any]] {
                (answer.json["total"] as? [String: Any])?["figures"] as? [String: [String: Any]] ?? [:]
            }
            let first = try await api(.get, uri, as: cast.funder)
            #expect(figures(first)["received"]?["count"] as? Int == 12)
            #expect(figures(first)["active_at_end"]?["count"] as? Int == 10, "running now")
            let keptDays = try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { admin in
                try await admin.query("SELECT count(*) FROM statistics_kept_spans WHERE ends_at - starts_at < interval '2 days'", logger: quietLogger)
                    .collect().first!.decode(Int.self)
            }
            #expect(keptDays >= 9, "the days of this month that are over")
            // A filed referral today shows at once.
            _ = try await api.file(cast.forTwoGo(), as: cast.caseworker)
            #expect(figures(try await api(.get, uri, as: cast.funder))["received"]?["count"] as? Int == 13)

            try await loadCompletion(database, twoGo: cast.twoGoID, at: "\(month)-09 10:00:00+00")
            let after = try await api(.get, uri, as: cast.funder)
            #expect(figures(after)["received"]?["count"] as? Int == 13)
            #expect(figures(after)["active_at_end"]?["count"] as? Int == 9)
            #expect(figures(after)["completed"]?["suppressed"] as? Bool == true)
        }
    }

    static var dayOfMonth: Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Amsterdam")!
        return calendar.component(.day, from: Date())
    }
}
